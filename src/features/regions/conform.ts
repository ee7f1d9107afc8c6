/**
 * Keeps the regions document in step with the frames: a new extraction (other count or size) conforms the
 * masks instead of dropping them — extra frames are cut, missing ones are empty, a new size is resampled
 * (nearest) so nothing painted disappears silently.
 */
import { coverResizeNearest } from '../../core/masks/geometry';
import type { MaskSize } from '../../core/masks/raster';
import type { RegionMasks, RegionsDoc } from '../../core/regions/model';

export function conformDoc(doc: RegionsDoc, size: MaskSize, count: number): RegionsDoc {
  const sameSize = doc.size.width === size.width && doc.size.height === size.height;
  if (sameSize && doc.frameCount === count) return doc;
  const masks: Record<string, RegionMasks> = {};
  for (const r of doc.regions) {
    const frames = doc.masks[r.id] ?? [];
    const next: RegionMasks = Array.from({ length: count }, (_, f) => {
      const entry = frames[f];
      if (!entry || doc.size.width === 0) return null;
      return sameSize ? entry : { origin: entry.origin, bits: coverResizeNearest(entry.bits, doc.size, size) };
    });
    masks[r.id] = next;
  }
  return { ...doc, size, frameCount: count, masks };
}
