/**
 * Edit settings as the run panel keeps them: defaults are the reference (DESIGN §3), stored settings are
 * merged field by field over the defaults (a project saved by an older build keeps working), and problems are
 * worded for the person at the panel. Pure: unit-tested in Node (test/unit/edit-request.test.ts).
 */
import {
  CONDITION_KINDS,
  DEFAULT_EDIT_SETTINGS,
  type ConditionKind,
  type ConditionSettings,
  type EditSettings,
} from '../../core/protocol/edit';
import { FLATTEN_RESOLUTIONS, validateSettings } from '../../core/settings/validate';

export { referenceModulatedSteps } from '../../core/schedule/policy';

/** Conditions computed by an estimator model (loaded in Models → Estimators). */
export const CONDITIONS_NEEDING_ESTIMATOR: readonly ConditionKind[] = ['dwpose', 'openpose', 'depth', 'depth_zoe'];

/**
 * A stored condition → the current one. Projects saved before the official kinds existed stored 'pose' (the
 * openpose ControlNet's condition): it becomes 'dwpose', what the official configs use with that ControlNet.
 */
export function mergeCondition(stored: unknown, fallback: ConditionSettings): ConditionSettings {
  const cond = isObject(stored) ? stored : {};
  const kind = cond.kind === 'pose' ? 'dwpose' : oneOf(cond.kind, CONDITION_KINDS, fallback.kind);
  const out: { -readonly [K in keyof ConditionSettings]: ConditionSettings[K] } = {
    kind,
    scale: num(cond.scale, fallback.scale),
  };
  if (typeof cond.hand === 'boolean') out.hand = cond.hand;
  if (typeof cond.face === 'boolean') out.face = cond.face;
  if (typeof cond.low === 'number' && Number.isFinite(cond.low)) out.low = cond.low;
  if (typeof cond.high === 'number' && Number.isFinite(cond.high)) out.high = cond.high;
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
const oneOf = <T extends string>(v: unknown, allowed: readonly T[], fallback: T): T =>
  allowed.includes(v as T) ? (v as T) : fallback;
const bool = (v: unknown, fallback: boolean): boolean => (typeof v === 'boolean' ? v : fallback);

/** Stored (untrusted) settings → complete settings; unknown or malformed fields take the default. */
export function mergeSettings(stored: unknown): EditSettings {
  const d = DEFAULT_EDIT_SETTINGS;
  if (!isObject(stored)) return d;
  const modulated = stored.modulatedSteps;
  return {
    steps: num(stored.steps, d.steps),
    guidance: num(stored.guidance, d.guidance),
    seed: num(stored.seed, d.seed),
    negativePrompt: typeof stored.negativePrompt === 'string' ? stored.negativePrompt : d.negativePrompt,
    condition: mergeCondition(stored.condition, d.condition),
    wSelf: num(stored.wSelf, d.wSelf),
    wCross: num(stored.wCross, d.wCross),
    modulatedSteps: modulated === null || typeof modulated !== 'number' ? null : modulated,
    selfModulationBranch: oneOf(stored.selfModulationBranch, ['uncond', 'cond', 'both'], d.selfModulationBranch),
    fixSelfSizeReg: bool(stored.fixSelfSizeReg, d.fixSelfSizeReg),
    modulateAllResolutions: bool(stored.modulateAllResolutions, d.modulateAllResolutions),
    blendWithInversion: bool(stored.blendWithInversion, d.blendWithInversion),
    encodeWith: oneOf(stored.encodeWith, ['sample', 'mean'], d.encodeWith),
    flatten: mergeFlatten(stored.flatten),
  };
}

/** Stored FLATTEN settings (DESIGN §3.6): kept when well-formed, else off (null, the default). */
function mergeFlatten(v: unknown): EditSettings['flatten'] {
  if (!isObject(v) || !Array.isArray(v.resolutions) || typeof v.oldQk !== 'boolean') return null;
  const resolutions = v.resolutions.filter((r): r is number => FLATTEN_RESOLUTIONS.includes(r as number));
  return resolutions.length > 0 ? { resolutions, oldQk: v.oldQk } : null;
}

/**
 * What is wrong with the settings, one sentence each (empty when they can run): the shared limits
 * (src/core/settings/validate.ts, the engine's and the CLI's too). A missing estimator model is a blocker of
 * the run panel (it knows the loaded models), not a settings problem.
 */
export function settingsProblems(s: EditSettings): string[] {
  return validateSettings(s).map((p) => p.message);
}

/** A fresh random seed (uint32) for the randomize button. */
export function randomSeed(random: () => number = Math.random): number {
  return Math.floor(random() * 2 ** 32) >>> 0;
}
