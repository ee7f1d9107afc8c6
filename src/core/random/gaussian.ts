/**
 * Seeded, reproducible N(0, 1) noise: Philox4x32-10 (./philox.ts) + Box–Muller.
 *
 *   element n of stream s, seed k:  block b = ⌊n/4⌋, lane n mod 4
 *   (x0, x1, x2, x3) = philox4x32(counter = (b mod 2^32, ⌊b/2^32⌋, s mod 2^32, ⌊s/2^32⌋),
 *                                 key = (k mod 2^32, ⌊k/2^32⌋))
 *   lanes 0,1 from (x0, x1), lanes 2,3 from (x2, x3):
 *   u = (x_even + ½)/2^32 ∈ (0, 1),  θ = 2π (x_odd + ½)/2^32
 *   z_even = √(−2 ln u) · cos θ,     z_odd = √(−2 ln u) · sin θ        (then rounded to float32)
 *
 * The value of an element depends only on (seed, stream, n): any slice can be generated independently
 * (GPU or worker chunks) and the same seed gives the same noise in Node and every browser. To make that
 * literal, ln, sin and cos are computed here from +, −, ×, ÷ and √ only (IEEE correctly rounded in every
 * engine) instead of Math.log/Math.cos, whose last bits differ between engines. Accuracy ≈ 1e-15, far below
 * float32 resolution. |z| ≤ √(66 ln 2) ≈ 6.77 by construction.
 */
import { philox4x32 } from './philox';

const TWO32 = 4294967296;
const LN2 = 0.6931471805599453;
const SQRT2 = Math.SQRT2;
const HALF_PI = Math.PI / 2;

/** ln((x + ½) / 2^32) for a u32 x, from basic arithmetic only. */
export function logUniform(x: number): number {
  const v = 2 * x + 1; // (x + ½)/2^32 = v / 2^33, v odd in [1, 2^33)
  let k = v >= TWO32 ? 32 : 31 - Math.clz32(v);
  let m = v / 2 ** k; // [1, 2), exact
  if (m > SQRT2) {
    m /= 2;
    k += 1;
  }
  // ln m = 2·atanh(s) = 2(s + s³/3 + s⁵/5 + …), |s| ≤ 0.1716: 12 terms reach < 1e-17.
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  let series = 1 / 25;
  for (let j = 23; j >= 1; j -= 2) series = 1 / j + s2 * series;
  return 2 * s * series + (k - 33) * LN2;
}

/** cos and sin of 2π(x + ½)/2^32 for a u32 x: quadrant from the top 2 bits, Taylor series on [0, π/2). */
export function sinCosTurn(x: number, out: [number, number]): void {
  const quadrant = x >>> 30;
  const phi = (((x & 0x3fffffff) + 0.5) / 1073741824) * HALF_PI;
  const p2 = phi * phi;
  // Horner forms of Σ (−1)^i φ^(2i)/(2i)! and φ·Σ (−1)^i φ^(2i)/(2i+1)!, up to φ^22: error < 1e-18.
  let c = 1;
  let s = 1;
  for (let i = 11; i >= 1; i--) {
    c = 1 - (p2 / ((2 * i - 1) * (2 * i))) * c;
    s = 1 - (p2 / (2 * i * (2 * i + 1))) * s;
  }
  s *= phi;
  switch (quadrant) {
    case 0:
      out[0] = c;
      out[1] = s;
      break;
    case 1:
      out[0] = -s;
      out[1] = c;
      break;
    case 2:
      out[0] = -c;
      out[1] = -s;
      break;
    default:
      out[0] = s;
      out[1] = -c;
  }
}

function checkU53(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative safe integer, got ${v}`);
}

/**
 * Fills `out` with elements [offset, offset + out.length) of the (seed, stream) sequence.
 * `stream` separates independent uses of one seed (e.g. the posterior sample vs. the blend noise of step i).
 */
export function fillGaussian(out: Float32Array, seed: number, stream = 0, offset = 0): Float32Array {
  checkU53('seed', seed);
  checkU53('stream', stream);
  checkU53('offset', offset);
  const k0 = seed % TWO32;
  const k1 = Math.floor(seed / TWO32);
  const s0 = stream % TWO32;
  const s1 = Math.floor(stream / TWO32);
  const bits = new Uint32Array(4);
  const sc: [number, number] = [0, 0];
  const z = new Float64Array(4);
  const end = offset + out.length;
  for (let block = Math.floor(offset / 4); block * 4 < end; block++) {
    philox4x32(block % TWO32, Math.floor(block / TWO32), s0, s1, k0, k1, bits);
    for (let pair = 0; pair < 2; pair++) {
      const r = Math.sqrt(-2 * logUniform(bits[2 * pair]!));
      sinCosTurn(bits[2 * pair + 1]!, sc);
      z[2 * pair] = r * sc[0];
      z[2 * pair + 1] = r * sc[1];
    }
    for (let lane = 0; lane < 4; lane++) {
      const n = block * 4 + lane;
      if (n >= offset && n < end) out[n - offset] = z[lane]!;
    }
  }
  return out;
}

/** N(0, 1) noise of the given shape (row-major), reproducible from (seed, stream). */
export function gaussianNoise(seed: number, shape: readonly number[], stream = 0): Float32Array {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`bad noise shape [${shape.join(', ')}]`);
  }
  return fillGaussian(new Float32Array(shape.reduce((a, d) => a * d, 1)), seed, stream);
}
