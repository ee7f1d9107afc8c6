import { describe, expect, test } from 'vitest';
import { describeShared, readShared } from '../helpers/node/shared';
import { referenceAttention } from '../../src/core/attention/reference';
import { cfgItemStrength, selfModulationMaps, type AttentionShape } from '../../src/core/attention/types';
import { treg } from '../../src/core/schedule/policy';
import { GOLDEN_ATTENTION_FILE, loadGoldenAttention, maxAbsDiff } from '../gpu/attention-golden-inputs';

describeShared('reference attention vs the golden ST-Layout formula (1e-5)', () => {
  const golden = loadGoldenAttention(readShared(GOLDEN_ATTENTION_FILE));

  test.each([
    ['self.out (official F²·h·w size_reg)', golden.self],
    ['self.out_fhw (fixSelfSizeReg)', golden.selfFhw],
    ['cross.out (per-frame maps, 77 text keys)', golden.cross],
  ] as const)('%s', (_name, c) => {
    const out = referenceAttention(c.shape, c.q, c.k, c.v, c.modulation);
    expect(out.length).toBe(c.expected.length);
    expect(maxAbsDiff(out, c.expected)).toBeLessThan(1e-5);
    // The modulation must actually matter here, or the check above proves nothing.
    expect(maxAbsDiff(c.expected, c.expectedUnmodulated)).toBeGreaterThan(1e-2);
  });

  test.each([
    ['self', golden.self],
    ['cross', golden.cross],
  ] as const)('%s out_unmodulated: no modulation and a = 0 both give plain attention', (_name, c) => {
    const plain = referenceAttention(c.shape, c.q, c.k, c.v);
    expect(maxAbsDiff(plain, c.expectedUnmodulated)).toBeLessThan(1e-5);
    const zero = { maps: c.modulation.maps, itemStrength: new Float32Array(c.shape.batch) };
    expect(referenceAttention(c.shape, c.q, c.k, c.v, zero)).toEqual(plain);
  });

  test('treg(981) matches the golden float32 value', () => {
    expect(treg(981)).toBeCloseTo(0.903920889, 7);
  });
});

describe('reference attention semantics', () => {
  const shape: AttentionShape = { batch: 2, kvBatch: 1, queries: 3, keys: 4, heads: 2, headDim: 2 };
  const q = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => Math.sin(i));
  const k = Float32Array.from({ length: 4 * 4 }, (_, i) => Math.cos(i * 0.7));
  const v = Float32Array.from({ length: 4 * 4 }, (_, i) => i - 5);

  test('a = 1 with all-one regions gives the uniform average of V', () => {
    const maps = selfModulationMaps(new Uint32Array(4).fill(1), new Float32Array(4).fill(1));
    const sq: AttentionShape = { ...shape, batch: 1, queries: 4 };
    const out = referenceAttention(
      sq,
      Float32Array.from({ length: 16 }, (_, i) => i * 0.1),
      k,
      v,
      {
        maps,
        itemStrength: new Float32Array([1]),
      },
    );
    for (let j = 0; j < 4; j++) expect(out[j]).toBeCloseTo((v[j]! + v[4 + j]! + v[8 + j]! + v[12 + j]!) / 4, 6);
  });

  test('CFG switch modulates only the chosen half; K/V broadcast over items', () => {
    const maps = {
      groups: 1,
      queryBits: new Uint32Array([1, 0, 3]),
      keyBits: new Uint32Array([1, 2, 0, 1]),
      sizeReg: new Float32Array([0.9, 0.8, 0.7]),
    };
    const plain = referenceAttention(shape, q, k, v);
    const uncond = referenceAttention(shape, q, k, v, { maps, itemStrength: cfgItemStrength(2, 'uncond', 0.5) });
    const half = 3 * 4;
    expect(maxAbsDiff(uncond.subarray(half), plain.subarray(half))).toBe(0);
    expect(maxAbsDiff(uncond.subarray(0, half), plain.subarray(0, half))).toBeGreaterThan(1e-3);
    // Row of each output is a convex combination of V rows: within V's range per channel.
    for (const x of plain) expect(Math.abs(x)).toBeLessThanOrEqual(11);
  });

  test('rejects maps of the wrong length', () => {
    const maps = selfModulationMaps(new Uint32Array(2), new Float32Array(3));
    expect(() => referenceAttention(shape, q, k, v, { maps, itemStrength: new Float32Array(2) })).toThrow(/queryBits/);
  });
});
