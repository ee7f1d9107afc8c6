/**
 * Tracking by prompt chaining (issue 18), pure: the segmenter is injected. SAM 2's memory-attention video
 * tracker has no official ONNX export, so each next frame is prompted from the previous accepted mask:
 * 1. motion: the previous mask moved by the last centroid displacement (constant velocity; none on the first
 *    step) is the prediction for the frame;
 * 2. prompt: the prediction's bounding box enlarged by `boxMargin` of its size per side, positive points at its
 *    most interior pixels (distance transform maxima, spread out), negative points at the most interior pixels
 *    of the other regions' masks inside that box (so the decoder does not leak into a neighbour);
 * 3. check: the decoder's score must reach `minScore` and the IoU of the new mask with the prediction must
 *    reach `minIou`; otherwise the frame is refused (its proposal is reported) and tracking stops in that
 *    direction, asking for a correction. A part's mask is clipped to its parent instance before the check.
 * A correction is a new track from the corrected frame (direction 'both').
 */
import { AppError } from '../protocol/errors';
import type {
  SegmentBox,
  SegmentPoint,
  TrackDirection,
  TrackEvent,
  TrackFrameStatus,
  TrackResult,
  TrackStop,
  TrackThresholds,
} from '../protocol/segment';
import { andMask, enlargeBox, interiorPoints, maskArea, maskBox, maskCentroid, maskIou, shiftMask } from './mask-ops';

export interface TrackPrompt {
  readonly points: readonly SegmentPoint[];
  readonly box: SegmentBox;
}

/** Segments one frame from a prompt: the best candidate's mask (`width·height`, 1 inside) and score. */
export type TrackSegmenter = (
  frame: number,
  prompt: TrackPrompt,
) => Promise<{ readonly mask: Uint8Array; readonly score: number }>;

export interface TrackOptions {
  readonly frameCount: number;
  readonly width: number;
  readonly height: number;
  readonly startFrame: number;
  readonly startMask: Uint8Array;
  readonly direction: TrackDirection;
  readonly range?: { readonly first: number; readonly last: number };
  readonly avoid?: readonly (Uint8Array | null)[];
  readonly clipTo?: readonly (Uint8Array | null)[];
  readonly thresholds: TrackThresholds;
  /** Box enlargement per side, as a fraction of the box size (default 0.1). */
  readonly boxMargin?: number;
  /** Positive points per frame (default 3) and negative points (default 2). */
  readonly positivePoints?: number;
  readonly negativePoints?: number;
}

export interface TrackHooks {
  readonly onEvent?: (event: TrackEvent) => void;
  /** Polled before each frame; true rejects the track with CANCELLED. */
  readonly isCancelled?: () => boolean;
}

function invalid(message: string): AppError {
  return new AppError('SEGMENT_INPUT_INVALID', message);
}

/** The prompt for a frame whose predicted mask is `predicted` (see the header, step 2). */
export function promptFromMask(
  predicted: Uint8Array,
  width: number,
  height: number,
  avoid: Uint8Array | null | undefined,
  options: { boxMargin?: number; positivePoints?: number; negativePoints?: number } = {},
): TrackPrompt | null {
  const tight = maskBox(predicted, width, height);
  if (!tight) return null;
  const box = enlargeBox(tight, options.boxMargin ?? 0.1, width, height);
  const points: SegmentPoint[] = interiorPoints(predicted, width, height, options.positivePoints ?? 3).map((p) => ({
    ...p,
    label: 1 as const,
  }));
  const negatives = options.negativePoints ?? 2;
  if (avoid && negatives > 0) {
    // Only the other regions' pixels inside the box matter to this decoder call (and never the object's own).
    const near = new Uint8Array(width * height);
    for (let y = Math.floor(box.y0); y < Math.ceil(box.y1); y++)
      for (let x = Math.floor(box.x0); x < Math.ceil(box.x1); x++) {
        const i = y * width + x;
        if (avoid[i] && !predicted[i]) near[i] = 1;
      }
    for (const p of interiorPoints(near, width, height, negatives)) points.push({ ...p, label: 0 });
  }
  return { points, box };
}

function checkOptions(o: TrackOptions): { first: number; last: number } {
  const n = o.width * o.height;
  if (!Number.isInteger(o.frameCount) || o.frameCount < 1) throw invalid('The clip has no frames to track.');
  if (!Number.isInteger(o.startFrame) || o.startFrame < 0 || o.startFrame >= o.frameCount)
    throw invalid(`Start frame ${o.startFrame} is outside the clip (0–${o.frameCount - 1}).`);
  if (o.startMask.length !== n)
    throw invalid(`The start mask has ${o.startMask.length} pixels, the frames ${o.width}×${o.height}.`);
  if (maskArea(o.startMask) === 0) throw invalid('The start mask is empty: select the object on the frame first.');
  for (const [name, list] of [
    ['avoid', o.avoid],
    ['clipTo', o.clipTo],
  ] as const) {
    if (!list) continue;
    if (list.length !== o.frameCount) throw invalid(`${name} has ${list.length} entries for ${o.frameCount} frames.`);
    if (list.some((m) => m && m.length !== n)) throw invalid(`A ${name} mask is not ${o.width}×${o.height}.`);
  }
  const { minScore, minIou } = o.thresholds;
  if (!(minScore >= 0 && minScore <= 1 && minIou >= 0 && minIou <= 1))
    throw invalid('The tracking thresholds must be between 0 and 1.');
  const first = o.range?.first ?? 0;
  const last = o.range?.last ?? o.frameCount - 1;
  if (!(first >= 0 && last < o.frameCount && first <= o.startFrame && o.startFrame <= last))
    throw invalid(`The range ${first}–${last} must lie in the clip and hold the start frame ${o.startFrame}.`);
  return { first, last };
}

/** Tracks the start mask through the clip (see the header). */
export async function trackMask(
  options: TrackOptions,
  segment: TrackSegmenter,
  hooks: TrackHooks = {},
): Promise<TrackResult> {
  const { first, last } = checkOptions(options);
  const { width, height, startFrame, thresholds } = options;
  const frameCount = options.frameCount;
  const masks: (Uint8Array | null)[] = new Array<Uint8Array | null>(frameCount).fill(null);
  const status: (TrackFrameStatus | null)[] = new Array<TrackFrameStatus | null>(frameCount).fill(null);
  const scores = new Array<number>(frameCount).fill(NaN);
  const ious = new Array<number>(frameCount).fill(NaN);
  const start = Uint8Array.from(options.startMask, (v) => (v ? 1 : 0));
  masks[startFrame] = start;
  status[startFrame] = 'ok';
  const dirs: ('forward' | 'backward')[] = options.direction === 'both' ? ['forward', 'backward'] : [options.direction];
  const total = dirs.reduce((s, d) => s + (d === 'forward' ? last - startFrame : startFrame - first), 0);
  let done = 0;
  const stops: TrackStop[] = [];
  hooks.onEvent?.({ kind: 'progress', done, total });

  for (const dir of dirs) {
    const step = dir === 'forward' ? 1 : -1;
    const end = dir === 'forward' ? last : first;
    let prev: Uint8Array = start;
    let prevPrev: Uint8Array | null = null;
    let stop: TrackStop = { direction: dir, frame: startFrame, reason: 'end' };
    for (let f = startFrame + step; dir === 'forward' ? f <= end : f >= end; f += step) {
      if (hooks.isCancelled?.()) throw new AppError('CANCELLED', 'Tracking was cancelled.');
      // Constant-velocity motion estimate from the last two accepted masks' centroids.
      let predicted: Uint8Array = prev;
      if (prevPrev) {
        const a = maskCentroid(prevPrev, width);
        const b = maskCentroid(prev, width);
        if (a && b) predicted = shiftMask(prev, width, height, Math.round(b.x - a.x), Math.round(b.y - a.y));
        if (maskArea(predicted) === 0) predicted = prev;
      }
      const prompt = promptFromMask(predicted, width, height, options.avoid?.[f], options);
      if (!prompt) break;
      const got = await segment(f, prompt);
      if (got.mask.length !== width * height) throw new Error(`segmenter returned ${got.mask.length} pixels`);
      const parent = options.clipTo?.[f];
      const mask = parent ? andMask(got.mask, parent) : Uint8Array.from(got.mask, (v) => (v ? 1 : 0));
      const iou = maskIou(mask, predicted);
      const frameStatus: TrackFrameStatus = !(got.score >= thresholds.minScore)
        ? 'low-score'
        : iou < thresholds.minIou
          ? 'low-iou'
          : 'ok';
      scores[f] = got.score;
      ious[f] = iou;
      status[f] = frameStatus;
      done++;
      hooks.onEvent?.({ kind: 'frame', frame: f, direction: dir, mask, score: got.score, iou, status: frameStatus });
      hooks.onEvent?.({ kind: 'progress', done, total });
      if (frameStatus !== 'ok') {
        stop = { direction: dir, frame: f, reason: frameStatus };
        break;
      }
      masks[f] = mask;
      stop = { direction: dir, frame: f, reason: 'end' };
      prevPrev = prev;
      prev = mask;
    }
    stops.push(stop);
  }
  return { masks, status, scores, ious, stops };
}
