import type { StateCreator } from 'zustand';
import type { ProbeResult, FrameSizing } from '../../core/protocol/video';
import type { AppState } from '../store';

/** The clip settings a user picks (DESIGN §1 step 1). */
export interface ClipSettings {
  readonly start: number;
  readonly frames: number;
  readonly stride: number;
  readonly sizing: FrameSizing;
}

export const DEFAULT_CLIP_SETTINGS: ClipSettings = {
  start: 0,
  frames: 16,
  stride: 1,
  sizing: { mode: 'square', size: 512 },
};

/** Metadata of the extracted frames; pixels live in the bulk store and IndexedDB, not here. */
export interface FramesMeta {
  readonly count: number;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly startSec: number;
  readonly endSec: number;
  /** Bumped every extraction so views re-read the bulk store. */
  readonly version: number;
  /** The settings the frames were extracted with (the settings panel may have moved on since). */
  readonly settings: ClipSettings;
}

export interface ProjectSummary {
  readonly id: string;
  readonly name: string;
  readonly updatedAt: number;
}

export interface ProjectSlice {
  readonly projectId: string | null;
  readonly projectName: string;
  readonly sourceName: string | null;
  readonly sourceBytes: number;
  readonly probe: ProbeResult | null;
  readonly clip: ClipSettings;
  readonly frames: FramesMeta | null;
  readonly currentFrame: number;
  readonly projects: readonly ProjectSummary[];
  /** False until start-up has tried to bring the last project back. */
  readonly restored: boolean;
  setClipSettings(patch: Partial<ClipSettings>): void;
  setCurrentFrame(index: number): void;
}

export const clampFrame = (index: number, count: number): number => Math.max(0, Math.min(count - 1, index));

/** The workspace with no project open (start-up, and after the open project is deleted). */
export const NO_PROJECT = {
  projectId: null,
  projectName: 'Untitled',
  sourceName: null,
  sourceBytes: 0,
  probe: null,
  clip: DEFAULT_CLIP_SETTINGS,
  frames: null,
  currentFrame: 0,
} as const satisfies Partial<ProjectSlice>;

export const createProjectSlice: StateCreator<AppState, [], [], ProjectSlice> = (set) => ({
  ...NO_PROJECT,
  projects: [],
  restored: false,
  setClipSettings: (patch) => set((s) => ({ clip: { ...s.clip, ...patch } })),
  setCurrentFrame: (index) => set((s) => ({ currentFrame: s.frames ? clampFrame(index, s.frames.count) : 0 })),
});
