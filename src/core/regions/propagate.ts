/**
 * Propagation of masks across frames. Keyframes are what the user painted or imported; propagated frames
 * are derived and marked so the UI can tell them apart. Propagation never overwrites a keyframe.
 */
import { AppError } from '../protocol/errors';
import { interpolateMasks } from '../masks/sdf';
import { isEmptyMask } from '../masks/raster';
import type { StoredFrame } from '../masks/rle';
import type { DocAction } from './actions';

export type CopyTarget = { readonly kind: 'all' } | { readonly kind: 'next'; readonly count: number };

/** Copies frame `from`'s mask of region `id` to the other frames (all, or the next `count`). */
export const copyMaskToFrames =
  (id: string, from: number, target: CopyTarget): DocAction =>
  (doc) => {
    const frames = doc.masks[id];
    if (!frames) throw new AppError('NO_REGION', 'That region no longer exists.');
    const source = frames[from];
    if (!source) throw new AppError('MASK_NOTHING_TO_COPY', `Frame ${from + 1} has no mask to copy. Paint it first.`);
    const next = frames.slice();
    const last = target.kind === 'all' ? doc.frameCount - 1 : Math.min(doc.frameCount - 1, from + target.count);
    const first = target.kind === 'all' ? 0 : from + 1;
    let changed = false;
    for (let f = first; f <= last; f++) {
      if (f === from || next[f]?.origin === 'key') continue;
      next[f] = { bits: source.bits, origin: 'propagated' };
      changed = true;
    }
    return changed ? { ...doc, masks: { ...doc.masks, [id]: next } } : doc;
  };

export function keyframesOf(frames: readonly (StoredFrame | null)[]): number[] {
  const keys: number[] = [];
  frames.forEach((f, i) => {
    if (f?.origin === 'key') keys.push(i);
  });
  return keys;
}

/**
 * Fills the frames between consecutive keyframes of region `id` with SDF shape interpolation
 * (see masks/sdf.ts). With `holdEnds`, frames before the first / after the last keyframe copy it.
 */
export const interpolateKeyframes =
  (id: string, options: { holdEnds?: boolean } = {}): DocAction =>
  (doc) => {
    const frames = doc.masks[id];
    if (!frames) throw new AppError('NO_REGION', 'That region no longer exists.');
    const keys = keyframesOf(frames);
    if (keys.length < (options.holdEnds ? 1 : 2)) {
      throw new AppError(
        'TOO_FEW_KEYFRAMES',
        'Paint this region on at least two frames (keyframes) to interpolate between them.',
      );
    }
    const next = frames.slice();
    for (let k = 0; k + 1 < keys.length; k++) {
      const a = keys[k]!;
      const b = keys[k + 1]!;
      if (b - a < 2) continue;
      const ts: number[] = [];
      for (let f = a + 1; f < b; f++) ts.push((f - a) / (b - a));
      const shapes = interpolateMasks(frames[a]!.bits, frames[b]!.bits, doc.size, ts);
      shapes.forEach((bits, j) => {
        next[a + 1 + j] = isEmptyMask(bits) ? null : { bits, origin: 'propagated' };
      });
    }
    if (options.holdEnds) {
      const first = frames[keys[0]!]!;
      const last = frames[keys[keys.length - 1]!]!;
      for (let f = 0; f < keys[0]!; f++) next[f] = { bits: first.bits, origin: 'propagated' };
      for (let f = keys[keys.length - 1]! + 1; f < doc.frameCount; f++)
        next[f] = { bits: last.bits, origin: 'propagated' };
    }
    return { ...doc, masks: { ...doc.masks, [id]: next } };
  };
