import type { StateCreator } from 'zustand';
import {
  DEFAULT_TRACK_THRESHOLDS,
  type SegmentBox,
  type SegmentPoint,
  type TrackDirection,
  type TrackThresholds,
} from '../../core/protocol/segment';
import type { AppState } from '../store';

/**
 * The Select tool's prompt and candidates (issue 18; src/features/masks/select-actions.ts). Candidate mask pixels
 * live outside the store (select-actions.ts `candidateMask`); this holds their scores and a version.
 */
export interface SelectState {
  readonly regionId: string | null;
  readonly frame: number;
  readonly points: readonly SegmentPoint[];
  readonly box: SegmentBox | null;
  /** Scores of the candidates, best first. */
  readonly scores: readonly number[];
  /** Where the candidates came from: the segmenter, or a tracking step the check refused (stop-and-ask). */
  readonly origin: 'segment' | 'track';
  readonly chosen: number;
  readonly hovered: number | null;
  readonly busy: boolean;
  /** Bumped whenever the candidate masks change, so views redraw them. */
  readonly version: number;
}

export interface TrackStopNote {
  readonly regionId: string;
  readonly frame: number;
  readonly message: string;
}

/** Track through the clip (src/features/masks/track-actions.ts). */
export interface TrackState {
  readonly thresholds: TrackThresholds;
  /** The direction of the track in progress, null when none runs. */
  readonly running: TrackDirection | null;
  /** Per region id, the last track's status per frame ('t' tracked, 'c' needs correction, 's' stopped, '.'). */
  readonly status: Readonly<Record<string, string>>;
  /** Why the last track stopped early (shown until the next track). */
  readonly stop: TrackStopNote | null;
  /** Frames the running track processed, and the most it can (both directions). */
  readonly done: number;
  readonly total: number;
}

export interface SegmentSlice {
  readonly select: SelectState;
  readonly track: TrackState;
}

export const EMPTY_SELECT: SelectState = {
  regionId: null,
  frame: 0,
  points: [],
  box: null,
  scores: [],
  origin: 'segment',
  chosen: 0,
  hovered: null,
  busy: false,
  version: 0,
};

export const IDLE_TRACK: TrackState = {
  thresholds: DEFAULT_TRACK_THRESHOLDS,
  running: null,
  status: {},
  stop: null,
  done: 0,
  total: 0,
};

export const createSegmentSlice: StateCreator<AppState, [], [], SegmentSlice> = () => ({
  select: EMPTY_SELECT,
  track: IDLE_TRACK,
});
