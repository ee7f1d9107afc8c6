/**
 * Click to segment on WebGPU through the engine API (issue 18): the tiny SAM 2.1 stand-in (real names; a 256²
 * input instead of the export's 1024², which takes minutes per frame on the software adapter; test/fixtures/tiny-sam2.ts) loaded from dropped files, its sessions on the engine's device; a click
 * answers candidates with the mask where it was made, a second click on the frame reuses the embedding, and a
 * 2-frame track fills the other frame. Small: 64×48 frames.
 */
import { expect, test } from 'vitest';
import { createEngineApi } from '../../workers/engine/api';
import type { TrackEvent } from '../../src/core/protocol/segment';
import { tinySam2Files } from '../fixtures/tiny-sam2';

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
