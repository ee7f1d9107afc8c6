/**
 * Edit settings as the run panel keeps them: defaults are the reference (DESIGN §3), stored settings are
 * merged field by field over the defaults (a project saved by an older build keeps working), and problems are
 * worded for the person at the panel. Pure: unit-tested in Node (test/unit/edit-request.test.ts).
 */
import { DEFAULT_EDIT_SETTINGS, type ConditionKind, type EditSettings } from '../../core/protocol/edit';
import { validateSettings } from '../../core/settings/validate';

export { referenceModulatedSteps } from '../../core/schedule/policy';

/** Conditions that need an estimator model the app does not have yet (shown, disabled). */
export const CONDITIONS_NEEDING_ESTIMATOR: readonly ConditionKind[] = ['depth', 'pose'];

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

/**
 * What is wrong with the settings, one sentence each (empty when they can run): the shared limits
 * (src/core/settings/validate.ts, the engine's and the CLI's too), plus the conditions this build cannot run.
 */
export function settingsProblems(s: EditSettings): string[] {
  const out = validateSettings(s).map((p) => p.message);
  if (CONDITIONS_NEEDING_ESTIMATOR.includes(s.condition.kind))
    out.push(`The ${s.condition.kind} condition needs an estimator model, which the app does not have yet.`);
  return out;
}

/** A fresh random seed (uint32) for the randomize button. */
export function randomSeed(random: () => number = Math.random): number {
  return Math.floor(random() * 2 ** 32) >>> 0;
}
