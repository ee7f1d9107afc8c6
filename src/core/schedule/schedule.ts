/**
 * Noise schedule (diffusers `DDIMScheduler.__init__` / `set_timesteps`, v0.19 == v0.40 here), SD1.5's by default
 * and a checkpoint's own `scheduler_config.json` where the engine implements it (./config.ts):
 *
 *   betas          = linspace(√β_start, √β_end, T, dtype=float32) ** 2          ("scaled_linear")
 *   alphas_cumprod = cumprod(1 − betas)                                           (ᾱ)
 *   timesteps      = (arange(0, n) · (T // n)).round()[::-1] + steps_offset       ("leading" spacing)
 *
 * Every value is reproduced bit-for-bit with torch's CPU float32 arithmetic (Math.fround after each op):
 * torch's CPU `linspace` evaluates `start + step·i` for the first half and `end − step·(T−1−i)` for the
 * second (step = (end − start)/(T − 1) in float32), each as one fused multiply-add (a single rounding; the
 * compiler contracts it, and the golden betas confirm it), and CPU `cumprod` accumulates in double
 * (`at::acc_type<float, is_cuda = false>` is double) and rounds each prefix product to float32.
 */

export interface ScheduleConfig {
  readonly numTrainTimesteps: number;
  readonly betaStart: number;
  readonly betaEnd: number;
  /** SD's "scaled_linear" (betas = linspace(√β_start, √β_end)²) or "linear" (linspace(β_start, β_end)). */
  readonly betaSchedule: 'scaled_linear' | 'linear';
  readonly stepsOffset: number;
  /** false: the α used past the end of the schedule is ᾱ[0] (SD1.5), true: 1. */
  readonly setAlphaToOne: boolean;
}

/** SD1.5's shipped scheduler config (DESIGN §3.2), `timestep_spacing: leading`, epsilon prediction. */
export const SD15_SCHEDULE: ScheduleConfig = Object.freeze({
  numTrainTimesteps: 1000,
  betaStart: 0.00085,
  betaEnd: 0.012,
  betaSchedule: 'scaled_linear',
  stepsOffset: 1,
  setAlphaToOne: false,
});

const f32 = Math.fround;

/** torch.linspace(start, end, steps, dtype=float32) on CPU (scalar path; see header). */
export function linspaceFloat32(start: number, end: number, steps: number): Float32Array {
  const out = new Float32Array(steps);
  if (steps === 1) {
    out[0] = start;
    return out;
  }
  const s = f32(start);
  const e = f32(end);
  const step = f32(f32(e - s) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) {
    // step·i is exact in double (24-bit × < 2^21-bit integer) and so is the sum for this schedule's
    // magnitudes, so one fround is the fused multiply-add's single rounding.
    out[i] = i < halfway ? f32(s + step * i) : f32(e - step * (steps - 1 - i));
  }
  return out;
}

export function scaledLinearBetas(config: ScheduleConfig): Float32Array {
  const roots = linspaceFloat32(Math.sqrt(config.betaStart), Math.sqrt(config.betaEnd), config.numTrainTimesteps);
  return roots.map((r) => f32(r * r));
}

/** The config's betas: "scaled_linear" above, or "linear" = torch.linspace(β_start, β_end, T, float32). */
export function betasFor(config: ScheduleConfig): Float32Array {
  return config.betaSchedule === 'linear'
    ? linspaceFloat32(config.betaStart, config.betaEnd, config.numTrainTimesteps)
    : scaledLinearBetas(config);
}

/** ᾱ = cumprod(1 − β): float32 factors, double accumulator, float32 outputs (torch CPU). */
export function alphasCumprod(betas: Float32Array): Float32Array {
  const out = new Float32Array(betas.length);
  let acc = 1;
  for (let i = 0; i < betas.length; i++) {
    acc *= f32(1 - betas[i]!);
    out[i] = acc;
  }
  return out;
}

/**
 * "leading" timesteps, descending (DDIM sampling order), e.g. n = 50 → 981, 961, …, 1.
 * diffusers rejects n > T; so do we, with the same meaning.
 */
export function leadingTimesteps(numInferenceSteps: number, config: ScheduleConfig): Int32Array {
  const n = numInferenceSteps;
  if (!Number.isInteger(n) || n < 1 || n > config.numTrainTimesteps) {
    throw new RangeError(`step count must be an integer in [1, ${config.numTrainTimesteps}], got ${n}`);
  }
  const stepRatio = Math.floor(config.numTrainTimesteps / n);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = (n - 1 - i) * stepRatio + config.stepsOffset;
  return out;
}

/** Index-checked ᾱ[t]; an out-of-range t is a programming error, never silently clamped. */
export function alphaAt(alphasCumprod: Float32Array, t: number): number {
  if (!Number.isInteger(t) || t < 0 || t >= alphasCumprod.length) {
    throw new RangeError(`timestep ${t} is outside the schedule [0, ${alphasCumprod.length - 1}]`);
  }
  return alphasCumprod[t]!;
}
