/** Latent blending (DESIGN §3.5) checked against its definition. */
import { describe, expect, it } from 'vitest';
import {
  type LatentShape,
  blendLatents,
  blendWithFreshNoise,
  blendWithInversion,
  unionMasks,
} from '../../src/core/latents/blend';
import { gaussianNoise } from '../../src/core/random/gaussian';
import { DdimScheduler } from '../../workers/engine/scheduler/ddim';

const shape: LatentShape = { frames: 3, channels: 4, height: 5, width: 6 };
const plane = 30;
const size = 3 * 4 * plane;
const z = gaussianNoise(1, [size]);
const z0 = gaussianNoise(2, [size]);
const eps = gaussianNoise(3, [size]);
const inverted = gaussianNoise(4, [size]);
const ddim = new DdimScheduler();
const t = 781;
const alpha = ddim.alphasCumprod[t]!;

/** A mask with 0, 1 and fractional values that differs per frame. */
const mask = Float32Array.from({ length: 3 * plane }, (_, i) => [0, 1, 0.25, 1, 0][(i * 7) % 5]!);

describe('blendWithFreshNoise', () => {
  it('M = 1 keeps the latent; M = 0 gives add_noise(z0_mean, ε, t) exactly (the scheduler’s add_noise)', () => {
    const keep = blendWithFreshNoise(shape, z, new Float32Array(3 * plane).fill(1), z0, eps, alpha);
    expect(keep).toEqual(z);
    const reset = blendWithFreshNoise(shape, z, new Float32Array(3 * plane), z0, eps, alpha);
    expect(reset).toEqual(ddim.addNoise(z0, eps, t));
  });

  it('each element is z·m + (√ᾱ·z0 + √(1−ᾱ)·ε)·(1 − m), m broadcast over the 4 channels', () => {
    const out = blendWithFreshNoise(shape, z, mask, z0, eps, alpha);
    let maxErr = 0;
    for (let f = 0; f < 3; f++) {
      for (let c = 0; c < 4; c++) {
        for (let p = 0; p < plane; p++) {
          const i = (f * 4 + c) * plane + p;
          const m = mask[f * plane + p]!;
          const bg = Math.sqrt(alpha) * z0[i]! + Math.sqrt(1 - alpha) * eps[i]!;
          maxErr = Math.max(maxErr, Math.abs(out[i]! - (z[i]! * m + bg * (1 - m))));
        }
      }
    }
    expect(maxErr).toBeLessThan(1e-6);
  });

  it('works in place and validates sizes', () => {
    const copy = z.slice();
    const out = blendWithFreshNoise(shape, copy, mask, z0, eps, alpha, copy);
    expect(out).toBe(copy);
    expect(copy).toEqual(blendWithFreshNoise(shape, z, mask, z0, eps, alpha));
    expect(() => blendWithFreshNoise(shape, z, new Float32Array(plane), z0, eps, alpha)).toThrow(/mask/);
    expect(() => blendWithFreshNoise(shape, z.subarray(1), mask, z0, eps, alpha)).toThrow(/latents/);
    expect(() => blendWithFreshNoise(shape, z, mask, z0, eps, 0)).toThrow(RangeError);
  });
});

describe('blendWithInversion', () => {
  it('takes the inverted latent outside the mask and the current latent inside', () => {
    const out = blendWithInversion(shape, z, mask, inverted);
    for (let f = 0; f < 3; f++) {
      for (let p = 0; p < plane; p++) {
        const m = mask[f * plane + p]!;
        const i = (f * 4 + 2) * plane + p;
        if (m === 1) expect(out[i]).toBe(z[i]);
        if (m === 0) expect(out[i]).toBe(inverted[i]);
        if (m === 0.25) expect(out[i]).toBeCloseTo(0.25 * z[i]! + 0.75 * inverted[i]!, 6);
      }
    }
  });

  it('generic blendLatents is the same operation', () => {
    expect(blendLatents(shape, z, mask, inverted)).toEqual(blendWithInversion(shape, z, mask, inverted));
  });
});

describe('unionMasks', () => {
  it('is the element-wise max of the region masks, zero without regions', () => {
    const a = Float32Array.from([1, 0, 0, 0.5]);
    const b = Float32Array.from([0, 0, 1, 1]);
    expect(Array.from(unionMasks([a, b], 4))).toEqual([1, 0, 1, 1]);
    expect(Array.from(unionMasks([], 4))).toEqual([0, 0, 0, 0]);
    expect(() => unionMasks([a], 5)).toThrow(RangeError);
  });
});
