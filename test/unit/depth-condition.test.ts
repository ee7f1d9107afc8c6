/**
 * Depth conditions (issue 16, DESIGN §3.7): the annotators' pre/post-processing on hand-checkable inputs
 * (src/core/conditions/depth.ts), the runner on tiny stand-ins of the ONNX exports with the real names
 * (test/fixtures/tiny-depth.ts) on Node's wasm backend, and the condition registry's model refusal and cache.
 */
import { describe, expect, it } from 'vitest';
import {
  annotatorResize,
  midasToUint8,
  percentile,
  reflectPad,
  roundHalfEven,
  zoeNetSize,
  zoePad,
  zoeToUint8,
} from '../../src/core/conditions/depth';
import { resamplePlanes } from '../../src/core/conditions/resample';
import { resolveModelFiles } from '../../src/core/models/resolve';
import { validateModel } from '../../src/core/models/validate';
import { estimateDepthMaps } from '../../workers/engine/conditions/depth';
import { createConditionService, type EstimatorModelSource } from '../../workers/engine/edit/conditions';
import { openOnnxModel } from '../../workers/engine/onnx-models/session';
import { tinyMidasFiles, tinyZoeFiles } from '../fixtures/tiny-depth';
import { MemorySource } from '../helpers/memory-source';

async function openTiny(kind: 'midas' | 'zoe') {
  const source = new MemorySource(kind === 'midas' ? tinyMidasFiles() : tinyZoeFiles(), `tiny-${kind}`);
  const model = await validateModel(source, kind, await resolveModelFiles(source, kind));
  return { model, open: () => openOnnxModel(model, { kind: 'cpu' }) };
}

/** A 64² gray frame whose value rises left → right (4·x). */
function rampFrame(size = 64): Uint8Array {
  const rgba = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const p = (y * size + x) * 4;
      rgba.fill(Math.min(255, 4 * x), p, p + 3);
      rgba[p + 3] = 255;
    }
  return rgba;
}

describe('depth pre/post-processing (the annotators)', () => {
  it('resize_image sizes: short side 384, multiples of 64, NumPy rounding', () => {
    expect(annotatorResize(512, 512, 384)).toEqual({ height: 384, width: 384 });
    expect(annotatorResize(64, 64, 384)).toEqual({ height: 384, width: 384 });
    // 1280 · 384/720 / 64 = 10.67 → 11 · 64
    expect(annotatorResize(720, 1280, 384)).toEqual({ height: 384, width: 704 });
    expect([0.5, 1.5, 2.5, -0.5, 2.4].map(roundHalfEven)).toEqual([0, 2, 2, -0, 2]);
  });

  it('MiDaS: min–max of a ramp to 8 bits (float32, truncated: 0.7·255 → 178), no inversion', () => {
    const ramp = Float32Array.from({ length: 11 }, (_, i) => 7 + i); // 7 … 17: (d − 7) / 10 in float32
    expect(Array.from(midasToUint8(ramp))).toEqual([0, 25, 51, 76, 102, 127, 153, 178, 204, 229, 255]);
    expect(Array.from(midasToUint8(new Float32Array(4).fill(3)))).toEqual([0, 0, 0, 0]);
  });

  it('Zoe: 2 % / 85 % percentiles, inverted, clipped', () => {
    const depth = Float32Array.from({ length: 101 }, (_, i) => i); // percentiles are exactly 2 and 85
    expect(percentile(depth, 2)).toBe(2);
    expect(percentile(depth, 85)).toBe(85);
    expect(percentile(Float32Array.from([1, 2, 3, 4]), 50)).toBe(2.5);
    const map = zoeToUint8(depth);
    expect(map[0]).toBe(255); // nearer than the 2nd percentile: clipped white
    expect(map[2]).toBe(255);
    expect(map[44]).toBe(125); // 1 − 42/83 = 0.4940 → 125.97 → 125
    expect(map[85]).toBe(0);
    expect(map[100]).toBe(0); // farther than the 85th percentile: clipped black
  });

  it('ZoeDepth padding and the core’s minimal keep-aspect resize', () => {
    expect(zoePad(512)).toBe(48); // ⌊√256 · 3⌋
    expect(zoePad(64)).toBe(16);
    expect(zoeNetSize(608, 608)).toEqual({ height: 512, width: 512 }); // 512/608 is nearer to 1 than 384/608
    expect(zoeNetSize(96, 96)).toEqual({ height: 384, width: 384 });
    const row = Float32Array.from([1, 2, 3, 4]);
    expect(Array.from(reflectPad(row, 1, 1, 4, 0, 2))).toEqual([3, 2, 1, 2, 3, 4, 3, 2]);
  });

  it('resampling follows OpenCV/PyTorch: INTER_AREA averages, bilinear keeps ramps, align_corners ends', () => {
    const four = Float32Array.from([0, 4, 8, 12]);
    expect(Array.from(resamplePlanes(four, 1, 1, 4, 1, 2, 'area'))).toEqual([2, 10]);
    // 4 → 3 by area: each output covers 4/3 input pixels
    expect(Array.from(resamplePlanes(four, 1, 1, 4, 1, 3, 'area')).map((v) => +v.toFixed(4))).toEqual([1, 6, 11]);
    expect(Array.from(resamplePlanes(four, 1, 1, 4, 1, 7, 'linear-corners')).map((v) => +v.toFixed(4))).toEqual([
      0, 2, 4, 6, 8, 10, 12,
    ]);
    expect(Array.from(resamplePlanes(Float32Array.from([0, 8]), 1, 1, 2, 1, 4, 'linear'))).toEqual([0, 2, 6, 8]);
    const cubic = resamplePlanes(four, 1, 1, 4, 1, 8, 'cubic');
    // src −0.25: taps (clamped) 0, 0, 0, 4 with weight far(1.25) = −0.10546875 on the 4 (A = −0.75, as PyTorch)
    expect(cubic[0]).toBeCloseTo(-0.421875, 6);
  });
});

describe('depth estimators on tiny ONNX stand-ins (wasm)', () => {
  it('MiDaS: brighter (nearer by the stand-in) frame pixels give brighter map pixels; RGB gray; 64² drafts', async () => {
    const { open } = await openTiny('midas');
    const model = await open();
    try {
      const [map] = await estimateDepthMaps('depth', [rampFrame()], 64, 64, model);
      expect(map!.length).toBe(64 * 64 * 4);
      const at = (x: number) => map![(32 * 64 + x) * 4]!;
      expect(at(0)).toBeLessThanOrEqual(2);
      expect(at(63)).toBeGreaterThanOrEqual(253);
      for (let x = 1; x < 64; x++) expect(at(x)).toBeGreaterThanOrEqual(at(x - 1));
      expect(Math.abs(at(32) - 128)).toBeLessThanOrEqual(6); // the stand-in's depth is linear in the input ramp
      expect(map![(32 * 64 + 10) * 4 + 1]).toBe(at(10));
      expect(map![(32 * 64 + 10) * 4 + 3]).toBe(255);
    } finally {
      await model.release();
    }
  });

  it('Zoe: the same stand-in inverted (near = large metric depth here → dark), flip-averaged (symmetric frame stays symmetric)', async () => {
    const { open } = await openTiny('zoe');
    const model = await open();
    try {
      const [map] = await estimateDepthMaps('depth_zoe', [rampFrame()], 64, 64, model);
      const at = (x: number) => map![(32 * 64 + x) * 4]!;
      expect(at(0)).toBe(255);
      expect(at(63)).toBe(0);
      for (let x = 1; x < 64; x++) expect(at(x)).toBeLessThanOrEqual(at(x - 1));
    } finally {
      await model.release();
    }
  });

  it('the registry refuses a missing estimator by name and caches computed maps per frames/kind/options/model', async () => {
    const { open } = await openTiny('midas');
    let opens = 0;
    let loaded = false;
    const models: EstimatorModelSource = {
      loaded: (kind) => (kind === 'midas' && loaded ? { id: 'tiny-midas', open: () => (opens++, open()) } : undefined),
      missingHint: (kind, condition) => `${condition} needs ${kind}: --condition-model <dir>`,
    };
    const service = createConditionService({ models });
    const input = { kind: 'depth' as const, frames: [rampFrame()], width: 64, height: 64, options: {} };
    await expect(service.compute(input)).rejects.toMatchObject({
      code: 'CONDITION_UNAVAILABLE',
      message: 'depth needs midas: --condition-model <dir>',
    });
    loaded = true;
    const a = await service.compute(input);
    const b = await service.compute({ ...input, options: { low: 1 } }); // canny's option: same depth map
    expect(b).toBe(a);
    expect(opens).toBe(1);
    expect(service.cached()).toBe(1);
    const controller = new AbortController();
    controller.abort();
    await expect(service.compute({ ...input, frames: [rampFrame().fill(9)] }, controller.signal)).rejects.toMatchObject(
      { code: 'CANCELLED' },
    );
    expect(opens).toBe(2); // opened, then released after the cancellation
  });
});
