/**
 * The video API's logic with a fake ffmpeg core (no wasm): what it refuses before loading ffmpeg, how it
 * maps a failed probe, how it splits decoded RGBA into frames and reports progress, and the file clean-up.
 */
import { describe, expect, test } from 'vitest';
import { createVideoApi } from '../../workers/video/api';
import type { FFmpegCore, FFmpegLogEvent } from '../../workers/video/core-types';
import { MAX_SOURCE_BYTES, type Progress } from '../../src/core/protocol/video';
import { notAVideo } from '../fixtures/video-inputs';

interface FakeCall {
  readonly tool: 'ffmpeg' | 'ffprobe';
  readonly args: string[];
}

/** An in-memory stand-in for the core: ffprobe answers `probeJson`, ffmpeg writes `frames` RGBA frames. */
function fakeCore(probeJson: string, frames: number, log: string[] = []) {
  const files = new Map<string, Uint8Array>();
  const calls: FakeCall[] = [];
  let logger: (e: FFmpegLogEvent) => void = () => undefined;
  const core: FFmpegCore = {
    exec(...args) {
      calls.push({ tool: 'ffmpeg', args });
      const vf = args[args.indexOf('-vf') + 1] ?? '';
      const crop = /crop=(\d+):(\d+)/.exec(vf);
      const [w, h] = crop ? [Number(crop[1]), Number(crop[2])] : [64, 64];
      const out = new Uint8Array(w * h * 4 * frames);
      for (let i = 0; i < frames; i++) out.fill(i + 1, i * w * h * 4, (i + 1) * w * h * 4);
      for (const line of [...log, `frame=${frames}`]) logger({ type: 'stderr', message: line });
      files.set(args.at(-1)!, out);
      return 0;
    },
    ffprobe(...args) {
      calls.push({ tool: 'ffprobe', args });
      for (const line of log) logger({ type: 'stderr', message: line });
      files.set(args[args.indexOf('-o') + 1]!, new TextEncoder().encode(probeJson));
      return -1;
    },
    reset: () => undefined,
    setLogger: (l) => (logger = l),
    setProgress: () => undefined,
    FS: {
      writeFile: (p, d) => files.set(p, d),
      readFile: (p) => {
        const d = files.get(p);
        if (!d) throw new Error(`ENOENT ${p}`);
        return d;
      },
      unlink: (p) => files.delete(p),
      mkdir: () => undefined,
      rmdir: () => undefined,
      mount: () => undefined,
      unmount: () => undefined,
      filesystems: {},
    },
  };
  return { core, calls, files };
}

const video64 = JSON.stringify({
  streams: [
    {
      codec_type: 'video',
      codec_name: 'h264',
      width: 64,
      height: 64,
      avg_frame_rate: '10/1',
      nb_frames: '20',
      duration: '2.0',
    },
  ],
  format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '2.0' },
});

describe('video API with a fake core', () => {
  test('a file over MAX_SOURCE_BYTES is refused before ffmpeg loads', async () => {
    let loads = 0;
    const api = createVideoApi({
      loadCore: async () => {
        loads++;
        return fakeCore(video64, 1).core;
      },
    });
    // Zero-filled and never written: the pages are not touched, so this costs no real memory.
    const huge = new Uint8Array(MAX_SOURCE_BYTES + 1);
    await expect(api.probe(huge)).rejects.toMatchObject({
      code: 'FILE_TOO_LARGE',
      message: expect.stringMatching(/Trim it/),
    });
    const options = { start: 0, frames: 1, stride: 1, sizing: { mode: 'square', size: 64 } } as const;
    await expect(api.extract(huge, options)).rejects.toMatchObject({ code: 'FILE_TOO_LARGE' });
    expect(loads).toBe(0);
  });

  test('a probe ffmpeg cannot open maps to NOT_A_VIDEO; the core is loaded once', async () => {
    let loads = 0;
    const fake = fakeCore('{\n}', 0, ['/src0/input: Invalid data found when processing input']);
    const api = createVideoApi({ loadCore: async () => (loads++, fake.core) });
    await expect(api.probe(notAVideo())).rejects.toMatchObject({ code: 'NOT_A_VIDEO' });
    await expect(api.probe(notAVideo())).rejects.toMatchObject({ code: 'NOT_A_VIDEO' });
    expect(loads).toBe(1);
  });

  test('extract: frames split per buffer, fps and time range from the stride, progress, files cleaned up', async () => {
    const fake = fakeCore(video64, 4);
    const api = createVideoApi({ loadCore: async () => fake.core });
    const progress: Progress[] = [];
    const set = await api.extract(
      notAVideo(100),
      { start: 2, frames: 4, stride: 3, sizing: { mode: 'square', size: 64 } },
      (p) => progress.push(p),
    );
    expect(set).toMatchObject({ width: 64, height: 64, fps: 10 / 3, startSec: 0.2 });
    expect(set.endSec).toBeCloseTo(0.2 + 1.2, 12);
    expect(set.frames.map((f) => [f.byteLength, f[0]])).toEqual([1, 2, 3, 4].map((v) => [64 * 64 * 4, v]));
    expect(new Set(set.frames.map((f) => f.buffer)).size).toBe(4); // each frame transferable on its own
    expect(progress.map((p) => p.stage)).toEqual(['loading ffmpeg', 'probing', 'decoding', 'decoding', 'decoding']);
    expect(progress.at(-1)).toEqual({ stage: 'decoding', fraction: 1 });
    const ffmpegCall = fake.calls.find((c) => c.tool === 'ffmpeg')!;
    expect(ffmpegCall.args[ffmpegCall.args.indexOf('-vf') + 1]).toBe('select=gte(n\\,0)*not(mod(n-0\\,3))');
    expect(ffmpegCall.args.slice(1, 3)).toEqual(['-ss', (1.5 / 10).toFixed(6)]);
    expect([...fake.files.keys()]).toEqual([]);
  });

  test('extract: asking past the end is TOO_FEW_FRAMES without decoding; a short decode is too', async () => {
    const fake = fakeCore(video64, 2);
    const api = createVideoApi({ loadCore: async () => fake.core });
    const sizing = { mode: 'square', size: 64 } as const;
    await expect(api.extract(notAVideo(100), { start: 10, frames: 4, stride: 4, sizing })).rejects.toMatchObject({
      code: 'TOO_FEW_FRAMES',
      message: expect.stringContaining('needs frame 23'),
    });
    expect(fake.calls.some((c) => c.tool === 'ffmpeg')).toBe(false);
    await expect(api.extract(notAVideo(100), { start: 0, frames: 4, stride: 1, sizing })).rejects.toMatchObject({
      code: 'TOO_FEW_FRAMES',
      message: expect.stringContaining('gave 2 of the 4'),
    });
  });

  test('encode: frames concatenated into one raw input, output read back, temporaries removed', async () => {
    const fake = fakeCore(video64, 1);
    let rawInput: Uint8Array | undefined;
    const exec = fake.core.exec;
    fake.core.exec = (...args) => {
      rawInput = fake.files.get(args[args.indexOf('-i') + 1]!);
      return exec(...args);
    };
    const api = createVideoApi({ loadCore: async () => fake.core });
    const frames = [new Uint8Array(16 * 8 * 4).fill(7), new Uint8Array(16 * 8 * 4).fill(9)];
    const mp4 = await api.encode({ width: 16, height: 8, fps: 8, startSec: 0, endSec: 0.25, frames }, { fps: 8 });
    expect(mp4.byteLength).toBeGreaterThan(0);
    expect(rawInput?.byteLength).toBe(2 * 16 * 8 * 4);
    expect([rawInput![0], rawInput![16 * 8 * 4]]).toEqual([7, 9]);
    expect(fake.calls[0]!.args).toContain('-crf');
    expect([...fake.files.keys()]).toEqual([]);
    await expect(
      api.encode({ width: 15, height: 8, fps: 8, startSec: 0, endSec: 1, frames }, { fps: 8 }),
    ).rejects.toMatchObject({
      code: 'BAD_OPTIONS',
    });
  });
});
