import type { StateCreator } from 'zustand';
import { DEFAULT_SD15_REPO, type ControlCondition } from '../../core/models/catalog';
import type { ModelKind } from '../../core/models/files';
import { ONNX_MODEL_KINDS, type OnnxModelKind } from '../../core/models/onnx-models';
import type { CachedModelInfo, LoadedModelInfo, ModelLoadProgress } from '../../core/protocol/engine';
import type { AppState } from '../store';

/** What the user typed or picked: a Hugging Face repo id (`owner/name[@revision]`), a base URL, or a folder. */
export interface ModelSourceChoice {
  readonly type: 'hf' | 'url' | 'local';
  /** Repo id, base URL, or the picked folder's name (its handle lives outside the store). */
  readonly value: string;
}

export type ControlNetPreset = 'none' | ControlCondition | 'custom';

export interface ModelChoices {
  readonly sd15: ModelSourceChoice;
  readonly controlnet: { readonly preset: ControlNetPreset; readonly custom: ModelSourceChoice };
  /** ONNX-shipped models (estimators, flow, segmenter); a kind not named here uses its preset repo. */
  readonly onnx?: Readonly<Partial<Record<OnnxModelKind, ModelSourceChoice>>>;
}

export interface ModelSlot {
  readonly state: 'idle' | 'loading' | 'ready' | 'error';
  readonly info?: LoadedModelInfo;
  readonly progress?: ModelLoadProgress;
  readonly error?: { readonly code?: string; readonly message: string };
}

export interface ModelsSlice {
  readonly modelChoices: ModelChoices;
  readonly models: Readonly<Record<ModelKind, ModelSlot>>;
  readonly cachedModels: readonly CachedModelInfo[];
  setModelChoices(choices: ModelChoices): void;
  setModelSlot(kind: ModelKind, slot: ModelSlot): void;
  setCachedModels(list: readonly CachedModelInfo[]): void;
}

export const DEFAULT_MODEL_CHOICES: ModelChoices = {
  sd15: { type: 'hf', value: DEFAULT_SD15_REPO },
  controlnet: { preset: 'none', custom: { type: 'hf', value: '' } },
};

export const createModelsSlice: StateCreator<AppState, [], [], ModelsSlice> = (set) => ({
  modelChoices: DEFAULT_MODEL_CHOICES,
  models: {
    sd15: { state: 'idle' },
    controlnet: { state: 'idle' },
    ...(Object.fromEntries(ONNX_MODEL_KINDS.map((k) => [k, { state: 'idle' }])) as Record<OnnxModelKind, ModelSlot>),
  },
  cachedModels: [],
  setModelChoices: (modelChoices) => set({ modelChoices }),
  setModelSlot: (kind, slot) => set((s) => ({ models: { ...s.models, [kind]: slot } })),
  setCachedModels: (cachedModels) => set({ cachedModels }),
});
