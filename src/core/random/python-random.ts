/**
 * CPython's `random` module, bit for bit, for the calls the FLATTEN trajectory sampler makes
 * (knightyxp/VideoGrain `sample_trajectories_new` resolves flow conflicts with `random.randint`).
 *
 * - MT19937 (Matsumoto & Nishimura 1998, the mt19937ar.c reference): `init_genrand`, `init_by_array`,
 *   `genrand_uint32` (tempering included).
 * - `seed(n)` for an int n (CPython `random_seed`, Modules/_randommodule.c): key = the 32-bit chunks of |n|,
 *   least significant first ([0] for n = 0), then `init_by_array(key)`.
 * - `getrandbits(k)` (`_random_Random_getrandbits_impl`): k ≤ 32 → one word >> (32 − k); otherwise words
 *   from least to most significant, the last one shifted right by (32 − remaining bits).
 * - `randbelow(n)` (Lib/random.py `_randbelow_with_getrandbits`): k = n.bit_length(); r = getrandbits(k)
 *   until r < n (0 for n = 0, consuming nothing). `randint(a, b)` = a + randbelow(b − a + 1).
 *
 * Integer arithmetic is u32 via Math.imul and `>>> 0`, so it is exact in every JS engine.
 */

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

export class PythonRandom {
  private readonly mt = new Uint32Array(N);
  private mti = N + 1;

  /** `random.Random(n)`: seeded as `random.seed(n)` for a (non-negative or negative) safe integer or bigint. */
  constructor(seed: number | bigint = 0) {
    this.seed(seed);
  }

  /** `random.seed(n)` for an int n: |n| split into 32-bit chunks (least significant first) → init_by_array. */
  seed(n: number | bigint): void {
    if (typeof n === 'number' && !Number.isSafeInteger(n)) {
      throw new RangeError(`PythonRandom.seed: ${n} is not a safe integer; pass a bigint for large seeds`);
    }
    let v = BigInt(n);
    if (v < 0n) v = -v;
    const key: number[] = [];
    while (v > 0n) {
      key.push(Number(v & 0xffffffffn));
      v >>= 32n;
    }
    if (key.length === 0) key.push(0);
    this.initByArray(key);
  }

  /** mt19937ar `init_genrand(s)`. */
  initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]!;
      mt[i] = (Math.imul(1812433253, (prev ^ (prev >>> 30)) >>> 0) + i) >>> 0;
    }
    this.mti = N;
  }

  /** mt19937ar `init_by_array(key, key_length)`. */
  initByArray(key: readonly number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1]!;
      mt[i] = ((mt[i]! ^ Math.imul((prev ^ (prev >>> 30)) >>> 0, 1664525)) + (key[j]! >>> 0) + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1]!;
      mt[i] = ((mt[i]! ^ Math.imul((prev ^ (prev >>> 30)) >>> 0, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
    }
    mt[0] = 0x80000000; // MSB is 1, assuring a non-zero initial array
    this.mti = N;
  }

  /** mt19937ar `genrand_int32()`: the next tempered 32-bit word. */
  genrandUint32(): number {
    const mt = this.mt;
    if (this.mti >= N) {
      if (this.mti === N + 1) this.initGenrand(5489);
      let kk = 0;
      for (; kk < N - M; kk++) {
        const y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK);
        mt[kk] = mt[kk + M]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      for (; kk < N - 1; kk++) {
        const y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK);
        mt[kk] = mt[kk + (M - N)]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      const y = (mt[N - 1]! & UPPER_MASK) | (mt[0]! & LOWER_MASK);
      mt[N - 1] = mt[M - 1]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      this.mti = 0;
    }
    let y = mt[this.mti++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** `random.getrandbits(k)` for 0 ≤ k ≤ 32, as a number. */
  getrandbits32(k: number): number {
    if (!Number.isInteger(k) || k < 0 || k > 32) throw new RangeError(`getrandbits32: k = ${k} is not in [0, 32]`);
    if (k === 0) return 0;
    return this.genrandUint32() >>> (32 - k);
  }

  /** `random.getrandbits(k)` for any k ≥ 0, as a bigint (words least significant first). */
  getrandbits(k: number): bigint {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`getrandbits: k = ${k} must be a non-negative integer`);
    if (k <= 32) return BigInt(this.getrandbits32(k));
    let out = 0n;
    let shift = 0n;
    for (let left = k; left > 0; left -= 32) {
      let r = this.genrandUint32();
      if (left < 32) r >>>= 32 - left;
      out |= BigInt(r) << shift;
      shift += 32n;
    }
    return out;
  }

  /** `Random._randbelow_with_getrandbits(n)` for 0 ≤ n ≤ 2^32 − 1 (0 → 0, consuming nothing). */
  randbelow(n: number): number {
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`randbelow: n = ${n} out of range`);
    if (n === 0) return 0;
    const k = 32 - Math.clz32(n); // n.bit_length()
    let r = this.getrandbits32(k);
    while (r >= n) r = this.getrandbits32(k);
    return r;
  }

  /** `random.randint(a, b)` = a + randbelow(b − a + 1); a ≤ b required, as CPython's randrange refuses an empty range. */
  randint(a: number, b: number): number {
    if (!Number.isInteger(a) || !Number.isInteger(b) || b < a) {
      throw new RangeError(`randint: empty or non-integer range (${a}, ${b})`);
    }
    return a + this.randbelow(b - a + 1);
  }
}
