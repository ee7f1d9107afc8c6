import type { StateCreator } from 'zustand';
import {
  DEFAULT_EDIT_SETTINGS,
  type EditSettings,
  type EditStageName,
  type EditResultData,
} from '../../core/protocol/edit';
import type { AppState } from '../store';

/** The edit in progress (pixels of the live preview live in src/state/edit-bulk.ts). */
export interface EditRun {
  readonly stage: EditStageName;
  readonly step: number;
  readonly total: number;
  readonly etaSeconds: number | null;
  readonly inversionReused: boolean;
  /** Denoising step of the preview in edit-bulk (0 = none yet). */
  readonly previewStep: number;
}

/** The last result's metadata (frames and attention maps live in edit-bulk and IndexedDB). */
export interface EditResultMeta {
  readonly width: number;
  readonly height: number;
  readonly frameCount: number;
  readonly inversionKey: string;
  readonly inversionReused: boolean;
  readonly unetCalls: number;
  readonly timings: EditResultData['timings'];
  readonly hasAttentionMaps: boolean;
  /** Region names at the time of the edit, in layout order (attention maps are indexed by them). */
  readonly regionNames: readonly string[];
  readonly targetPrompt: string;
  readonly createdAt: number;
  /** inputsFingerprint (src/features/run/request.ts) of the inputs it was made from. */
  readonly fingerprint: string;
  /** Bumped whenever edit-bulk's result frames change. */
  readonly version: number;
}

export type CenterView = 'masks' | 'result';

export interface EditSlice {
  readonly editSettings: EditSettings;
  /** Ask the engine for per-region attention maps with the next edit. */
  readonly wantAttentionMaps: boolean;
  readonly editRun: EditRun | null;
  readonly editResult: EditResultMeta | null;
  /** True when prompts, masks, settings or frames moved since the result was made. */
  readonly editResultStale: boolean;
  readonly centerView: CenterView;
  /** Result view: heat overlay of one region's attention (index into regionNames), or null. */
  readonly attentionRegion: number | null;
  /** Condition images picked for condition 'frames' (the pixels live in src/features/run/actions.ts). */
  readonly conditionFrameCount: number;
  setEditSettings(patch: Partial<EditSettings>): void;
  setWantAttentionMaps(on: boolean): void;
  setCenterView(view: CenterView): void;
  setAttentionRegion(region: number | null): void;
}

export const createEditSlice: StateCreator<AppState, [], [], EditSlice> = (set) => ({
  editSettings: DEFAULT_EDIT_SETTINGS,
  wantAttentionMaps: true,
  editRun: null,
  editResult: null,
  editResultStale: false,
  centerView: 'masks',
  attentionRegion: null,
  conditionFrameCount: 0,
  setEditSettings: (patch) => set((s) => ({ editSettings: { ...s.editSettings, ...patch } })),
  setWantAttentionMaps: (wantAttentionMaps) => set({ wantAttentionMaps }),
  setCenterView: (centerView) => set({ centerView }),
  setAttentionRegion: (attentionRegion) => set({ attentionRegion }),
});
