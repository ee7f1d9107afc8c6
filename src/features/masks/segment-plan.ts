/**
 * Pure helpers of the Select and Track tools (issue 18): what a region's accepted or tracked mask is clipped to,
 * which other masks the tracker avoids, how far a track may run, and the per-frame status the frame strip shows.
 * No React, no store: the tool actions (select-actions.ts, track-actions.ts) pass the document in.
 */
import type { RegionsDoc } from '../../core/regions/model';
import type { TrackDirection, TrackResult } from '../../core/protocol/segment';

/**
 * The parent instance's mask on `frame` when `regionId` is a part with a parent (a part lies inside its instance,
 * VideoGrain's part-level prompts, DESIGN §3.3); null for instances, background, orphan parts, or a parent with no
 * mask on that frame.
 */
export function parentMask(doc: RegionsDoc, regionId: string, frame: number): Uint8Array | null {
  const region = doc.regions.find((r) => r.id === regionId);
  if (region?.kind !== 'part' || !region.parentId) return null;
  return doc.masks[region.parentId]?.[frame]?.bits ?? null;
}

/** `mask ∧ clip` as a new array (`clip` null: a copy of `mask`). */
export function clipMask(mask: Uint8Array, clip: Uint8Array | null): Uint8Array {
  const out = mask.slice();
  if (clip) for (let i = 0; i < out.length; i++) out[i] = out[i]! & clip[i]!;
  return out;
}

/** `a ∨ b` as a new array. */
export function unionMask(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = a.slice();
  for (let i = 0; i < out.length; i++) out[i] = out[i]! | b[i]!;
  return out;
}

/**
 * Per frame, the union of the masks the tracker places negative points on: every other visible instance or part,
 * except the region's own parent (a part lies inside it) and its own parts (they lie inside it). Background is
 * left out: it usually surrounds everything, so negative points on it would fight the object's own box.
 */
export function avoidMasks(doc: RegionsDoc, regionId: string): (Uint8Array | null)[] {
  const region = doc.regions.find((r) => r.id === regionId);
  const others = doc.regions.filter(
    (r) => r.id !== regionId && r.kind !== 'background' && r.id !== region?.parentId && r.parentId !== regionId,
  );
  const n = doc.size.width * doc.size.height;
  return Array.from({ length: doc.frameCount }, (_, f) => {
    let out: Uint8Array | null = null;
    for (const r of others) {
      const bits = doc.masks[r.id]?.[f]?.bits;
      if (!bits) continue;
      out ??= new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = out[i]! | bits[i]!;
    }
    return out;
  });
}

/** Per frame, the parent's mask a part is clipped to (null per frame where there is none); null for non-parts. */
export function clipMasks(doc: RegionsDoc, regionId: string): (Uint8Array | null)[] | null {
  const region = doc.regions.find((r) => r.id === regionId);
  if (region?.kind !== 'part' || !region.parentId) return null;
  return Array.from({ length: doc.frameCount }, (_, f) => parentMask(doc, regionId, f));
}

/**
 * The frames a track from `start` may write: up to, not over, the nearest keyframe the user made on either side
 * (a painted, selected or corrected frame is the user's word, and a re-track from a correction stops at the next
 * one). `marks` is the region's frame marks ('k' keyframe, 'p' propagated or tracked, '.' none).
 */
export function trackRange(
  marks: string,
  start: number,
  direction: TrackDirection,
): { readonly first: number; readonly last: number } {
  let first = start;
  let last = start;
  if (direction !== 'forward') while (first > 0 && marks[first - 1] !== 'k') first--;
  if (direction !== 'backward') while (last < marks.length - 1 && marks[last + 1] !== 'k') last++;
  return { first, last };
}

/**
 * The frame strip's track status, one character per frame: 't' tracked (the check passed), 'c' needs
 * correction (the check refused the frame's mask and tracking stopped there), 's' stopped (inside the range
 * but not reached, because tracking stopped before it), '.' not part of this track (the start frame too).
 */
export function trackStatus(
  result: Pick<TrackResult, 'status' | 'stops'>,
  start: number,
  range: { readonly first: number; readonly last: number },
): string {
  const chars: string[] = result.status.map((s, f) => (f === start || s === null ? '.' : s === 'ok' ? 't' : 'c'));
  for (const stop of result.stops) {
    if (stop.reason === 'end') continue;
    if (stop.direction === 'forward') for (let f = stop.frame + 1; f <= range.last; f++) chars[f] = 's';
    else for (let f = range.first; f < stop.frame; f++) chars[f] = 's';
  }
  return chars.join('');
}

/** The stop the UI jumps to: the refused frame nearest the start (forward first on a tie); null when none. */
export function firstStop(
  result: Pick<TrackResult, 'stops'>,
  start: number,
): {
  readonly frame: number;
  readonly reason: 'low-score' | 'low-iou';
  readonly direction: 'forward' | 'backward';
} | null {
  let best: ReturnType<typeof firstStop> = null;
  for (const s of result.stops) {
    if (s.reason === 'end' || s.reason === 'ok') continue;
    if (!best || Math.abs(s.frame - start) < Math.abs(best.frame - start))
      best = { frame: s.frame, reason: s.reason, direction: s.direction };
  }
  return best;
}
