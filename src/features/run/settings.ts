/**
 * Edit settings as the run panel keeps them: defaults are the reference (DESIGN §3), stored settings are
 * merged field by field over the defaults (a project saved by an older build keeps working), and problems are
 * worded for the person at the panel. Pure: unit-tested in Node (test/unit/edit-request.test.ts).
 */
import { DEFAULT_EDIT_SETTINGS, type ConditionKind, type EditSettings } from '../../core/protocol/edit';

/** Inclusive ranges the panel offers; the engine accepts wider ones (workers/engine/edit/request.ts). */
export const SETTING_LIMITS = {
  steps: { min: 1, max: 200 },
  guidance: { min: 0, max: 30 },
  seed: { min: 0, max: 2 ** 32 - 1 },
  scale: { min: 0, max: 2 },
  weight: { min: 0, max: 1 },
} as const;

/** Conditions that need an estimator model the app does not have yet (shown, disabled). */
export const CONDITIONS_NEEDING_ESTIMATOR: readonly ConditionKind[] = ['depth', 'pose'];

/** round(15·n/50): the reference's leading modulated steps for n denoising steps (DESIGN §3.4). */
export const referenceModulatedSteps = (steps: number): number => Math.round((15 * steps) / 50);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
const oneOf = <T extends string>(v: unknown, allowed: readonly T[], fallback: T): T =>
  allowed.includes(v as T) ? (v as T) : fallback;
const bool = (v: unknown, fallback: boolean): boolean => (typeof v === 'boolean' ? v : fallback);

/** Stored (untrusted) settings → complete settings; unknown or malformed fields take the default. */
export function mergeSettings(stored: unknown): EditSettings {
  const d = DEFAULT_EDIT_SETTINGS;
  if (!isObject(stored)) return d;
  const cond = isObject(stored.condition) ? stored.condition : {};
  const modulated = stored.modulatedSteps;
  return {
    steps: num(stored.steps, d.steps),
    guidance: num(stored.guidance, d.guidance),
    seed: num(stored.seed, d.seed),
    negativePrompt: typeof stored.negativePrompt === 'string' ? stored.negativePrompt : d.negativePrompt,
    condition: {
      kind: oneOf(cond.kind, ['none', 'canny', 'frames', 'depth', 'pose'], d.condition.kind),
      scale: num(cond.scale, d.condition.scale),
    },
    wSelf: num(stored.wSelf, d.wSelf),
    wCross: num(stored.wCross, d.wCross),
    modulatedSteps: modulated === null || typeof modulated !== 'number' ? null : modulated,
    selfModulationBranch: oneOf(stored.selfModulationBranch, ['uncond', 'cond', 'both'], d.selfModulationBranch),
    fixSelfSizeReg: bool(stored.fixSelfSizeReg, d.fixSelfSizeReg),
    modulateAllResolutions: bool(stored.modulateAllResolutions, d.modulateAllResolutions),
    blendWithInversion: bool(stored.blendWithInversion, d.blendWithInversion),
    encodeWith: oneOf(stored.encodeWith, ['sample', 'mean'], d.encodeWith),
  };
}

const whole = (v: number, min: number, max: number) => Number.isInteger(v) && v >= min && v <= max;
const within = (v: number, min: number, max: number) => Number.isFinite(v) && v >= min && v <= max;

/** What is wrong with the settings, one sentence each (empty when they can run). */
export function settingsProblems(s: EditSettings): string[] {
  const L = SETTING_LIMITS;
  const out: string[] = [];
  if (!whole(s.steps, L.steps.min, L.steps.max))
    out.push(`Steps must be a whole number from ${L.steps.min} to ${L.steps.max} (50 is the reference).`);
  if (!within(s.guidance, L.guidance.min, L.guidance.max))
    out.push(`Guidance must be from ${L.guidance.min} to ${L.guidance.max} (7.5 is the reference).`);
  if (!whole(s.seed, L.seed.min, L.seed.max)) out.push(`Seed must be a whole number from 0 to ${L.seed.max}.`);
  if (!within(s.condition.scale, L.scale.min, L.scale.max))
    out.push(`ControlNet scale must be from ${L.scale.min} to ${L.scale.max}.`);
  if (!within(s.wSelf, L.weight.min, L.weight.max) || !within(s.wCross, L.weight.min, L.weight.max))
    out.push('w_self and w_cross must be from 0 to 1 (reference 0.3 and 1.0).');
  if (s.modulatedSteps !== null && !whole(s.modulatedSteps, 0, s.steps))
    out.push(`Modulated steps must be a whole number from 0 to the step count (${s.steps}), or auto.`);
  if (CONDITIONS_NEEDING_ESTIMATOR.includes(s.condition.kind))
    out.push(`The ${s.condition.kind} condition needs an estimator model, which the app does not have yet.`);
  return out;
}

/** A fresh random seed (uint32) for the randomize button. */
export function randomSeed(random: () => number = Math.random): number {
  return Math.floor(random() * 2 ** 32) >>> 0;
}
