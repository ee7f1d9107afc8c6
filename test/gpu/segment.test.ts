/**
 * Click to segment on WebGPU through the engine API (issue 18): the tiny SAM 2.1 stand-in (real names; a 256²
 * input instead of the export's 1024², which takes minutes per frame on the software adapter; test/fixtures/tiny-sam2.ts) loaded from dropped files, its sessions on the engine's device; a click
 * answers candidates with the mask where it was made, a second click on the frame reuses the embedding, and a
 * 2-frame track fills the other frame. Small: 64×48 frames. The tiny SlimSAM stand-in (SAM v1 signature, 64² input;
 * test/fixtures/tiny-slimsam.ts) through the same API: a click on a 2:1 frame lands with the aspect kept, a box
 * reuses the embedding.
 */
import { expect, test } from 'vitest';
import { createEngineApi } from '../../workers/engine/api';
import type { TrackEvent } from '../../src/core/protocol/segment';
import { tinySam2Files } from '../fixtures/tiny-sam2';
import { tinySlimSamFiles } from '../fixtures/tiny-slimsam';

const W = 64;
const H = 48;
const frame = (seed: number) => Uint8Array.from({ length: W * H * 4 }, (_, i) => (i * 29 + seed * 11) % 256);

test('segment and track with the tiny SAM 2.1 on WebGPU', async () => {
  const engine = createEngineApi();
  const status = await engine.init();
  expect(status.state).toBe('ready');
  const files = Object.entries(tinySam2Files({ inputSize: 256 })).map(
    ([path, bytes]) => new File([bytes as Uint8Array<ArrayBuffer>], path.split('/').pop()!),
  );
  const info = await engine.loadModel({
    kind: 'sam2',
    source: { type: 'local', files, name: 'tiny-sam2' },
    precision: 'auto',
  });
  expect(info.kind).toBe('sam2');
  try {
    const frames = [frame(0), frame(1)];
    const click = { clipKey: 'gpu', frameIndex: 0, frame: frames[0]!, width: W, height: H };
    const t0 = performance.now();
    const r = await engine.segment({ ...click, points: [{ x: 20, y: 30, label: 1 }] });
    console.info(
      `[segment] first click ${(performance.now() - t0).toFixed(0)} ms (encoder ${r.encoderMs.toFixed(0)} ms, decoder ${r.decoderMs.toFixed(0)} ms)`,
    );
    expect(r.candidates.map((c) => c.score)).toEqual([0.9, 0.8, 0.7].map(Math.fround));
    const best = r.candidates[0]!.mask;
    expect(best[30 * W + 20]).toBe(1);
    // Radius 1/16 of the frame: 4 px across.
    expect(best[30 * W + 23]).toBe(1);
    expect(best[30 * W + 26]).toBe(0);
    const again = await engine.segment({
      ...click,
      points: [{ x: 40, y: 10, label: 1 }],
      box: { x0: 30, y0: 2, x1: 50, y1: 20 },
    });
    expect(again.embeddingCached).toBe(true);
    expect(again.candidates[0]!.mask[10 * W + 40]).toBe(1);

    const events: TrackEvent[] = [];
    const tracked = await engine.track(
      {
        clipKey: 'gpu',
        frames,
        width: W,
        height: H,
        startFrame: 0,
        startMask: best,
        direction: 'forward',
        thresholds: { minScore: 0.7, minIou: 0.5 },
      },
      (e) => events.push(e),
    );
    expect(tracked.status).toEqual(['ok', 'ok']);
    expect(tracked.masks[1]![30 * W + 20]).toBe(1);
    expect(events.at(-1)).toEqual({ kind: 'progress', done: 1, total: 1 });
  } finally {
    await engine.releaseSegmenter();
    engine.gpu?.device.destroy();
  }
});

test('the tiny SlimSAM (SAM v1 processing) on WebGPU keeps the aspect of a 2:1 frame', async () => {
  const engine = createEngineApi();
  expect((await engine.init()).state).toBe('ready');
  const files = Object.entries(tinySlimSamFiles({ inputSize: 64 })).map(
    ([path, bytes]) => new File([bytes as Uint8Array<ArrayBuffer>], path.split('/').pop()!),
  );
  const info = await engine.loadModel({
    kind: 'slimsam',
    source: { type: 'local', files, name: 'tiny-slimsam' },
    precision: 'auto',
  });
  expect(info.kind).toBe('slimsam');
  try {
    // 128×64 → resized 64×32 of the 64² input: the smallest disc (radius 4 input px) is 8 frame px on both axes.
    const w = 128;
    const h = 64;
    const rgba = Uint8Array.from({ length: w * h * 4 }, (_, i) => (i * 13) % 256);
    const click = { clipKey: 'gpu-slim', frameIndex: 0, frame: rgba, width: w, height: h };
    const r = await engine.segment({ ...click, points: [{ x: 40, y: 20, label: 1 }] });
    const m = r.candidates[0]!.mask;
    expect([m[20 * w + 40], m[20 * w + 45], m[25 * w + 40], m[15 * w + 40]]).toEqual([1, 1, 1, 1]);
    expect([m[20 * w + 51], m[31 * w + 40], m[9 * w + 40]]).toEqual([0, 0, 0]);
    const boxed = await engine.segment({ ...click, points: [], box: { x0: 70, y0: 20, x1: 110, y1: 50 } });
    expect(boxed.embeddingCached).toBe(true);
    expect(boxed.candidates[0]!.mask[35 * w + 90]).toBe(1);
  } finally {
    await engine.releaseSegmenter();
    engine.gpu?.device.destroy();
  }
});
