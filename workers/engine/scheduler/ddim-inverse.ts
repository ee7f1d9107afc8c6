/**
 * DDIM inversion (eta 0): the DDIM update run towards noise, x_src → x_dst with ᾱ_dst < ᾱ_src
 * (formula in ./step.ts). diffusers `DDIMInverseScheduler`, in two conventions that label the same update
 * differently (DESIGN §3.2; goldens: scheduler_v019.safetensors / scheduler.safetensors):
 *
 * - 'v0.19' (reference mode, pinned by VideoGrain): set_timesteps(n) gives the leading grid 1, 21, …, 981,
 *   rolled by one with element 0 set to timesteps[1] − T//n → [−19, 1, 21, …, 961].
 *   step(ε, t, x): src ᾱ = ᾱ[t] if t ≥ 0 else initial_alpha_cumprod, dst ᾱ = ᾱ[t + T//n].
 *   VideoGrain loops over timesteps[1:] (t = 1 … 961, 49 steps), so the UNet sees the *source* timestep
 *   and the result is the sample at 981.
 * - 'v0.40': timesteps = 1, 21, …, 981 (ascending, no roll).
 *   step(ε, t, x): src ᾱ = ᾱ[min(t − T//n, T − 1)] (initial_alpha_cumprod if < 0), dst ᾱ = ᾱ[t];
 *   the loop runs over all n timesteps and the UNet sees the *target* timestep.
 *
 * initial_alpha_cumprod = 1 if set_alpha_to_one else ᾱ[0].
 */
import {
  type ScheduleConfig,
  SD15_SCHEDULE,
  alphaAt,
  alphasCumprod,
  leadingTimesteps,
  betasFor,
} from '../../../src/core/schedule/schedule';
import { type StepCoefficients, type StepResult, applyStep, stepCoefficientsFor } from './step';

export type InverseConvention = 'v0.19' | 'v0.40';

export class DdimInverseScheduler {
  readonly config: ScheduleConfig;
  readonly convention: InverseConvention;
  readonly alphasCumprod: Float32Array;
  readonly initialAlphaCumprod: number;
  private steps = 0;
  private ts: Int32Array = new Int32Array(0);

  constructor(convention: InverseConvention = 'v0.19', config: ScheduleConfig = SD15_SCHEDULE) {
    this.config = config;
    this.convention = convention;
    this.alphasCumprod = alphasCumprod(betasFor(config));
    this.initialAlphaCumprod = config.setAlphaToOne ? 1 : this.alphasCumprod[0]!;
  }

  setTimesteps(numInferenceSteps: number): void {
    const ascending = leadingTimesteps(numInferenceSteps, this.config).reverse();
    if (this.convention === 'v0.19') {
      // np.roll(ts, 1); ts[0] = ts[1] − step_ratio. With n = 1, ts[1] does not exist and diffusers raises.
      if (ascending.length < 2) throw new RangeError('v0.19 DDIM inversion needs at least 2 steps');
      const rolled = new Int32Array(ascending.length);
      for (let i = 1; i < ascending.length; i++) rolled[i] = ascending[i - 1]!;
      rolled[0] = rolled[1]! - this.stepRatioFor(numInferenceSteps);
      this.ts = rolled;
    } else {
      this.ts = ascending;
    }
    this.steps = numInferenceSteps;
  }

  get numInferenceSteps(): number {
    return this.steps;
  }

  /** diffusers' `timesteps` (v0.19: [−19, 1, …, 961]; v0.40: [1, …, 981]). A copy. */
  get timesteps(): Int32Array {
    return this.ts.slice();
  }

  /**
   * The t passed to `step` (and to the UNet) by the inversion loop: v0.19 as VideoGrain does
   * (`timesteps[1:]`, 49 steps for n = 50, ending at 981); v0.40 all n timesteps.
   */
  get loopTimesteps(): Int32Array {
    return this.convention === 'v0.19' ? this.ts.slice(1) : this.ts.slice();
  }

  private stepRatioFor(n: number): number {
    return Math.floor(this.config.numTrainTimesteps / n);
  }

  /** The float32 scalars of the step labelled t (source and destination per the convention). */
  stepCoefficients(t: number): StepCoefficients {
    if (this.steps === 0) throw new Error('DdimInverseScheduler: call setTimesteps(n) before step()');
    const ratio = this.stepRatioFor(this.steps);
    const T = this.config.numTrainTimesteps;
    const sourceT = this.convention === 'v0.19' ? t : Math.min(t - ratio, T - 1);
    const targetT = this.convention === 'v0.19' ? t + ratio : t;
    const alphaSource = sourceT >= 0 ? alphaAt(this.alphasCumprod, sourceT) : this.initialAlphaCumprod;
    return stepCoefficientsFor(alphaSource, alphaAt(this.alphasCumprod, targetT));
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, out?: Partial<StepResult>): StepResult {
    return applyStep(this.stepCoefficients(t), modelOutput, sample, out);
  }
}
