/**
 * CPython-compatible MT19937 (`random.seed`, `getrandbits`, `randint`) against MT19937's published reference
 * output (mt19937ar.out: `init_by_array({0x123, 0x234, 0x345, 0x456}, 4)` → 1067595299, 955945823, …) and
 * CPython sequences derived by hand from it:
 *
 * - `random.seed(n)` with n = 0x123 + 0x234·2^32 + 0x345·2^64 + 0x456·2^96 splits n into exactly that key,
 *   so `getrandbits(32)` returns the reference words.
 * - `randint(0, 1)`: randbelow(2), k = bit_length(2) = 2 → word >> 30, rejected when ≥ 2.
 * - `randint(0, 2)`: randbelow(3), k = 2 → word >> 30, rejected when it is 3 (then the next word is drawn).
 * - `randint(0, 3)`: randbelow(4), k = 3 → word >> 29, rejected when ≥ 4.
 * - `getrandbits(64)` = w0 | w1 << 32; `getrandbits(40)` = w0 | (w1 >> 24) << 32.
 */
import { describe, expect, it } from 'vitest';
import { PythonRandom } from '../../src/core/random/python-random';

const REFERENCE_KEY_SEED = 0x123n + (0x234n << 32n) + (0x345n << 64n) + (0x456n << 96n);
// mt19937ar.out, first ten outputs of genrand_int32 after init_by_array({0x123, 0x234, 0x345, 0x456}).
const REFERENCE = [
  1067595299, 955945823, 477289528, 4107218783, 4228976476, 3344332714, 3355579695, 227628506, 810200273, 2591290167,
];

describe('PythonRandom (CPython random, MT19937)', () => {
  it('init_by_array reproduces mt19937ar.out', () => {
    const r = new PythonRandom(0);
    r.initByArray([0x123, 0x234, 0x345, 0x456]);
    expect(Array.from({ length: 10 }, () => r.genrandUint32())).toEqual(REFERENCE);
  });

  it('seed(n) splits n into 32-bit key chunks, least significant first', () => {
    const r = new PythonRandom(REFERENCE_KEY_SEED);
    expect(Array.from({ length: 10 }, () => r.getrandbits32(32))).toEqual(REFERENCE);
  });

  it('randint(0, 2) takes word >> 30 and rejects 3', () => {
    // words >> 30: 0 0 0 3 3 3 3 0 0 2 → accepted 0 0 0 (reject ×4) 0 0 2
    const expected = REFERENCE.map((w) => w >>> 30).filter((v) => v < 3);
    expect(expected).toEqual([0, 0, 0, 0, 0, 2]);
    const r = new PythonRandom(REFERENCE_KEY_SEED);
    expect(Array.from({ length: 6 }, () => r.randint(0, 2))).toEqual(expected);
  });

  it('randint(0, 1) and randint(0, 3) use bit_length(n) bits with rejection', () => {
    const r1 = new PythonRandom(REFERENCE_KEY_SEED);
    const e1 = REFERENCE.map((w) => w >>> 30).filter((v) => v < 2);
    expect(Array.from({ length: e1.length }, () => r1.randint(0, 1))).toEqual(e1);
    const r3 = new PythonRandom(REFERENCE_KEY_SEED);
    const e3 = REFERENCE.map((w) => w >>> 29).filter((v) => v < 4);
    expect(e3.length).toBeGreaterThan(2);
    expect(Array.from({ length: e3.length }, () => 10 + r3.randint(0, 3))).toEqual(e3.map((v) => v + 10));
  });

  it('getrandbits(k > 32) fills words least significant first', () => {
    const w = REFERENCE.map(BigInt);
    expect(new PythonRandom(REFERENCE_KEY_SEED).getrandbits(64)).toBe(w[0]! | (w[1]! << 32n));
    expect(new PythonRandom(REFERENCE_KEY_SEED).getrandbits(40)).toBe(w[0]! | ((w[1]! >> 24n) << 32n));
    expect(new PythonRandom(REFERENCE_KEY_SEED).getrandbits(40)).toBe(241585763875n);
  });

  it('matches known CPython sequences for small seeds', () => {
    // CPython 3: random.seed(0); [random.getrandbits(32) for _ in range(3)]
    const r0 = new PythonRandom(0);
    expect([r0.getrandbits32(32), r0.getrandbits32(32), r0.getrandbits32(32)]).toEqual([
      3626764237, 1654615998, 3255389356,
    ]);
    // random.seed(42); [random.randint(0, 9) for _ in range(5)]
    const r42 = new PythonRandom(42);
    expect(Array.from({ length: 5 }, () => r42.randint(0, 9))).toEqual([1, 0, 4, 3, 3]);
    // random.seed(7); [random.randint(3, 9) for _ in range(8)]
    const r7 = new PythonRandom(7);
    expect(Array.from({ length: 8 }, () => r7.randint(3, 9))).toEqual([5, 4, 6, 8, 3, 3, 9, 7]);
    // A seed above 2^32 uses two key words: random.seed(2**40 + 7)
    const rb = new PythonRandom(2 ** 40 + 7);
    expect([rb.getrandbits32(32), rb.getrandbits32(32)]).toEqual([2635837658, 3209733218]);
  });

  it('randint(a, a) still draws words (randbelow(1) uses one bit and rejects 1), randbelow(0) draws none', () => {
    // After three words, the top bits of w3..w7 are 1 1 1 1 0: randint(5, 5) consumes w3..w7, so the next
    // getrandbits(32) is w8 (CPython 3 prints 5, 810200273).
    const r = new PythonRandom(REFERENCE_KEY_SEED);
    for (let i = 0; i < 3; i++) r.genrandUint32();
    expect(r.randint(5, 5)).toBe(5);
    expect(r.getrandbits32(32)).toBe(REFERENCE[8]);
    const z = new PythonRandom(REFERENCE_KEY_SEED);
    expect(z.randbelow(0)).toBe(0);
    expect(z.getrandbits32(32)).toBe(REFERENCE[0]);
  });

  it('refuses an empty range', () => {
    expect(() => new PythonRandom(1).randint(3, 2)).toThrow(RangeError);
  });
});
