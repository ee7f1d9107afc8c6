/**
 * The DDIM update shared by the sampler and the inverse sampler (eta = 0, epsilon prediction):
 *
 *   x̂0  = (x − √(1 − ᾱ_src) · ε) / √ᾱ_src
 *   x'  = √ᾱ_dst · x̂0 + √(1 − ᾱ_dst) · ε
 *
 * diffusers `DDIMScheduler.step` (src = t, dst = t − T//n) and `DDIMInverseScheduler.step` (dst later than
 * src) differ only in which ᾱ they pick. Each op is rounded to float32 in torch's order (one CPU kernel per
 * op: `beta ** 0.5` is sqrt, then mul, sub, true division, mul, mul, add), which makes JS doubles + fround
 * reproduce torch bit-for-bit (every op is a correctly rounded IEEE op in both).
 */

const f32 = Math.fround;

export interface StepCoefficients {
  /** √ᾱ_src, √(1 − ᾱ_src), √ᾱ_dst, √(1 − ᾱ_dst), each float32. */
  readonly sqrtAlphaSource: number;
  readonly sqrtOneMinusAlphaSource: number;
  readonly sqrtAlphaTarget: number;
  readonly sqrtOneMinusAlphaTarget: number;
}

export interface StepResult {
  /** The sample at the destination timestep (diffusers `prev_sample`). */
  readonly prevSample: Float32Array;
  /** x̂0 (diffusers `pred_original_sample`); the live preview decodes this. */
  readonly predOriginalSample: Float32Array;
}

export function stepCoefficientsFor(alphaSource: number, alphaTarget: number): StepCoefficients {
  return {
    sqrtAlphaSource: f32(Math.sqrt(alphaSource)),
    sqrtOneMinusAlphaSource: f32(Math.sqrt(f32(1 - alphaSource))),
    sqrtAlphaTarget: f32(Math.sqrt(alphaTarget)),
    sqrtOneMinusAlphaTarget: f32(Math.sqrt(f32(1 - alphaTarget))),
  };
}

export function applyStep(
  c: StepCoefficients,
  modelOutput: Float32Array,
  sample: Float32Array,
  out: Partial<StepResult> = {},
): StepResult {
  const n = sample.length;
  if (modelOutput.length !== n) {
    throw new RangeError(`model output has ${modelOutput.length} values, the sample ${n}`);
  }
  const prev = out.prevSample ?? new Float32Array(n);
  const x0 = out.predOriginalSample ?? new Float32Array(n);
  if (prev.length !== n || x0.length !== n) throw new RangeError('step output buffers must match the sample size');
  const { sqrtAlphaSource: a, sqrtOneMinusAlphaSource: b, sqrtAlphaTarget: a2, sqrtOneMinusAlphaTarget: b2 } = c;
  for (let i = 0; i < n; i++) {
    const eps = modelOutput[i]!;
    const xhat = f32(f32(sample[i]! - f32(b * eps)) / a);
    x0[i] = xhat;
    prev[i] = f32(a2 * xhat) + f32(b2 * eps); // stored as float32: the add's rounding
  }
  return { prevSample: prev, predOriginalSample: x0 };
}
