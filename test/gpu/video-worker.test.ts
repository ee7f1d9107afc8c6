/**
 * The video worker through its real client (ffmpeg.wasm in a module worker): probe, extract, encode and
 * re-decode on real clips. These need no WebGPU; they live here because this tier runs in Chromium.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createVideoClient, type VideoClient } from '../../src/services/video-client';
import { describeShared, fetchShared } from '../helpers/browser/shared';
import { meanAbsDiff, psnrRgb, rotated90, wav } from '../fixtures/video-inputs';
import type { FrameSet, Progress } from '../../src/core/protocol/video';
import { hasCode } from '../../src/core/protocol/errors';

let video: VideoClient;
beforeAll(() => {
  video = createVideoClient();
});
afterAll(() => video.terminate());

describeShared('video worker on real clips', () => {
  test('probe two_cats: 512×512 h264, 8 fps, 24 frames, no audio', async () => {
    const p = await video.probe(await fetchShared('clips/two_cats/source.mp4'));
    expect(p).toMatchObject({
      width: 512,
      height: 512,
      fps: 8,
      frameCount: 24,
      codec: 'h264',
      rotation: 0,
      hasAudio: false,
    });
    expect(p.durationSec).toBeCloseTo(3, 3);
  });

  test('two_cats: 16 frames at 512², encode, re-decode: same count and size, PSNR ≥ 35 dB', async () => {
    const source = await fetchShared('clips/two_cats/source.mp4');
    const stages: Progress[] = [];
    const set = await video.extract(
      source,
      { start: 0, frames: 16, stride: 1, sizing: { mode: 'square', size: 512 } },
      (p) => stages.push(p),
    );
    expect(set).toMatchObject({ width: 512, height: 512, fps: 8, startSec: 0, endSec: 2 });
    expect(set.frames).toHaveLength(16);
    for (const f of set.frames) expect(f.byteLength).toBe(512 * 512 * 4);
    expect(stages.some((p) => p.stage === 'decoding' && p.fraction === 1)).toBe(true);
    const reference = set.frames.map((f) => f.slice());
    const mp4 = await video.encode(set, { fps: set.fps, crf: 18 });
    expect(String.fromCharCode(...mp4.subarray(4, 8))).toBe('ftyp');
    const probe = await video.probe(mp4.slice());
    expect(probe).toMatchObject({ width: 512, height: 512, fps: 8, frameCount: 16, codec: 'h264', hasAudio: false });
    const back = await video.extract(mp4, { start: 0, frames: 16, stride: 1, sizing: { mode: 'square', size: 512 } });
    const psnr = back.frames.map((f, i) => psnrRgb(f, reference[i]!));
    console.log(`two_cats round trip PSNR dB: min ${Math.min(...psnr).toFixed(2)} max ${Math.max(...psnr).toFixed(2)}`);
    expect(Math.min(...psnr)).toBeGreaterThanOrEqual(35);
  });

  test('bedroom_two_kids 960×540: stride 2 scaled + centre-cropped to 512², exact frame selection, round trip ≥ 35 dB', async () => {
    const source = await fetchShared('clips/bedroom_two_kids/source.mp4');
    const probe = await video.probe(source.slice());
    expect(probe).toMatchObject({ width: 960, height: 540, fps: 30, frameCount: 200 });
    const square = { mode: 'square', size: 512 } as const;
    const set = await video.extract(source.slice(), { start: 0, frames: 16, stride: 2, sizing: square });
    expect(set).toMatchObject({ width: 512, height: 512, fps: 15, startSec: 0 });
    expect(set.endSec).toBeCloseTo(32 / 30, 9);
    expect(set.frames).toHaveLength(16);
    // Later starts seek; source frames 6 and 10 are frames 3 and 5 of the stride-2 set (no seek): same bytes.
    const later = await video.extract(source.slice(), { start: 6, frames: 2, stride: 4, sizing: square });
    expect(meanAbsDiff(later.frames[0]!, set.frames[3]!)).toBe(0);
    expect(meanAbsDiff(later.frames[1]!, set.frames[5]!)).toBe(0);
    expect(meanAbsDiff(later.frames[0]!, set.frames[4]!)).toBeGreaterThan(1); // neighbours do differ
    // Also a single odd-stride start deep in: source frame 30 is frame 15 of the set.
    const deep = await video.extract(source.slice(), { start: 30, frames: 1, stride: 1, sizing: square });
    expect(meanAbsDiff(deep.frames[0]!, set.frames[15]!)).toBe(0);
    const reference = set.frames.map((f) => f.slice());
    const mp4 = await video.encode(set, { fps: set.fps });
    const back = await video.extract(mp4, { start: 0, frames: 16, stride: 1, sizing: square });
    expect(back).toMatchObject({ width: 512, height: 512, fps: 15 });
    const psnr = back.frames.map((f, i) => psnrRgb(f, reference[i]!));
    console.log(`bedroom round trip PSNR dB: min ${Math.min(...psnr).toFixed(2)}`);
    expect(Math.min(...psnr)).toBeGreaterThanOrEqual(35);
  });

  test('aspect sizing keeps the aspect with both sides multiples of 64; rotation is applied', async () => {
    const source = await fetchShared('clips/bedroom_two_kids/source.mp4');
    const wide = await video.extract(source, {
      start: 0,
      frames: 2,
      stride: 1,
      sizing: { mode: 'aspect', shortSide: 128 },
    });
    // 960×540 → short side 128: 227.6×128, floor to a multiple of 64 → 192×128, centre crop.
    expect(wide).toMatchObject({ width: 192, height: 128 });
    const reference = wide.frames.map((f) => f.slice());
    const portrait = rotated90(await video.encode(wide, { fps: wide.fps, crf: 10 }));
    const probe = await video.probe(portrait.slice());
    expect(probe).toMatchObject({ width: 192, height: 128, rotation: 90 });
    const turned = await video.extract(portrait, {
      start: 0,
      frames: 2,
      stride: 1,
      sizing: { mode: 'aspect', shortSide: 128 },
    });
    expect(turned).toMatchObject({ width: 128, height: 192 });
    // Displayed 90° clockwise: output (x, y) shows source (y, H-1-x).
    const rotate = (f: Uint8Array, cw: boolean) => {
      const out = new Uint8Array(f.length);
      for (let y = 0; y < 192; y++)
        for (let x = 0; x < 128; x++) {
          const [sx, sy] = cw ? [y, 127 - x] : [191 - y, x];
          out.set(f.subarray((sy * 192 + sx) * 4, (sy * 192 + sx) * 4 + 4), (y * 128 + x) * 4);
        }
      return out;
    };
    const cw = psnrRgb(turned.frames[0]!, rotate(reference[0]!, true));
    const ccw = psnrRgb(turned.frames[0]!, rotate(reference[0]!, false));
    console.log(`rotation PSNR dB: clockwise ${cw.toFixed(2)}, counter-clockwise ${ccw.toFixed(2)}`);
    expect(cw).toBeGreaterThanOrEqual(35);
    expect(ccw).toBeLessThan(25);
  });

  test('audio: a source with audio keeps it, trimmed to the frames’ time range', async () => {
    const source = await fetchShared('clips/two_cats/source.mp4');
    const set = await video.extract(source, { start: 0, frames: 8, stride: 1, sizing: { mode: 'square', size: 128 } });
    const frames = (s: FrameSet): FrameSet => ({ ...s, frames: s.frames.map((f) => f.slice()) });
    const silent = await video.encode(frames(set), { fps: set.fps });
    expect((await video.probe(silent)).hasAudio).toBe(false);
    // No shared clip has audio: build one from a 2 s WAV.
    const withAudio = await video.encode(frames(set), {
      fps: set.fps,
      audio: { source: wav(2), startSec: 0, endSec: 1 },
    });
    const probe = await video.probe(withAudio.slice());
    expect(probe).toMatchObject({ hasAudio: true, frameCount: 8, fps: 8 });
    // Re-export frames 2..5 of it with the audio of that range, as the app's export does.
    const part = await video.extract(withAudio.slice(), {
      start: 2,
      frames: 4,
      stride: 1,
      sizing: { mode: 'square', size: 128 },
    });
    expect(part).toMatchObject({ startSec: 0.25, endSec: 0.75 });
    const out = await video.encode(part, {
      fps: part.fps,
      audio: { source: withAudio, startSec: part.startSec, endSec: part.endSec },
    });
    expect(await video.probe(out)).toMatchObject({ hasAudio: true, frameCount: 4 });
  });

  test('cancel stops the work (CANCELLED) and the next call gets a fresh worker', async () => {
    const source = await fetchShared('clips/bedroom_two_kids/source.mp4');
    let cancelled = false;
    const run = video.extract(
      source.slice(),
      { start: 0, frames: 64, stride: 3, sizing: { mode: 'square', size: 512 } },
      (p) => {
        if (p.stage === 'decoding' && !cancelled) {
          cancelled = true;
          video.cancel();
        }
      },
    );
    const error = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(cancelled).toBe(true);
    expect(hasCode(error, 'CANCELLED')).toBe(true);
    expect(await video.probe(source)).toMatchObject({ width: 960, height: 540 });
  });
});
