/**
 * Track through the clip (issue 18): sends the selected region's mask on the current frame to the engine's
 * prompt-chaining tracker (EngineApi.track, src/core/protocol/segment.ts), shows progress as a task with
 * Cancel, lands the accepted masks in the region as one undo step, keeps the per-frame status for the frame
 * strip, and on a refused frame jumps there, says why, and offers the refused mask as a candidate to accept or
 * correct. Tracking again from a corrected frame re-tracks from there (up to the next keyframe either side).
 */
import { services } from '../../app/services';
import { batch, setFrameMask, type DocAction } from '../../core/regions/actions';
import {
  type TrackDirection,
  type TrackEvent,
  type TrackRequest,
  type TrackResult,
  type TrackThresholds,
} from '../../core/protocol/segment';
import { Comlink } from '../../core/protocol/rpc';
import { hasCode } from '../../core/protocol/errors';
import { bulk } from '../../state/bulk';
import { maskStore } from '../../state/mask-store';
import { useStore } from '../../state/store';
import type { TrackState } from '../../state/slices/segment';
import { runTask } from '../tasks/run-task';
import { run } from '../regions/actions';
import { clearSelect, clipKeyOf, offerTrackProposal, segmenterReady } from './select-actions';
import { avoidMasks, clipMasks, firstStop, trackRange, trackStatus } from './segment-plan';

export const TRACK_TASK = 'track';

const track = (): TrackState => useStore.getState().track;
function patchTrack(patch: Partial<TrackState> | ((t: TrackState) => Partial<TrackState>)): void {
  useStore.setState((st) => ({ track: { ...st.track, ...(typeof patch === 'function' ? patch(st.track) : patch) } }));
}

// A track's status belongs to the frames it ran on: another project or extraction forgets it.
useStore.subscribe((s, prev) => {
  if (s.projectId !== prev.projectId || s.frames?.version !== prev.frames?.version)
    patchTrack({ status: {}, stop: null, done: 0, total: 0 });
});

export function setThresholds(patch: Partial<TrackThresholds>): void {
  const clamp = (v: number) => (Number.isFinite(v) ? Math.max(0, Math.min(1, v)) : 0);
  patchTrack((s) => ({
    thresholds: {
      minScore: clamp(patch.minScore ?? s.thresholds.minScore),
      minIou: clamp(patch.minIou ?? s.thresholds.minIou),
    },
  }));
}

function describeStop(stop: NonNullable<ReturnType<typeof firstStop>>, result: TrackResult, t: TrackThresholds) {
  const f = stop.frame;
  const why =
    stop.reason === 'low-score'
      ? `the segmenter's score ${result.scores[f]!.toFixed(2)} is below the minimum ${t.minScore.toFixed(2)}`
      : `the IoU with the previous frame's mask ${result.ious[f]!.toFixed(2)} is below the minimum ${t.minIou.toFixed(2)}`;
  return (
    `Tracking ${stop.direction} stopped at frame ${f + 1}: ${why}. ` +
    'Correct this frame (Select, Enter to accept the proposal, or the brush), then press Track to re-track from here.'
  );
}

/** The masks a track accepted, except the start frame's (it is the user's). */
function landing(regionId: string, start: number, masks: readonly (Uint8Array | null)[]): DocAction | null {
  const actions: DocAction[] = [];
  masks.forEach((m, f) => {
    if (m && f !== start) actions.push(setFrameMask(regionId, f, m, 'propagated'));
  });
  return actions.length > 0 ? batch(...actions) : null;
}

/**
 * Tracks the selected region from the current frame. Resolves true when the track ran to its end or stopped
 * to ask for a correction; false when it could not start, failed, or was cancelled (what it had accepted by
 * then still lands).
 */
export async function startTrack(direction: TrackDirection): Promise<boolean> {
  const s = useStore.getState();
  if (track().running) return false;
  const regionId = s.selectedRegionId;
  const start = s.currentFrame;
  if (!regionId || !s.frames) {
    s.notify('info', 'Add or select a region first, select its object on a frame, then track it.');
    return false;
  }
  const doc = maskStore.doc();
  const startMask = doc.masks[regionId]?.[start]?.bits;
  if (!startMask) {
    s.notify('info', `Region has no mask on frame ${start + 1}: select or paint it there first, then track.`);
    return false;
  }
  if (!segmenterReady()) return false;
  const frames = bulk.frames();
  const marks = s.maskFrames[regionId] ?? '';
  const range = trackRange(marks, start, direction);
  const clipTo = clipMasks(doc, regionId);
  const { thresholds } = track();
  const request: TrackRequest = {
    clipKey: clipKeyOf(),
    frames: frames.map((f) => f.data),
    width: s.frames.width,
    height: s.frames.height,
    startFrame: start,
    startMask,
    direction,
    range,
    avoid: avoidMasks(doc, regionId),
    ...(clipTo ? { clipTo } : {}),
    thresholds,
  };
  const projectId = s.projectId;
  const accepted: (Uint8Array | null)[] = new Array<null>(frames.length).fill(null);
  const refused = new Map<number, { mask: Uint8Array; score: number }>();
  clearSelect();
  patchTrack((t) => ({
    running: direction,
    stop: null,
    done: 0,
    total: range.last - range.first,
    status: { ...t.status, [regionId]: '' },
  }));
  let result: TrackResult | null = null;
  const ok = await runTask(TRACK_TASK, `Track ${direction}`, async (progress) => {
    progress(`frame 0 of ${range.last - range.first}`, 0);
    const onEvent = (e: TrackEvent) => {
      if (e.kind === 'progress') {
        patchTrack({ done: e.done, total: e.total });
        progress(`frame ${e.done} of ${e.total}`, e.total > 0 ? e.done / e.total : undefined);
      } else if (e.status === 'ok') accepted[e.frame] = e.mask;
      else refused.set(e.frame, { mask: e.mask, score: e.score });
    };
    result = await services.engine().api.track(request, Comlink.proxy(onEvent));
  });
  patchTrack({ running: null });
  // The user opened another project meanwhile: these masks are not that project's.
  if (useStore.getState().projectId !== projectId) return false;
  const final = result as TrackResult | null;
  const landed = landing(regionId, start, final ? final.masks : accepted);
  if (landed) run(landed);
  if (!final) return false;
  patchTrack((t) => ({ status: { ...t.status, [regionId]: trackStatus(final, start, range) } }));
  const stop = firstStop(final, start);
  if (stop) {
    const message = describeStop(stop, final, thresholds);
    patchTrack({ stop: { regionId, frame: stop.frame, message } });
    useStore.getState().setCurrentFrame(stop.frame);
    useStore.getState().setMaskTool('select');
    const proposal = refused.get(stop.frame);
    if (proposal) offerTrackProposal(regionId, stop.frame, proposal.mask, proposal.score);
    useStore.getState().notify('info', message);
  }
  return ok;
}

/** Asks the engine to stop the track at its next frame; what was accepted by then lands. */
export function cancelTrack(): void {
  if (!track().running) return;
  useStore.getState().updateTask(TRACK_TASK, 'cancelling');
  void services
    .engine()
    .api.cancelTrack()
    .catch((e: unknown) => {
      if (!hasCode(e, 'CANCELLED')) useStore.getState().notify('error', (e as Error).message);
    });
}
