/**
 * The run panel's defaults, kept consistent with the models (issue 14, item 3). Pure.
 * - The structure condition is "none" unless a ControlNet is loaded; then it is that ControlNet's condition
 *   (canny → canny, depth → depth (MiDaS), openpose → dwpose; a custom ControlNet → canny, which the app computes).
 * - "Reset to reference defaults" restores the official settings (DESIGN §3) with the official configs'
 *   negative prompt, keeps the steps and the seed (the user's speed and variation choices), and says what it
 *   changed so the panel can offer to undo it.
 */
import { DEFAULT_EDIT_SETTINGS, type ConditionKind, type EditSettings } from '../../core/protocol/edit';
import type { ControlNetPreset } from '../../state/slices/models';

/** The negative prompt of the official VideoGrain configs. */
export const OFFICIAL_NEGATIVE_PROMPT = 'ugly, blurry, low res, unrealistic, unaesthetic';

/** What the defaults need to know about the ControlNet: null when none is loaded. */
export type LoadedControlNet = ControlNetPreset | null;

export function conditionForControlNet(controlnet: LoadedControlNet): ConditionKind {
  switch (controlnet) {
    case null:
    case 'none':
      return 'none';
    case 'depth':
      return 'depth';
    case 'openpose':
      // The official configs run the openpose ControlNet with DWPose maps (14 of 16 pose configs).
      return 'dwpose';
    default:
      return 'canny';
  }
}

/** The reference settings for a new project (or a reset) given the loaded ControlNet. */
export function referenceSettings(controlnet: LoadedControlNet): EditSettings {
  return {
    ...DEFAULT_EDIT_SETTINGS,
    negativePrompt: OFFICIAL_NEGATIVE_PROMPT,
    condition: { kind: conditionForControlNet(controlnet), scale: DEFAULT_EDIT_SETTINGS.condition.scale },
  };
}

/** Panel labels of the settings (a setting added later shows under its field name). */
const LABELS: Partial<Record<keyof EditSettings, string>> = {
  steps: 'Steps',
  guidance: 'Guidance',
  seed: 'Seed',
  negativePrompt: 'Negative prompt',
  wSelf: 'w_self',
  wCross: 'w_cross',
  modulatedSteps: 'Modulated steps',
  selfModulationBranch: 'Self-modulation branch',
  fixSelfSizeReg: 'Fix self size_reg',
  modulateAllResolutions: 'Modulate all resolutions',
  blendWithInversion: 'Blend with inversion',
  encodeWith: 'Start latent',
};

const show = (v: unknown) => (v === null ? 'auto' : typeof v === 'string' ? `"${v}"` : String(v));

/** One line per changed setting ("Guidance 5 → 7.5"). */
export function describeChanges(before: EditSettings, after: EditSettings): string[] {
  const out: string[] = [];
  for (const key of Object.keys(after) as (keyof EditSettings)[])
    if (key !== 'condition' && before[key] !== after[key])
      out.push(`${LABELS[key] ?? key} ${show(before[key])} → ${show(after[key])}`);
  if (before.condition.kind !== after.condition.kind)
    out.push(`Structure condition ${before.condition.kind} → ${after.condition.kind}`);
  if (before.condition.scale !== after.condition.scale)
    out.push(`ControlNet scale ${before.condition.scale} → ${after.condition.scale}`);
  return out;
}

/** "Reset to reference defaults": the next settings and what changed (steps and seed are kept). */
export function resetToReference(
  current: EditSettings,
  controlnet: LoadedControlNet,
): { settings: EditSettings; changes: string[]; kept: string } {
  const settings = { ...referenceSettings(controlnet), steps: current.steps, seed: current.seed };
  return {
    settings,
    changes: describeChanges(current, settings),
    kept: `Steps (${current.steps}) and seed (${current.seed}) were kept${current.steps !== DEFAULT_EDIT_SETTINGS.steps ? `; the reference uses ${DEFAULT_EDIT_SETTINGS.steps} steps` : ''}.`,
  };
}

/** The loaded ControlNet of the app state (its preset), or null. */
export function loadedControlNet(s: {
  readonly models: { readonly controlnet: { readonly state: string } };
  readonly modelChoices: { readonly controlnet: { readonly preset: ControlNetPreset } };
}): LoadedControlNet {
  return s.models.controlnet.state === 'ready' ? s.modelChoices.controlnet.preset : null;
}
