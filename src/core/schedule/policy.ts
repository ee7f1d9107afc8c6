/**
 * The one schedule policy (DESIGN §3.2, §3.4): which timesteps run, which denoising steps are modulated and how
 * strongly. Used by the engine (workers/engine/scheduler, pipeline), the attention reference and the run panel.
 *
 * - Timesteps: "leading" spacing of the checkpoint's schedule (./schedule.ts `leadingTimesteps`), n = 50 →
 *   981, 961, …, 1; inversion runs the same ones ascending.
 * - Modulated steps: the official `ST_Layout_Attn_ControlEdit` modulates denoising steps `range(0, end_step)`
 *   with end_step = 15 of 50. For other step counts the same fraction is kept: round(15 · n / 50), or the
 *   user's `modulatedSteps` (clamped to [0, n]). Never during inversion (the inversion loop does not ask).
 * - Strength: treg(t) = ((t − 1) / 1000)^5, evaluated as torch does it on an int64 timestep tensor:
 *   (t − 1) / 1000 is a float32 true division and `torch.pow(x, 5)` rounds x^5 once to float32.
 */
export { leadingTimesteps } from './schedule';

export const REFERENCE_MODULATED_STEPS = 15;
export const REFERENCE_DENOISING_STEPS = 50;

/** round(15·n/50): the reference's leading modulated steps for n denoising steps. */
export function referenceModulatedSteps(numSteps: number): number {
  return Math.round((REFERENCE_MODULATED_STEPS * numSteps) / REFERENCE_DENOISING_STEPS);
}

/** How many leading denoising steps are modulated for an n-step run. */
export function modulatedStepCount(numSteps: number, modulatedSteps?: number): number {
  if (!Number.isInteger(numSteps) || numSteps < 1) throw new RangeError(`step count must be ≥ 1, got ${numSteps}`);
  if (modulatedSteps !== undefined) {
    if (!Number.isInteger(modulatedSteps) || modulatedSteps < 0) {
      throw new RangeError(`modulatedSteps must be an integer ≥ 0, got ${modulatedSteps}`);
    }
    return Math.min(modulatedSteps, numSteps);
  }
  return referenceModulatedSteps(numSteps);
}

/** stepIndex is 0-based in denoising order (0 ↔ t = 981 for 50 steps). */
export function isModulatedStep(stepIndex: number, modulatedCount: number): boolean {
  return stepIndex >= 0 && stepIndex < modulatedCount;
}

/** treg(t) in float32 (t: the integer denoising timestep, e.g. 981 → 0.903920889). */
export function treg(t: number): number {
  const x = Math.fround((t - 1) / 1000);
  const x2 = x * x; // exact in double (24-bit mantissas)
  return Math.fround(x2 * x2 * x); // plain products: identical in every JS engine, unlike Math.pow
}
