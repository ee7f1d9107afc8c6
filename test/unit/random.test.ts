/**
 * Philox4x32-10 against the Random123 known-answer vectors; the Box–Muller noise for determinism,
 * slice-independence, distribution statistics and independence across seeds and streams.
 *
 * Statistical bounds (n = 131072 samples): each is ≥ 5 standard errors of the estimate, so a correct
 * generator passes with overwhelming probability — and since seeds are fixed, results are reproducible.
 */
import { describe, expect, it } from 'vitest';
import { fillGaussian, gaussianNoise, logUniform, sinCosTurn } from '../../src/core/random/gaussian';
import { mulhi32, philox4x32 } from '../../src/core/random/philox';

const hex = (a: Uint32Array): string[] => Array.from(a, (v) => v.toString(16).padStart(8, '0'));
const N = 1 << 17;

function moments(z: Float32Array): { mean: number; std: number; skew: number; kurtosis: number } {
  let s = 0;
  for (const v of z) s += v;
  const mean = s / z.length;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (const v of z) {
    const d = v - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= z.length;
  m3 /= z.length;
  m4 /= z.length;
  return { mean, std: Math.sqrt(m2), skew: m3 / m2 ** 1.5, kurtosis: m4 / (m2 * m2) };
}

function correlation(a: Float32Array, b: Float32Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}

describe('Philox4x32-10', () => {
  it('matches the Random123 known-answer vectors', () => {
    expect(hex(philox4x32(0, 0, 0, 0, 0, 0))).toEqual(['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']);
    const ones = 0xffffffff;
    expect(hex(philox4x32(ones, ones, ones, ones, ones, ones))).toEqual([
      '408f276d',
      '41c83b0e',
      'a20bc7c6',
      '6d5451fd',
    ]);
    expect(hex(philox4x32(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0))).toEqual([
      'd16cfe09',
      '94fdcceb',
      '5001e420',
      '24126ea1',
    ]);
  });

  it('mulhi32 equals the BigInt product', () => {
    const pairs = [
      [0xffffffff, 0xffffffff],
      [0xd2511f53, 0x12345678],
      [0xcd9e8d57, 1],
      [0x80000000, 2],
      [0, 0xdeadbeef],
    ];
    for (const [a, b] of pairs) expect(mulhi32(a!, b!)).toBe(Number((BigInt(a!) * BigInt(b!)) >> 32n));
  });
});

describe('elementary functions from basic arithmetic', () => {
  it('logUniform and sinCosTurn agree with Math to 1e-14', () => {
    const sc: [number, number] = [0, 0];
    let logErr = 0;
    let trigErr = 0;
    for (let i = 0; i < 20000; i++) {
      const x = Math.imul(i, 0x9e3779b1) >>> 0;
      logErr = Math.max(logErr, Math.abs(logUniform(x) - Math.log((x + 0.5) / 2 ** 32)));
      sinCosTurn(x, sc);
      const theta = (2 * Math.PI * (x + 0.5)) / 2 ** 32;
      trigErr = Math.max(trigErr, Math.abs(sc[0] - Math.cos(theta)), Math.abs(sc[1] - Math.sin(theta)));
    }
    expect(logErr).toBeLessThan(1e-14);
    expect(trigErr).toBeLessThan(1e-14);
    expect(logUniform(0)).toBeCloseTo(-33 * Math.LN2, 12);
    expect(logUniform(0xffffffff)).toBeLessThan(0);
  });
});

describe('gaussianNoise', () => {
  it('is a pure function of (seed, stream, index): same inputs, same bits; any slice reproduces', () => {
    const a = gaussianNoise(7, [2, 4, 8, 8]);
    const b = gaussianNoise(7, [2, 4, 8, 8]);
    expect(b).toEqual(a);
    expect(a.length).toBe(512);
    for (const [offset, len] of [
      [0, 3],
      [1, 6],
      [5, 100],
      [509, 3],
    ] as const) {
      expect(fillGaussian(new Float32Array(len), 7, 0, offset)).toEqual(a.subarray(offset, offset + len));
    }
    // The shape is only a view: the sequence does not depend on it.
    expect(gaussianNoise(7, [512])).toEqual(a);
  });

  it('pins the exact values (any engine must produce these float32 values)', () => {
    expect(Array.from(gaussianNoise(0, [8]))).toEqual([
      0.991137683391571, -0.9246625900268555, -0.6176089644432068, -0.48206859827041626, -0.15363822877407074,
      0.18082590401172638, 0.8317351341247559, 0.19743971526622772,
    ]);
    expect(Array.from(gaussianNoise(2 ** 40 + 7, [4], 3))).toEqual([
      -0.22249260544776917, -0.38499945402145386, -1.0488938093185425, 0.5205426812171936,
    ]);
  });

  it('is standard normal: mean, std, skew, kurtosis and tail fractions within stated bounds', () => {
    const z = gaussianNoise(12345, [N]);
    const m = moments(z);
    expect(Math.abs(m.mean)).toBeLessThan(0.015); // SE 0.0028
    expect(Math.abs(m.std - 1)).toBeLessThan(0.01); // SE 0.0020
    expect(Math.abs(m.skew)).toBeLessThan(0.04); // SE 0.0068
    expect(Math.abs(m.kurtosis - 3)).toBeLessThan(0.08); // SE 0.0135
    let within1 = 0;
    let below196 = 0;
    let maxAbs = 0;
    for (const v of z) {
      if (Math.abs(v) < 1) within1++;
      if (v < -1.959964) below196++;
      maxAbs = Math.max(maxAbs, Math.abs(v));
    }
    expect(Math.abs(within1 / N - 0.682689)).toBeLessThan(0.007); // SE 0.0013
    expect(Math.abs(below196 / N - 0.025)).toBeLessThan(0.003); // SE 0.00043
    expect(maxAbs).toBeLessThan(Math.sqrt(66 * Math.LN2));
    expect(maxAbs).toBeGreaterThan(3.5);
  });

  it('neighbouring elements, seeds and streams are uncorrelated', () => {
    const a = gaussianNoise(1, [N]);
    const b = gaussianNoise(2, [N]);
    const c = gaussianNoise(1, [N], 1);
    const d = gaussianNoise(1 + 2 ** 32, [N]); // differs only in the high key word
    for (const other of [b, c, d]) expect(Math.abs(correlation(a, other))).toBeLessThan(0.015); // SE 0.0028
    expect(Math.abs(correlation(a.subarray(1), a.subarray(0, N - 1)))).toBeLessThan(0.015);
    expect(Math.abs(correlation(a.subarray(2), a.subarray(0, N - 2)))).toBeLessThan(0.015);
  });

  it('rejects bad seeds and shapes', () => {
    expect(() => gaussianNoise(-1, [4])).toThrow(RangeError);
    expect(() => gaussianNoise(1.5, [4])).toThrow(RangeError);
    expect(() => gaussianNoise(2 ** 53, [4])).toThrow(RangeError);
    expect(() => gaussianNoise(1, [2, -1])).toThrow(RangeError);
  });
});
