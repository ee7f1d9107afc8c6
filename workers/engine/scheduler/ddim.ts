/**
 * DDIM sampler, eta = 0, epsilon prediction, no clipping/thresholding — diffusers `DDIMScheduler.step`
 * (v0.19 and v0.40 agree for SD1.5's config; Song et al. 2020, eq. 12 with σ = 0):
 *
 *   prev = t − T // n
 *   ᾱ_prev = ᾱ[prev] if prev ≥ 0 else final_alpha_cumprod      (= ᾱ[0] when set_alpha_to_one is false)
 *   x̂0     = (x − √(1 − ᾱ_t) · ε) / √ᾱ_t                       ("pred_original_sample")
 *   x_prev = √ᾱ_prev · x̂0 + √(1 − ᾱ_prev) · ε                 ("prev_sample")
 *
 * and `add_noise(x0, ε, t) = √ᾱ_t · x0 + √(1 − ᾱ_t) · ε`.
 * Arithmetic follows torch's float32 CPU kernels op by op (see ./step.ts), so results match the
 * diffusers goldens to the last bit or two. Pure TypeScript: no models, no GPU (the GPU path uses the same
 * coefficients from `stepCoefficients`).
 */
import { addNoiseInto, noiseCoefficients } from '../../../src/core/latents/add-noise';
import {
  type ScheduleConfig,
  SD15_SCHEDULE,
  alphaAt,
  alphasCumprod,
  leadingTimesteps,
  betasFor,
} from '../../../src/core/schedule/schedule';
import { type StepCoefficients, type StepResult, applyStep, stepCoefficientsFor } from './step';

export class DdimScheduler {
  readonly config: ScheduleConfig;
  readonly betas: Float32Array;
  readonly alphasCumprod: Float32Array;
  /** ᾱ used when the previous timestep falls before 0. */
  readonly finalAlphaCumprod: number;
  private steps = 0;
  private ts: Int32Array = new Int32Array(0);

  constructor(config: ScheduleConfig = SD15_SCHEDULE) {
    this.config = config;
    this.betas = betasFor(config);
    this.alphasCumprod = alphasCumprod(this.betas);
    this.finalAlphaCumprod = config.setAlphaToOne ? 1 : this.alphasCumprod[0]!;
  }

  /** diffusers `set_timesteps(n)` ("leading"): n = 50 → 981, 961, …, 1. */
  setTimesteps(numInferenceSteps: number): void {
    this.ts = leadingTimesteps(numInferenceSteps, this.config);
    this.steps = numInferenceSteps;
  }

  get numInferenceSteps(): number {
    return this.steps;
  }

  /** Denoising order (descending). A copy: callers cannot corrupt the schedule. */
  get timesteps(): Int32Array {
    return this.ts.slice();
  }

  private get stepRatio(): number {
    if (this.steps === 0) throw new Error('DdimScheduler: call setTimesteps(n) before step()');
    return Math.floor(this.config.numTrainTimesteps / this.steps);
  }

  /** The float32 scalars of one step x_t → x_{t − T//n}; what a GPU kernel needs. */
  stepCoefficients(t: number): StepCoefficients {
    const prev = t - this.stepRatio;
    const alphaSource = alphaAt(this.alphasCumprod, t);
    const alphaTarget = prev >= 0 ? alphaAt(this.alphasCumprod, prev) : this.finalAlphaCumprod;
    return stepCoefficientsFor(alphaSource, alphaTarget);
  }

  /** One DDIM step (eta 0). `out` buffers may be passed to avoid allocation; they may alias nothing. */
  step(modelOutput: Float32Array, t: number, sample: Float32Array, out?: Partial<StepResult>): StepResult {
    return applyStep(this.stepCoefficients(t), modelOutput, sample, out);
  }

  /** √ᾱ_t · original + √(1 − ᾱ_t) · noise (diffusers `add_noise`, one timestep for the whole batch). */
  addNoise(original: Float32Array, noise: Float32Array, t: number, out?: Float32Array): Float32Array {
    const { sqrtAlpha, sqrtOneMinusAlpha } = noiseCoefficients(alphaAt(this.alphasCumprod, t));
    return addNoiseInto(original, noise, sqrtAlpha, sqrtOneMinusAlpha, out);
  }
}
