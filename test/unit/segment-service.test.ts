/**
 * The engine's segment service (workers/engine/segment/service.ts) with the tiny SAM 2.1 stand-in
 * (test/fixtures/tiny-sam2.ts: the real names and shapes, 1024² input) on Node's wasm backend: the model path
 * every model takes (resolve, validate, open with names checked), clicks with candidates, the embedding cache
 * (a second click on a frame does not run the encoder; LRU within a budget; a new clip key drops it), tracking
 * and its cancel, and refusals (wrong graphs, no model, bad prompts).
 */
import { describe, expect, it } from 'vitest';
import { resolveModelFiles } from '../../src/core/models/resolve';
import { validateModel, type ValidatedModel } from '../../src/core/models/validate';
import type { TrackEvent } from '../../src/core/protocol/segment';
import { createSegmentService } from '../../workers/engine/segment/service';
import type { LoadedModel } from '../../workers/engine/models-service';
import { MemorySource } from '../helpers/memory-source';
import { TINY_SAM2_PATHS, tinySam2Decoder, tinySam2Encoder, tinySam2Files } from '../fixtures/tiny-sam2';

const W = 128;
const H = 96;

function frame(seed: number): Uint8Array {
  return Uint8Array.from({ length: W * H * 4 }, (_, i) => (i * 31 + seed * 17) % 251);
}

async function validated(files: Record<string, Uint8Array>): Promise<ValidatedModel> {
  const source = new MemorySource(files, 'tiny-sam2');
  return validateModel(source, 'sam2', await resolveModelFiles(source, 'sam2'));
}

function service(model: ValidatedModel | undefined, embeddingBudgetBytes?: number) {
  return createSegmentService({
    models: { loaded: (kind) => (kind === 'sam2' && model ? ({ model } as LoadedModel) : undefined) },
    target: async () => ({ kind: 'cpu' }),
    ...(embeddingBudgetBytes ? { embeddingBudgetBytes } : {}),
  });
}

const EMBEDDING_BYTES = 4 * (32 * 256 * 256 + 64 * 128 * 128 + 256 * 64 * 64);

describe('segment service (tiny SAM 2.1, wasm)', () => {
  it('answers a click with candidates best first and caches the frame embedding', async () => {
    const s = service(await validated(tinySam2Files()));
    try {
      const click = { clipKey: 'clip-a', frameIndex: 0, frame: frame(0), width: W, height: H };
      const r = await s.segment({ ...click, points: [{ x: 40, y: 30, label: 1 }] });
      expect(r.candidates.map((c) => c.score)).toEqual([0.9, 0.8, 0.7].map((v) => Math.fround(v)));
      const best = r.candidates[0]!.mask;
      expect(best.length).toBe(W * H);
      expect(best[30 * W + 40]).toBe(1);
      expect(best[80 * W + 110]).toBe(0);
      // Disc of radius 64/1024 of the frame per axis: 8 px across, 6 px down.
      expect(best[30 * W + 47]).toBe(1);
      expect(best[30 * W + 50]).toBe(0);
      expect(r.embeddingCached).toBe(false);
      expect(s.stats().encoderRuns).toBe(1);

      const again = await s.segment({
        ...click,
        points: [
          { x: 90, y: 60, label: 1 },
          { x: 10, y: 10, label: 0 },
        ],
      });
      expect(again.embeddingCached).toBe(true);
      expect(again.encoderMs).toBe(0);
      expect(again.candidates).toHaveLength(1);
      expect(again.candidates[0]!.mask[60 * W + 90]).toBe(1);
      expect(s.stats().encoderRuns).toBe(1);
      expect(s.stats().cachedBytes).toBe(EMBEDDING_BYTES);

      const box = await s.segment({ ...click, points: [], box: { x0: 100, y0: 70, x1: 120, y1: 90 } });
      expect(box.candidates[0]!.mask[80 * W + 110]).toBe(1);
      expect(s.stats().encoderRuns).toBe(1);

      await s.segment({ ...click, frameIndex: 1, frame: frame(1), points: [{ x: 5, y: 5, label: 1 }] });
      expect(s.stats().encoderRuns).toBe(2);
      // A new clip key (the frames changed) drops the cache.
      const other = await s.segment({ ...click, clipKey: 'clip-b', points: [{ x: 5, y: 5, label: 1 }] });
      expect(other.embeddingCached).toBe(false);
      expect(s.stats()).toMatchObject({ encoderRuns: 3, cachedFrames: [0] });
    } finally {
      await s.releaseSegmenter();
    }
  });

  it('keeps the least recently used embeddings within the budget', async () => {
    const s = service(await validated(tinySam2Files()), 2 * EMBEDDING_BYTES);
    try {
      const at = (f: number) =>
        s.segment({
          clipKey: 'c',
          frameIndex: f,
          frame: frame(f),
          width: W,
          height: H,
          points: [{ x: 9, y: 9, label: 1 }],
        });
      await at(0);
      await at(1);
      await at(0);
      await at(2);
      expect(s.stats().cachedFrames).toEqual([0, 2]);
      expect((await at(0)).embeddingCached).toBe(true);
      expect((await at(1)).embeddingCached).toBe(false);
    } finally {
      await s.releaseSegmenter();
    }
  });

  it('tracks a mask through the clip, reporting each frame, and cancels', async () => {
    const s = service(await validated(tinySam2Files()));
    try {
      const frames = [0, 1, 2, 3].map(frame);
      const first = await s.segment({
        clipKey: 'k',
        frameIndex: 1,
        frame: frames[1]!,
        width: W,
        height: H,
        points: [{ x: 64, y: 48, label: 1 }],
      });
      const events: TrackEvent[] = [];
      const request = {
        clipKey: 'k',
        frames,
        width: W,
        height: H,
        startFrame: 1,
        startMask: first.candidates[0]!.mask,
        direction: 'both' as const,
        thresholds: { minScore: 0.7, minIou: 0.5 },
      };
      const r = await s.track(request, (e) => events.push(e));
      expect(r.status).toEqual(['ok', 'ok', 'ok', 'ok']);
      expect(r.masks.every((m) => m && m[48 * W + 64] === 1)).toBe(true);
      expect(events.filter((e) => e.kind === 'frame').map((e) => e.kind === 'frame' && e.frame)).toEqual([2, 3, 0]);
      expect(events.at(-1)).toEqual({ kind: 'progress', done: 3, total: 3 });
      // The track's frames were encoded once each; the start frame's embedding came from the click.
      expect(s.stats().encoderRuns).toBe(4);

      // Cancel after the first tracked frame; a second track while one runs is refused.
      let second: Promise<unknown> | undefined;
      const cancelled = s.track({ ...request, clipKey: 'k2' }, (e) => {
        if (e.kind === 'frame') {
          second = s.track(request);
          void s.cancelTrack();
        }
      });
      await expect(cancelled).rejects.toMatchObject({ code: 'CANCELLED' });
      await expect(second).rejects.toMatchObject({ code: 'SEGMENT_BUSY' });
      const after = await s.track({ ...request, direction: 'forward' });
      expect(after.stops).toEqual([{ direction: 'forward', frame: 3, reason: 'end' }]);
    } finally {
      await s.releaseSegmenter();
    }
  });

  it('refuses graphs with the wrong names, a missing model and bad prompts', async () => {
    const click = {
      clipKey: 'c',
      frameIndex: 0,
      frame: frame(0),
      width: W,
      height: H,
      points: [{ x: 1, y: 1, label: 1 as const }],
    };
    const wrongDecoder = service(
      await validated({
        ...tinySam2Files(),
        [TINY_SAM2_PATHS.decoder]: tinySam2Decoder({ inputPointsName: 'point_coords' }),
      }),
    );
    await expect(wrongDecoder.segment(click)).rejects.toMatchObject({
      code: 'MODEL_ARCHITECTURE',
      message: expect.stringMatching(
        /prompt_encoder_mask_decoder\.onnx is not the expected decoder model.*point_coords/,
      ),
    });
    const wrongEncoder = service(
      await validated({
        ...tinySam2Files(),
        [TINY_SAM2_PATHS.encoder]: tinySam2Encoder({ outputNames: ['a', 'b', 'c'] }),
      }),
    );
    await expect(wrongEncoder.segment(click)).rejects.toMatchObject({ code: 'MODEL_ARCHITECTURE' });
    await expect(service(undefined).segment(click)).rejects.toMatchObject({ code: 'MODEL_NOT_LOADED' });
    const s = service(undefined);
    for (const bad of [
      { points: [] },
      { points: [{ x: W + 1, y: 0, label: 1 as const }] },
      { frame: new Uint8Array(10) },
      { box: { x0: 5, y0: 5, x1: 5, y1: 9 } },
    ])
      await expect(s.segment({ ...click, ...bad })).rejects.toMatchObject({ code: 'SEGMENT_INPUT_INVALID' });
  });
});
