/**
 * The one check of edit settings (issue 19): one limits table and one `validateSettings`, used by the run panel
 * (src/features/run/settings.ts), the engine (workers/engine/edit/request.ts, EDIT_INPUT_INVALID) and the CLI's
 * flag parsing (cli/commands/edit.ts). Each problem names the setting and says what is allowed, in words for a
 * person (DESIGN §7); the reference values are DESIGN §3's.
 */
import { CONDITION_KINDS, type EditSettings } from '../protocol/edit';

export interface Range {
  readonly min: number;
  readonly max: number;
}

export interface SettingsLimits {
  /** Denoising steps (the schedule has 1000 train steps; 50 is the reference). */
  readonly steps: Range;
  readonly guidance: Range;
  /** Philox seed: uint32. */
  readonly seed: Range;
  /** ControlNet conditioning scale. */
  readonly conditionScale: Range;
  /** ST-Layout weights w_self and w_cross. */
  readonly weight: Range;
  /** Canny hysteresis thresholds on the Sobel L1 gradient (the ControlNet annotator's UI range is 1–255). */
  readonly cannyThreshold: Range;
}

export const SETTINGS_LIMITS: SettingsLimits = Object.freeze({
  steps: { min: 1, max: 1000 },
  guidance: { min: 0, max: 100 },
  seed: { min: 0, max: 2 ** 32 - 1 },
  conditionScale: { min: 0, max: 2 },
  weight: { min: 0, max: 1 },
  cannyThreshold: { min: 0, max: 1000 },
});

export type SettingName = keyof SettingsLimits | 'modulatedSteps' | 'cfgBatch' | 'flatten' | 'condition';

/** FLATTEN flow attention: the official `flatten_res` factors this build has trajectories for (DESIGN §3.6). */
export const FLATTEN_RESOLUTIONS: readonly number[] = Object.freeze([1, 2, 4, 8]);

export interface SettingsProblem {
  readonly setting: SettingName;
  readonly message: string;
}

const whole = (v: number, r: Range) => Number.isInteger(v) && v >= r.min && v <= r.max;
const within = (v: number, r: Range) => Number.isFinite(v) && v >= r.min && v <= r.max;

/** What is wrong with the settings, one sentence each (empty when they can run). */
export function validateSettings(s: EditSettings, limits: SettingsLimits = SETTINGS_LIMITS): SettingsProblem[] {
  const L = limits;
  const out: SettingsProblem[] = [];
  const add = (setting: SettingName, message: string) => out.push({ setting, message });
  if (!whole(s.steps, L.steps))
    add('steps', `Steps must be a whole number from ${L.steps.min} to ${L.steps.max} (50 is the reference).`);
  if (!within(s.guidance, L.guidance))
    add('guidance', `Guidance must be from ${L.guidance.min} to ${L.guidance.max} (7.5 is the reference).`);
  if (!whole(s.seed, L.seed)) add('seed', `Seed must be a whole number from ${L.seed.min} to ${L.seed.max}.`);
  if (!within(s.condition.scale, L.conditionScale))
    add(
      'conditionScale',
      `ControlNet scale must be from ${L.conditionScale.min} to ${L.conditionScale.max} (0.5–1.0 are usual).`,
    );
  if (!CONDITION_KINDS.includes(s.condition.kind))
    add(
      'condition',
      `The structure condition must be one of ${CONDITION_KINDS.join(', ')}, not "${s.condition.kind}".`,
    );
  const { low, high } = s.condition;
  if ((low !== undefined && !within(low, L.cannyThreshold)) || (high !== undefined && !within(high, L.cannyThreshold)))
    add(
      'cannyThreshold',
      `Canny thresholds must be from ${L.cannyThreshold.min} to ${L.cannyThreshold.max} (the reference uses 100 and 200).`,
    );
  else if (low !== undefined && high !== undefined && low > high)
    add('cannyThreshold', `The canny low threshold (${low}) must not be above the high one (${high}).`);
  for (const flag of ['hand', 'face'] as const)
    if (s.condition[flag] !== undefined && typeof s.condition[flag] !== 'boolean')
      add('condition', `The pose option ${flag} must be true or false.`);
  if (!within(s.wSelf, L.weight) || !within(s.wCross, L.weight))
    add('weight', `w_self and w_cross must be from ${L.weight.min} to ${L.weight.max} (reference 0.3 and 1.0).`);
  if (s.modulatedSteps !== null && !whole(s.modulatedSteps, { min: 0, max: s.steps }))
    add('modulatedSteps', `Modulated steps must be a whole number from 0 to the step count (${s.steps}), or auto.`);
  // Optional and newer than stored projects: read untyped so an absent field needs no default.
  const cfgBatch = (s as { readonly cfgBatch?: unknown }).cfgBatch;
  if (cfgBatch !== undefined && cfgBatch !== 'sequential' && cfgBatch !== 'batched')
    add('cfgBatch', `CFG batching must be sequential or batched, not "${String(cfgBatch)}".`);
  const flatten = s.flatten;
  if (flatten !== undefined && flatten !== null) {
    const res: readonly unknown[] = Array.isArray(flatten.resolutions) ? flatten.resolutions : [];
    if (res.length === 0 || res.some((r) => !FLATTEN_RESOLUTIONS.includes(r as number)))
      add(
        'flatten',
        `Flow-guided resolutions must be a non-empty list of ${FLATTEN_RESOLUTIONS.join(', ')} (latent-size divisors; the official configs use [1], [1, 2] or [1, 2, 4]).`,
      );
    if (typeof flatten.oldQk !== 'boolean') add('flatten', 'Flow attention old_qk must be true or false.');
  }
  return out;
}
