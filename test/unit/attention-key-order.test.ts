/**
 * The key order the row kernel's modulated pass walks (key-order.ts): runs of equal region bits, a permutation of
 * the keys, and a table size the memory plan can state in advance.
 */
import { describe, expect, test } from 'vitest';
import { keyOrderWords, keyRegionOrder } from '../../workers/engine/kernels/attention/key-order';

describe('keyRegionOrder', () => {
  test('runs in ascending bits, keys in ascending index within a run, perm a permutation', () => {
    const bits = Uint32Array.from([3, 0, 1, 3, 0, 4, 1, 1]);
    const { runs, table } = keyRegionOrder(bits);
    expect(runs).toBe(4);
    expect(table.length).toBe(keyOrderWords(8, 4));
    expect(table[0]).toBe(4);
    // (start, end, bits) per run.
    expect(Array.from(table.subarray(1, 13))).toEqual([0, 2, 0, 2, 5, 1, 5, 7, 3, 7, 8, 4]);
    expect(Array.from(table.subarray(13))).toEqual([1, 4, 2, 6, 7, 0, 3, 5]);
  });

  test('every slot of a run holds a key with that run’s bits; all keys appear once', () => {
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const bits = Uint32Array.from(
      { length: 1000 },
      () => (rnd() < 0.3 ? 0 : 1 << Math.floor(rnd() * 5)) | (rnd() < 0.1 ? 2 : 0),
    );
    const { runs, table } = keyRegionOrder(bits);
    const perm = table.subarray(1 + 3 * runs);
    expect(new Set(perm).size).toBe(1000);
    let covered = 0;
    for (let g = 0; g < runs; g++) {
      const [start, end, b] = table.subarray(1 + 3 * g, 4 + 3 * g) as unknown as [number, number, number];
      expect(start).toBe(covered);
      expect(end).toBeGreaterThan(start);
      for (let s = start; s < end; s++) expect(bits[perm[s]!]).toBe(b);
      covered = end;
    }
    expect(covered).toBe(1000);
  });

  test('one run when every key has the same bits; cross-attention text bits (Nk 77)', () => {
    expect(keyRegionOrder(new Uint32Array(16).fill(5)).runs).toBe(1);
    const text = Uint32Array.from({ length: 77 }, (_, i) => (i === 2 || i === 3 ? 1 : i === 6 ? 2 : 0));
    const { runs, table } = keyRegionOrder(text);
    expect(runs).toBe(3);
    expect(Array.from(table.subarray(1, 10))).toEqual([0, 74, 0, 74, 76, 1, 76, 77, 2]);
  });
});
