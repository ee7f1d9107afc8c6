/**
 * The video worker through its real client (ffmpeg.wasm in a module worker): probe, extract, encode and
 * re-decode on real clips. These need no WebGPU; they live here because this tier runs in Chromium.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createVideoClient, type VideoClient } from '../../src/services/video-client';
import { describeShared, fetchShared } from '../helpers/browser/shared';
import { psnrRgb } from '../fixtures/video-inputs';
import type { Progress } from '../../src/core/protocol/video';

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
});
