/**
 * The engine's EditRequest (src/core/protocol/edit.ts) from the same prepared frames, masks and prompts the
 * CPU backend runs on (./prepare.ts): what `--backend webgpu` sends to the page's engine.
 */
import { CliUsageError } from '../command.ts';
import { compileLayout } from '../../src/core/layout/compile.ts';
import { DEFAULT_EDIT_SETTINGS, type EditRequest, type EditSettings } from '../../src/core/protocol/edit.ts';
import type { PreparedEdit } from './prepare.ts';

export function editSettings(prepared: PreparedEdit): EditSettings {
  const o = prepared.options;
  return {
    ...DEFAULT_EDIT_SETTINGS,
    steps: o.steps ?? DEFAULT_EDIT_SETTINGS.steps,
    guidance: o.guidance ?? DEFAULT_EDIT_SETTINGS.guidance,
    seed: o.seed ?? DEFAULT_EDIT_SETTINGS.seed,
    negativePrompt: prepared.input.negativePrompt ?? '',
    condition: { kind: prepared.conditionKind, scale: o.condition?.scale ?? 1 },
    modulatedSteps: o.modulatedSteps ?? null,
    encodeWith: o.encodeWith ?? DEFAULT_EDIT_SETTINGS.encodeWith,
  };
}

/** `regionNames[r]` names region r (layout_mask_order); a region past the edit's prompts gets prompt ''. */
export function toEditRequest(prepared: PreparedEdit, regionNames: readonly string[]): EditRequest {
  const { input } = prepared;
  return {
    width: input.width,
    height: input.height,
    frames: input.frames,
    sourcePrompt: input.sourcePrompt,
    targetPrompt: input.targetPrompt,
    regions: input.masks.masks.map((masks, r) => ({
      name: regionNames[r] ?? `region ${r}`,
      prompt: input.regionPrompts[r] ?? '',
      masks,
    })),
    settings: editSettings(prepared),
    ...(prepared.conditionRgba ? { conditionFrames: prepared.conditionRgba } : {}),
  };
}

/**
 * The layout errors the engine would reject the edit with (LAYOUT_INVALID: a region prompt that is not in the
 * target, …), found before a browser starts; the same compiler the engine runs.
 */
export function checkLayout(prepared: PreparedEdit): void {
  const { input } = prepared;
  const layout = compileLayout({
    masks: input.masks,
    tokenizer: input.tokenizer,
    targetPrompt: input.targetPrompt,
    regionPrompts: input.regionPrompts,
  });
  const errors = layout.issues.filter((i) => i.severity === 'error');
  if (errors.length > 0) throw new CliUsageError(errors.map((e) => e.message.split('\n')[0]).join('; '));
}
