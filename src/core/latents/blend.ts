/**
 * Latent blending (DESIGN §3.5). After each denoising step, outside the edited regions the latent is reset
 * to the source video at the current noise level:
 *
 *   reference:            z ← z·M + add_noise(z0_mean, ε_fresh, t)·(1 − M)
 *   `blendWithInversion`: z ← z·M + z_inv(t)·(1 − M)        (z_inv(t): the inverted latent of that step)
 *
 * z, z0_mean, ε, z_inv: [F, C, h, w] (C = 4); M: [F, h, w], the union of all region masks at the latent
 * grid, broadcast over channels. Float32 rounding per op (mul, 1 − M, mul, add), as torch would do it.
 * This is the CPU reference; the engine's GPU kernel must match it.
 */
import { addNoiseInto, noiseCoefficients } from './add-noise';

const f32 = Math.fround;

export interface LatentShape {
  readonly frames: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
}

function latentSize(s: LatentShape): number {
  return s.frames * s.channels * s.height * s.width;
}

function check(name: string, a: Float32Array, n: number): void {
  if (a.length !== n) throw new RangeError(`${name} has ${a.length} values, expected ${n}`);
}

/** out = z·M + background·(1 − M), M broadcast over channels. `out` may be `latents` (in place). */
export function blendLatents(
  shape: LatentShape,
  latents: Float32Array,
  mask: Float32Array,
  background: Float32Array,
  out: Float32Array = new Float32Array(latentSize(shape)),
): Float32Array {
  const n = latentSize(shape);
  const plane = shape.height * shape.width;
  check('latents', latents, n);
  check('background', background, n);
  check('out', out, n);
  check('mask', mask, shape.frames * plane);
  for (let f = 0; f < shape.frames; f++) {
    for (let c = 0; c < shape.channels; c++) {
      const base = (f * shape.channels + c) * plane;
      for (let p = 0; p < plane; p++) {
        const m = mask[f * plane + p]!;
        const i = base + p;
        out[i] = f32(latents[i]! * m) + f32(background[i]! * f32(1 - m));
      }
    }
  }
  return out;
}

/** Reference blend: the background is the source latent mean re-noised to ᾱ_t with fresh N(0, 1) noise. */
export function blendWithFreshNoise(
  shape: LatentShape,
  latents: Float32Array,
  mask: Float32Array,
  z0Mean: Float32Array,
  freshNoise: Float32Array,
  alphaCumprodT: number,
  out?: Float32Array,
): Float32Array {
  const { sqrtAlpha, sqrtOneMinusAlpha } = noiseCoefficients(alphaCumprodT);
  const background = addNoiseInto(z0Mean, freshNoise, sqrtAlpha, sqrtOneMinusAlpha);
  return blendLatents(shape, latents, mask, background, out);
}

/** `blendWithInversion`: the background is the DDIM-inverted latent stored for this step. */
export function blendWithInversion(
  shape: LatentShape,
  latents: Float32Array,
  mask: Float32Array,
  invertedLatent: Float32Array,
  out?: Float32Array,
): Float32Array {
  return blendLatents(shape, latents, mask, invertedLatent, out);
}

/** M = union (max) of region masks [R][F·h·w] at the latent grid; all-zero when there are no regions. */
export function unionMasks(regionMasks: readonly Float32Array[], planeCount: number): Float32Array {
  const out = new Float32Array(planeCount);
  for (const m of regionMasks) {
    check('region mask', m, planeCount);
    for (let i = 0; i < planeCount; i++) if (m[i]! > out[i]!) out[i] = m[i]!;
  }
  return out;
}
