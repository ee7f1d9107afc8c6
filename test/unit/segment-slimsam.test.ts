/**
 * The SAM v1-family segmenter (SlimSAM, kind 'slimsam'): its pre/post-processing (src/core/segment/sam.ts
 * `samV1*`, as transformers.js SamImageProcessor does it: longest side to the input, aspect kept, zero padding
 * bottom/right after normalising, points scaled by resized / original, masks upsampled to the padded input,
 * cropped, resized to the frame) on non-square frames; the segment service with the tiny SlimSAM stand-in
 * (test/fixtures/tiny-slimsam.ts, 64² input) on Node's wasm backend: a click lands where it was made on a 2:1
 * frame, the embedding is cached, box and negative points reach the decoder, graphs with wrong names are refused;
 * which segmenter runs when both kinds are loaded (`pickSegmenter`); the CLI's folder detection.
 */
import { describe, expect, it } from 'vitest';
import { resolveModelFiles } from '../../src/core/models/resolve';
import { validateModel, type ValidatedModel } from '../../src/core/models/validate';
import {
  SAM_MEAN,
  SAM_STD,
  samMaskFromLogits,
  samV1MaskFromLogits,
  samV1PixelValues,
  samV1Prompt,
  samV1ResizedSize,
} from '../../src/core/segment/sam';
import { detectSegmenterKind } from '../../workers/engine/segment/detect';
import { createSegmentService, pickSegmenter } from '../../workers/engine/segment/service';
import type { LoadedModel } from '../../workers/engine/loaded-models';
import { MemorySource } from '../helpers/memory-source';
import { tinySam2Files } from '../fixtures/tiny-sam2';
import { TINY_SLIMSAM_PATHS, tinySlimSamEncoder, tinySlimSamFiles } from '../fixtures/tiny-slimsam';

describe('SAM v1 pre/post-processing', () => {
  it('resizes the longest side keeping the aspect (floor, as transformers.js)', () => {
    expect(samV1ResizedSize(640, 480)).toEqual({ width: 1024, height: 768 });
    expect(samV1ResizedSize(480, 640)).toEqual({ width: 768, height: 1024 });
    expect(samV1ResizedSize(1000, 3)).toEqual({ width: 1024, height: 3 });
    expect(samV1ResizedSize(300, 200, 64)).toEqual({ width: 64, height: 42 });
  });

  it('normalises the resized frame into the top-left corner and pads with zeros', () => {
    // 4×2 frame, left half red 255, right half 0; input 8²: resized 8×4, rows 4–7 padding.
    const rgba = new Uint8Array(4 * 2 * 4);
    for (let y = 0; y < 2; y++)
      for (let x = 0; x < 4; x++) {
        const i = (y * 4 + x) * 4;
        rgba[i] = x < 2 ? 255 : 0;
        rgba[i + 2] = 20;
        rgba[i + 3] = 255;
      }
    const px = samV1PixelValues(rgba, 4, 2, 8);
    expect(px.length).toBe(3 * 64);
    const red = (x: number, y: number) => px[y * 8 + x]! * SAM_STD[0] + SAM_MEAN[0];
    expect(red(0, 0)).toBeCloseTo(1, 5);
    expect(red(7, 3)).toBeCloseTo(0, 5);
    // Half-pixel centres: output x 3 → source 1.25 (3/4 red), x 4 → 1.75 (1/4 red).
    expect(red(3, 1)).toBeCloseTo(0.75, 5);
    expect(red(4, 2)).toBeCloseTo(0.25, 5);
    expect(px[2 * 64 + 2 * 8 + 5]! * SAM_STD[2] + SAM_MEAN[2]).toBeCloseTo(20 / 255, 5);
    // The padding is 0 after normalising (not the normalised black), in every channel.
    for (let c = 0; c < 3; c++) for (let i = 4 * 8; i < 64; i++) expect(px[c * 64 + i]).toBe(0);
  });

  it('scales points and boxes by resized / original (the same factor on both axes up to the floor)', () => {
    const p = samV1Prompt(
      [
        { x: 320, y: 240, label: 1 },
        { x: 0, y: 480, label: 0 },
      ],
      { x0: 600, y0: 400, x1: 100, y1: 100 },
      640,
      480,
    );
    expect(Array.from(p.points)).toEqual([512, 384, 0, 768]);
    expect(Array.from(p.labels)).toEqual([1n, 0n]);
    expect(Array.from(p.box!)).toEqual([160, 160, 960, 640]);
  });

  it('upsamples logits to the padded input, crops the padding away, and resizes to the frame', () => {
    // 2×2 logits, positive in the top-left quadrant of the padded 8² input; frame 4×2 → resized 8×4, so the
    // frame is the top half of the input: its left half is inside.
    const logits = Float32Array.from([1, -1, -1, -1]);
    expect(Array.from(samV1MaskFromLogits(logits, 0, 2, 2, 4, 2, 8))).toEqual([1, 1, 0, 0, 1, 1, 0, 0]);
    // The SAM 2.1 mapping (no padding) would put the bottom row outside.
    expect(Array.from(samMaskFromLogits(logits, 0, 2, 2, 4, 2))).toEqual([1, 1, 0, 0, 0, 0, 0, 0]);
    // A portrait frame 2×4 (resized 4×8: the right half of the input is padding): its top half is inside.
    expect(Array.from(samV1MaskFromLogits(logits, 0, 2, 2, 2, 4, 8))).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
  });
});

const W = 128;
const H = 64;
const S = 64;

function frame(seed: number): Uint8Array {
  return Uint8Array.from({ length: W * H * 4 }, (_, i) => (i * 29 + seed * 13) % 251);
}

async function validated(files: Record<string, Uint8Array>, kind: 'sam2' | 'slimsam'): Promise<ValidatedModel> {
  const source = new MemorySource(files, `tiny-${kind}`);
  return validateModel(source, kind, await resolveModelFiles(source, kind));
}

function service(models: Partial<Record<'sam2' | 'slimsam', ValidatedModel>>) {
  return createSegmentService({
    models: {
      loaded: (kind) => {
        const model = models[kind as 'sam2' | 'slimsam'];
        return model ? ({ model } as LoadedModel) : undefined;
      },
    },
    target: async () => ({ kind: 'cpu' }),
  });
}

describe('segment service (tiny SlimSAM, wasm)', () => {
  it('puts a click where it was made on a 2:1 frame and caches the embedding', async () => {
    const s = service({ slimsam: await validated(tinySlimSamFiles({ inputSize: S }), 'slimsam') });
    try {
      const base = { clipKey: 'clip', frameIndex: 0, frame: frame(0), width: W, height: H };
      const r = await s.segment({ ...base, points: [{ x: 40, y: 20, label: 1 }] });
      expect(s.stats().segmenter).toBe('slimsam');
      expect(r.candidates.map((c) => c.score)).toEqual([0.9, 0.8, 0.7].map((v) => Math.fround(v)));
      const m = r.candidates[0]!.mask;
      // Resized 64×32 (scale 1/2): the smallest disc has radius S/16 = 4 input px = 8 frame px on BOTH axes
      // (aspect kept; the SAM 2.1 squash would make it 8 across and 4 down, centred at y 40).
      const at = (x: number, y: number) => m[y * W + x];
      expect([at(40, 20), at(45, 20), at(35, 20), at(40, 25), at(40, 15)]).toEqual([1, 1, 1, 1, 1]);
      expect([at(51, 20), at(29, 20), at(40, 31), at(40, 9), at(100, 50)]).toEqual([0, 0, 0, 0, 0]);
      // As wide as tall (the bilinear steps erode a quadratic disc a little: under π·8² ≈ 201 px).
      const across = Array.from({ length: W }, (_, x) => at(x, 20)).reduce((a, v) => a! + v!, 0)!;
      const down = Array.from({ length: H }, (_, y) => at(40, y)).reduce((a, v) => a! + v!, 0)!;
      expect(Math.abs(across - down)).toBeLessThanOrEqual(1);
      const area = m.reduce((a, v) => a + v, 0);
      expect(area).toBeGreaterThan(90);
      expect(area).toBeLessThan(260);
      expect(r.embeddingCached).toBe(false);

      // A box (two corner points labelled 2 and 3: the export's decoder has no input_boxes) and an Alt-click
      // negative: the disc sits at the box centre, one candidate, the encoder not run again.
      const boxed = await s.segment({
        ...base,
        points: [{ x: 120, y: 60, label: 0 }],
        box: { x0: 70, y0: 20, x1: 110, y1: 50 },
      });
      expect(boxed.embeddingCached).toBe(true);
      expect(boxed.candidates).toHaveLength(1);
      const b = boxed.candidates[0]!.mask;
      expect(b[35 * W + 90]).toBe(1);
      expect(b[20 * W + 40]).toBe(0);
      expect(s.stats().encoderRuns).toBe(1);
      expect(s.stats().decoderRuns).toBe(2);
    } finally {
      await s.releaseSegmenter();
    }
  });

  it('refuses an encoder with SAM 2.1 names under the SlimSAM kind, and the other way round', async () => {
    const click = {
      clipKey: 'c',
      frameIndex: 0,
      frame: frame(1),
      width: W,
      height: H,
      points: [{ x: 3, y: 3, label: 1 as const }],
    };
    const wrong = service({
      slimsam: await validated(
        {
          ...tinySlimSamFiles({ inputSize: S }),
          [TINY_SLIMSAM_PATHS.encoder]: tinySlimSamEncoder({ inputSize: S, outputNames: ['image_embeddings.0', 'x'] }),
        },
        'slimsam',
      ),
    });
    await expect(wrong.segment(click)).rejects.toMatchObject({
      code: 'MODEL_ARCHITECTURE',
      message: expect.stringMatching(
        /vision_encoder\.onnx is not the expected encoder model.*image_positional_embeddings/,
      ),
    });
    const swapped = service({ sam2: await validated(tinySlimSamFiles({ inputSize: S }), 'sam2') });
    await expect(swapped.segment(click)).rejects.toMatchObject({
      code: 'MODEL_ARCHITECTURE',
      message: expect.stringMatching(/looks like a SlimSAM-77 .*export: load it in that row/),
    });
    await expect(service({}).segment(click)).rejects.toMatchObject({
      code: 'MODEL_NOT_LOADED',
      message: expect.stringMatching(/SAM 2\.1 tiny, or SlimSAM-77/),
    });
  });

  it('runs SAM 2.1 when both are loaded at once, and the one loaded last otherwise', async () => {
    const a = await validated(tinySam2Files({ inputSize: S }), 'sam2');
    const b = await validated(tinySlimSamFiles({ inputSize: S }), 'slimsam');
    const b2 = await validated(tinySlimSamFiles({ inputSize: S }), 'slimsam');
    expect(pickSegmenter({}, {}, undefined)).toBeUndefined();
    expect(pickSegmenter({ slimsam: b }, {}, undefined)).toBe('slimsam');
    expect(pickSegmenter({ sam2: a, slimsam: b }, {}, undefined)).toBe('sam2');
    // SlimSAM loaded after SAM 2.1 was in use: it runs; SAM 2.1 reloaded after that: it runs again.
    expect(pickSegmenter({ sam2: a, slimsam: b }, { sam2: a }, 'sam2')).toBe('slimsam');
    expect(pickSegmenter({ sam2: a, slimsam: b }, { sam2: a, slimsam: b }, 'slimsam')).toBe('slimsam');
    expect(pickSegmenter({ sam2: b2, slimsam: b }, { sam2: a, slimsam: b }, 'slimsam')).toBe('sam2');
    // The open one unloaded (its cache deleted): the other.
    expect(pickSegmenter({ sam2: a }, { sam2: a, slimsam: b }, 'slimsam')).toBe('sam2');

    const loaded: Partial<Record<'sam2' | 'slimsam', ValidatedModel>> = { sam2: a };
    const s = service(loaded);
    try {
      const click = { clipKey: 'k', frameIndex: 0, frame: frame(2), width: W, height: H };
      await s.segment({ ...click, points: [{ x: 40, y: 20, label: 1 }] });
      expect(s.stats().segmenter).toBe('sam2');
      loaded.slimsam = b;
      // Another model: the sessions reopen and the cached embeddings (of the other encoder) are dropped.
      const r = await s.segment({ ...click, points: [{ x: 40, y: 20, label: 1 }] });
      expect(s.stats().segmenter).toBe('slimsam');
      expect(r.embeddingCached).toBe(false);
      expect(r.candidates[0]!.mask[20 * W + 44]).toBe(1);
    } finally {
      await s.releaseSegmenter();
    }
  });

  it('tells a SlimSAM folder from a SAM 2.1 one by the encoder outputs', async () => {
    expect(await detectSegmenterKind(new MemorySource(tinySlimSamFiles({ inputSize: S }), 'a'))).toBe('slimsam');
    expect(await detectSegmenterKind(new MemorySource(tinySam2Files({ inputSize: S }), 'b'))).toBe('sam2');
    const odd = {
      ...tinySam2Files({ inputSize: S }),
      'onnx/vision_encoder.onnx': tinySlimSamEncoder({ inputSize: S, outputNames: ['p', 'q'] }),
    };
    expect(await detectSegmenterKind(new MemorySource(odd, 'c'))).toBeUndefined();
  });
});
