/**
 * Forward diffusion q(x_t | x_0) — diffusers `add_noise`:  x_t = √ᾱ_t · x_0 + √(1 − ᾱ_t) · ε.
 * Float32 rounding per op in torch's order (sqrt, mul, mul, add), so results match torch bit-for-bit.
 * Lives in src/core (pure) because latent blending (./blend.ts) needs it too; the scheduler re-uses it.
 */

const f32 = Math.fround;

export interface NoiseCoefficients {
  readonly sqrtAlpha: number;
  readonly sqrtOneMinusAlpha: number;
}

/** √ᾱ and √(1 − ᾱ) in float32 for one ᾱ_t (itself a float32 value). */
export function noiseCoefficients(alphaCumprod: number): NoiseCoefficients {
  if (!(alphaCumprod > 0 && alphaCumprod <= 1)) throw new RangeError(`ᾱ must be in (0, 1], got ${alphaCumprod}`);
  return { sqrtAlpha: f32(Math.sqrt(alphaCumprod)), sqrtOneMinusAlpha: f32(Math.sqrt(f32(1 - alphaCumprod))) };
}

export function addNoiseInto(
  original: Float32Array,
  noise: Float32Array,
  sqrtAlpha: number,
  sqrtOneMinusAlpha: number,
  out: Float32Array = new Float32Array(original.length),
): Float32Array {
  const n = original.length;
  if (noise.length !== n || out.length !== n) {
    throw new RangeError(`add_noise: original ${n}, noise ${noise.length}, out ${out.length} values`);
  }
  for (let i = 0; i < n; i++) out[i] = f32(sqrtAlpha * original[i]!) + f32(sqrtOneMinusAlpha * noise[i]!);
  return out;
}
