/**
 * Classifier-free guidance (Ho & Salimans 2022), as diffusers' SD pipelines combine it:
 *
 *   ε = ε_uncond + s · (ε_cond − ε_uncond)
 *
 * rounded to float32 per op (sub, mul, add) like torch. With s = 1 this is ε_cond exactly (DESIGN §3.2:
 * inversion may skip the unconditional branch).
 */

const f32 = Math.fround;

export function combineGuidance(
  uncond: Float32Array,
  cond: Float32Array,
  scale: number,
  out: Float32Array = new Float32Array(cond.length),
): Float32Array {
  if (uncond.length !== cond.length || out.length !== cond.length) {
    throw new RangeError(`guidance: uncond ${uncond.length}, cond ${cond.length}, out ${out.length} values`);
  }
  if (!Number.isFinite(scale)) throw new RangeError(`guidance scale must be finite, got ${scale}`);
  const s = f32(scale);
  for (let i = 0; i < cond.length; i++) {
    const u = uncond[i]!;
    out[i] = u + f32(s * f32(cond[i]! - u));
  }
  return out;
}

/** The batched UNet output [2, …] with the unconditional half first (diffusers `noise_pred.chunk(2)`). */
export function combineGuidanceBatched(prediction: Float32Array, scale: number, out?: Float32Array): Float32Array {
  if (prediction.length % 2 !== 0) throw new RangeError('a CFG batch has an even number of values');
  const half = prediction.length / 2;
  return combineGuidance(prediction.subarray(0, half), prediction.subarray(half), scale, out);
}
