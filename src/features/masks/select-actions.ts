/**
 * The Select tool's actions (issue 18): the clicks and box on the current frame, the segmenter's candidate masks
 * (EngineApi.segment, src/core/protocol/segment.ts), choosing one, and accepting it into the selected region or
 * part as one undo step (a part is clipped to its parent instance). No React: the canvas and the candidates panel
 * read the store's `select` and call these.
 *
 * The tool's prompt and candidate scores are the store's `select` (src/state/slices/segment.ts); candidate pixels
 * stay outside the store (`candidateMask`), like the other masks (DESIGN §2).
 */
import { services } from '../../app/services';
import { setFrameMask } from '../../core/regions/actions';
import type { SegmentBox, SegmentCandidate } from '../../core/protocol/segment';
import { bulk } from '../../state/bulk';
import { maskStore } from '../../state/mask-store';
import { useStore } from '../../state/store';
import { EMPTY_SELECT, type SelectState } from '../../state/slices/segment';
import { run } from '../regions/actions';
import { clipMask, parentMask, unionMask } from './segment-plan';

const select = (): SelectState => useStore.getState().select;
function patchSelect(patch: Partial<SelectState> | ((s: SelectState) => Partial<SelectState>)): void {
  useStore.setState((st) => ({
    select: { ...st.select, ...(typeof patch === 'function' ? patch(st.select) : patch) },
  }));
}

let masks: readonly Uint8Array[] = [];
/** The latest request wins: an answer to an older click is dropped. */
let requestSeq = 0;

export const candidateMask = (i: number): Uint8Array | null => masks[i] ?? null;

/** The candidate the overlay previews: the hovered one, else the chosen one. */
export function previewIndex(s: SelectState = select()): number | null {
  if (s.scores.length === 0) return null;
  return s.hovered ?? s.chosen;
}

export const SEGMENTER_MISSING =
  'Load a segmenter first: Models → Estimators, optical flow and segmentation → SAM 2.1 tiny, or SlimSAM-77 ' +
  '(lighter, for small GPUs) → Download / load.';

/**
 * True when a segmenter (SAM 2.1 or SlimSAM) is loaded; otherwise tells the user where to load one. Which one
 * runs when both are: the engine's choice (workers/engine/segment/service.ts `pickSegmenter`).
 */
export function segmenterReady(): boolean {
  const { models } = useStore.getState();
  if (models.sam2.state === 'ready' || models.slimsam.state === 'ready') return true;
  useStore.getState().notify('error', SEGMENTER_MISSING, 'MODEL_NOT_LOADED');
  return false;
}

/** Identifies the clip's frames for the engine's embedding cache: another project or extraction → another key. */
export function clipKeyOf(): string {
  const s = useStore.getState();
  const f = s.frames;
  return `${s.projectId ?? 'none'}:${f?.version ?? 0}:${f?.count ?? 0}:${f?.width ?? 0}x${f?.height ?? 0}`;
}

function setCandidates(candidates: readonly SegmentCandidate[], origin: SelectState['origin']): void {
  masks = candidates.map((c) => c.mask);
  patchSelect((s) => ({
    scores: candidates.map((c) => c.score),
    origin,
    chosen: 0,
    hovered: null,
    version: s.version + 1,
  }));
}

/** Forgets the clicks, the box and the candidates (Esc; also when the frame or region changes). */
export function clearSelect(): void {
  requestSeq++;
  masks = [];
  patchSelect((s) => ({ ...EMPTY_SELECT, version: s.version + 1 }));
}

/** Starts over when the user moved to another frame or region than the clicks were made on. */
function ensureTarget(): boolean {
  const { selectedRegionId, currentFrame } = useStore.getState();
  if (!selectedRegionId) {
    useStore.getState().notify('info', 'Add or select a region first, then click on its object to select it.');
    return false;
  }
  const s = select();
  if (s.regionId !== selectedRegionId || s.frame !== currentFrame) {
    clearSelect();
    patchSelect({ regionId: selectedRegionId, frame: currentFrame });
  }
  return true;
}

/** A click: label 1 adds where the object is, 0 (Alt-click) where it is not. Re-segments at once. */
export function addPoint(x: number, y: number, label: 1 | 0): void {
  // A click made before the segmenter is loaded is not kept: it would silently join the next prompt.
  if (!ensureTarget() || !segmenterReady()) return;
  patchSelect((s) => ({ points: [...s.points, { x, y, label }] }));
  void segmentNow();
}

/** A dragged box (frame pixels, any corner order); replaces the previous box. */
export function setBox(a: { x: number; y: number }, b: { x: number; y: number }): void {
  if (!ensureTarget() || !segmenterReady()) return;
  const box: SegmentBox = {
    x0: Math.min(a.x, b.x),
    y0: Math.min(a.y, b.y),
    x1: Math.max(a.x, b.x),
    y1: Math.max(a.y, b.y),
  };
  patchSelect({ box });
  void segmentNow();
}

/** Runs the segmenter on the current prompt of the current frame; the newest prompt's answer wins. */
export async function segmentNow(): Promise<void> {
  const s = select();
  if (s.points.length === 0 && !s.box) return;
  if (!segmenterReady()) return;
  const frame = bulk.frame(s.frame);
  if (!frame) return;
  const seq = ++requestSeq;
  patchSelect({ busy: true });
  try {
    const result = await services.engine().api.segment({
      clipKey: clipKeyOf(),
      frameIndex: s.frame,
      frame: frame.data,
      width: frame.width,
      height: frame.height,
      points: s.points,
      ...(s.box ? { box: s.box } : {}),
    });
    if (seq !== requestSeq) return;
    setCandidates(result.candidates, 'segment');
  } catch (e) {
    if (seq !== requestSeq) return;
    const err = e as Error & { code?: string };
    useStore.getState().notify('error', err.message, err.code);
  } finally {
    if (seq === requestSeq) patchSelect({ busy: false });
  }
}

/** Shows a tracking step's refused mask as the one candidate on its frame: Enter accepts it as a correction. */
export function offerTrackProposal(regionId: string, frame: number, mask: Uint8Array, score: number): void {
  clearSelect();
  patchSelect({ regionId, frame });
  setCandidates([{ mask, score }], 'track');
}

export function chooseCandidate(i: number): void {
  const s = select();
  if (i >= 0 && i < s.scores.length) patchSelect({ chosen: i });
}

export function hoverCandidate(i: number | null): void {
  patchSelect({ hovered: i });
}

/**
 * Accepts the chosen candidate into the region's mask on its frame as one undo step: 'replace' sets the frame's
 * mask to it, 'add' unions it with what is there. A part is clipped to its parent instance's mask on that frame.
 * Returns false when there was nothing to accept.
 */
export function acceptCandidate(mode: 'replace' | 'add' = 'replace'): boolean {
  const s = select();
  const mask = candidateMask(s.chosen);
  if (!mask || !s.regionId) return false;
  const doc = maskStore.doc();
  const parent = parentMask(doc, s.regionId, s.frame);
  const region = doc.regions.find((r) => r.id === s.regionId);
  if (region?.kind === 'part' && region.parentId && !parent)
    useStore
      .getState()
      .notify('info', 'The parent instance has no mask on this frame, so the part was not clipped to it.');
  let bits = clipMask(mask, parent);
  const existing = doc.masks[s.regionId]?.[s.frame]?.bits;
  if (mode === 'add' && existing) bits = unionMask(existing, bits);
  const ok = run(setFrameMask(s.regionId, s.frame, bits));
  clearSelect();
  return ok;
}

// Clicks and candidates belong to one project's frames: another project or extraction forgets them.
useStore.subscribe((s, prev) => {
  if (s.projectId !== prev.projectId || s.frames?.version !== prev.frames?.version) clearSelect();
});
