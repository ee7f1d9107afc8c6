/**
 * From what the user chose in the Models panel to the engine's ModelSourceSpec, and the cache key that
 * source will have (so the panel knows, without the network, whether a remembered source is cached).
 */
import { CONTROLNET_REPOS } from '../../core/models/catalog';
import { parseRemoteSource, sourceId } from '../../core/models/source';
import type { ModelKind } from '../../core/models/files';
import { ONNX_MODELS, isOnnxModelKind } from '../../core/models/onnx-models';
import type { ModelSourceSpec } from '../../core/protocol/engine';
import { AppError } from '../../core/protocol/errors';
import type { ModelChoices, ModelSourceChoice } from '../../state/slices/models';

/** A folder the user picked; handles and files cannot live in the store or in localStorage. */
export type LocalPick = { readonly handle: FileSystemDirectoryHandle } | { readonly files: readonly File[] };

/** The source to load for a kind, or null when no ControlNet is wanted. */
export function sourceChoice(choices: ModelChoices, kind: ModelKind): ModelSourceChoice | null {
  if (kind === 'sd15') return choices.sd15;
  if (isOnnxModelKind(kind)) return choices.onnx?.[kind] ?? { type: 'hf', value: ONNX_MODELS[kind].preset.repo };
  const { preset, custom } = choices.controlnet;
  if (preset === 'none') return null;
  if (preset === 'custom') return custom;
  return { type: 'hf', value: CONTROLNET_REPOS[preset] };
}

export function toSpec(choice: ModelSourceChoice, local: LocalPick | undefined): ModelSourceSpec {
  const text = choice.value.trim();
  if (choice.type === 'local') {
    if (!local) throw new AppError('MODEL_SOURCE_INVALID', 'Choose the model folder first (Choose folder…).');
    return 'handle' in local
      ? { type: 'local', handle: local.handle }
      : { type: 'local', files: local.files, name: text };
  }
  if (choice.type === 'url') {
    if (!/^https?:\/\/[^/]/i.test(text))
      throw new AppError(
        'MODEL_SOURCE_INVALID',
        `"${text}" is not a base URL: write http(s)://host/path (the folder holding model_index.json).`,
      );
    return { type: 'url', baseUrl: text };
  }
  const parsed = parseRemoteSource(text);
  if (!parsed || parsed.kind !== 'huggingface')
    throw new AppError(
      'MODEL_SOURCE_INVALID',
      `"${text}" is not a Hugging Face repo id: write owner/name, optionally @revision.`,
    );
  return { type: 'hf', repo: parsed.repo, ...(parsed.revision ? { revision: parsed.revision } : {}) };
}

/** The cache id a remote choice downloads into (matches CachedModelInfo.id); null for local folders. */
export function cacheIdOf(choice: ModelSourceChoice): string | null {
  if (choice.type === 'local') return null;
  try {
    const spec = toSpec(choice, undefined);
    if (spec.type === 'hf')
      return sourceId({ kind: 'huggingface', repo: spec.repo, ...(spec.revision ? { revision: spec.revision } : {}) });
    if (spec.type === 'url') return sourceId({ kind: 'url', baseUrl: spec.baseUrl });
  } catch {
    // not a valid source yet (the user is typing)
  }
  return null;
}
