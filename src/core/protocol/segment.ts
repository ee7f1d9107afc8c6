/**
 * Click-to-segment and track-through-the-clip (issue 18): the engine API's request, event and result types.
 *
 * The segmenter is a SAM-family image encoder + prompt decoder (SAM 2.1 tiny, model kind 'sam2', or the lighter
 * SlimSAM-77, kind 'slimsam'; loaded with `EngineApi.loadModel`). `segment` answers one click (points and/or a box on one frame) with
 * candidate masks; `track` chains the decoder through the clip, prompting each next frame from the previous mask
 * (its enlarged box, positive points inside it, negative points on the other regions) and checking each step by
 * the decoder's score and by IoU with the previous mask (src/core/segment/track.ts). Coordinates are frame
 * pixels (x right, y down, origin at the top-left corner of the top-left pixel); masks are `width·height` bytes,
 * row-major, 1 inside and 0 outside. Plain, structured-cloneable data: it crosses the worker boundary as is.
 */

/** A click: label 1 = positive (the object is here), 0 = negative (it is not). */
export interface SegmentPoint {
  readonly x: number;
  readonly y: number;
  readonly label: 1 | 0;
}

/** A box prompt in frame pixels (x0 < x1, y0 < y1). */
export interface SegmentBox {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

export interface SegmentRequest {
  /**
   * Identifies the clip's frames (e.g. project id + extraction settings). Frame embeddings are cached per
   * (clipKey, frameIndex); a request with another clipKey drops the cache, so change the key whenever the frames
   * change.
   */
  readonly clipKey: string;
  readonly frameIndex: number;
  /** The frame as RGBA bytes (`width·height·4`); read only when its embedding is not cached. */
  readonly frame: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** At least one point or a box. */
  readonly points: readonly SegmentPoint[];
  readonly box?: SegmentBox;
  /**
   * Several candidates (the decoder's multimask output, best score first) or just one. Default: several when
   * the prompt is a single point (ambiguous: part, object or whole), one otherwise, as SAM recommends.
   */
  readonly multimask?: boolean;
}

export interface SegmentCandidate {
  /** `width·height` bytes, 1 inside (decoder logits > 0 at frame size). */
  readonly mask: Uint8Array;
  /** The decoder's predicted IoU, in [0, 1] for a trained model. */
  readonly score: number;
}

export interface SegmentResult {
  /** Best score first; never empty. */
  readonly candidates: readonly SegmentCandidate[];
  /** The frame embedding came from the cache (the encoder did not run for this click). */
  readonly embeddingCached: boolean;
  /** Wall time of the encoder (0 when cached) and the decoder for this click, ms. */
  readonly encoderMs: number;
  readonly decoderMs: number;
}

export type TrackDirection = 'forward' | 'backward' | 'both';

/** A tracked frame is accepted only when both hold (shown and adjustable in the UI). */
export interface TrackThresholds {
  /** Least decoder score (predicted IoU) to accept a frame's mask; default 0.7 (DEFAULT_TRACK_THRESHOLDS). */
  readonly minScore: number;
  /** Least IoU between the new mask and the previous frame's mask moved by the estimated motion; default 0.5. */
  readonly minIou: number;
}

export const DEFAULT_TRACK_THRESHOLDS: TrackThresholds = { minScore: 0.7, minIou: 0.5 };

export interface TrackRequest {
  /** As in `SegmentRequest`: embeddings computed while tracking are cached per (clipKey, frameIndex). */
  readonly clipKey: string;
  /** Every frame of the clip, RGBA `width·height·4` each. */
  readonly frames: readonly Uint8Array[];
  readonly width: number;
  readonly height: number;
  /** The frame whose mask the user accepted (or corrected); tracking starts from its neighbours. */
  readonly startFrame: number;
  /** The accepted mask on `startFrame` (`width·height`, 1 inside); it is not changed. */
  readonly startMask: Uint8Array;
  /** 'both' runs forward then backward. A correction re-tracks with 'both' from the corrected frame. */
  readonly direction: TrackDirection;
  /**
   * Frames tracked, inclusive (default the whole clip). A correction may bound it, e.g. to stop at the next
   * frame the user corrected by hand.
   */
  readonly range?: { readonly first: number; readonly last: number };
  /** Per frame, the union of the other regions' masks (or null): negative points are placed on them. */
  readonly avoid?: readonly (Uint8Array | null)[];
  /** Per frame, the parent instance's mask (or null): a part's mask is clipped to its parent. */
  readonly clipTo?: readonly (Uint8Array | null)[];
  readonly thresholds: TrackThresholds;
}

/** Why a frame's mask was accepted or refused. */
export type TrackFrameStatus = 'ok' | 'low-score' | 'low-iou';

export type TrackEvent =
  | {
      readonly kind: 'frame';
      readonly frame: number;
      readonly direction: 'forward' | 'backward';
      /**
       * The decoder's mask for the frame: accepted when status is 'ok'; otherwise the refused proposal (shown so
       * the user can accept or correct it), and tracking stops in this direction.
       */
      readonly mask: Uint8Array;
      readonly score: number;
      readonly iou: number;
      readonly status: TrackFrameStatus;
    }
  | {
      readonly kind: 'progress';
      /** Frames processed so far and the most this track can process (both directions). */
      readonly done: number;
      readonly total: number;
    };

/** Where and why one direction stopped. */
export interface TrackStop {
  readonly direction: 'forward' | 'backward';
  /** The frame that failed the check ('low-score' / 'low-iou'), or the last frame tracked ('end'). */
  readonly frame: number;
  readonly reason: 'end' | TrackFrameStatus;
}

export interface TrackResult {
  /** Per frame of the clip: the accepted mask, the start mask on `startFrame`, null where not tracked. */
  readonly masks: readonly (Uint8Array | null)[];
  /** Per frame: the check's outcome, null where not tried (the start frame is 'ok'). */
  readonly status: readonly (TrackFrameStatus | null)[];
  /** Per frame: decoder score and IoU with the moved previous mask (NaN where not tried). */
  readonly scores: readonly number[];
  readonly ious: readonly number[];
  /** One entry per direction run. */
  readonly stops: readonly TrackStop[];
}
