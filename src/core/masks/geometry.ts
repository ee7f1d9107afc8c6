/**
 * Bringing imported masks to the frames' geometry. Frames are made from the source by scaling so the source
 * covers the output (square: short side to the size; aspect mode: short side to the size, long side floored
 * to a multiple of 64) and cropping the centre — so a mask drawn on the source is mapped the same way:
 * scale s = max(W/w, H/h), centre crop, nearest neighbour through pixel centres.
 */
import { AppError } from '../protocol/errors';
import type { MaskSize } from './raster';

/** Values (labels or 0/1) of a `from`-sized raster resampled to `to` with cover-scale + centre crop. */
export function coverResizeNearest(values: Uint8Array, from: MaskSize, to: MaskSize): Uint8Array {
  if (from.width === to.width && from.height === to.height) return values.slice();
  const s = Math.max(to.width / from.width, to.height / from.height);
  const ox = (from.width * s - to.width) / 2;
  const oy = (from.height * s - to.height) / 2;
  const out = new Uint8Array(to.width * to.height);
  const colSrc = new Int32Array(to.width);
  for (let x = 0; x < to.width; x++) colSrc[x] = Math.min(from.width - 1, Math.floor((x + 0.5 + ox) / s));
  for (let y = 0; y < to.height; y++) {
    const sy = Math.min(from.height - 1, Math.floor((y + 0.5 + oy) / s));
    const srcRow = sy * from.width;
    const dstRow = y * to.width;
    for (let x = 0; x < to.width; x++) out[dstRow + x] = values[srcRow + colSrc[x]!]!;
  }
  return out;
}

/** Relative aspect-ratio difference tolerated between a mask and the source it was drawn on (853 vs 854 px). */
const ASPECT_TOLERANCE = 0.01;

/**
 * Checks that a mask of `mask` size can be brought to the frames: either it already has the frame size, or
 * its aspect ratio is the source video's (it was drawn on the uncropped source). Throws a clear error else.
 */
export function checkMaskGeometry(name: string, mask: MaskSize, frames: MaskSize, source?: MaskSize): void {
  if (mask.width === frames.width && mask.height === frames.height) return;
  const ref = source ?? frames;
  const aspect = mask.width / mask.height;
  const refAspect = ref.width / ref.height;
  if (Math.abs(aspect - refAspect) / refAspect <= ASPECT_TOLERANCE) return;
  const expected = source
    ? `${frames.width}×${frames.height} (the frames) or the source's ${source.width}×${source.height} shape`
    : `${frames.width}×${frames.height} (the frames' size or shape)`;
  throw new AppError(
    'MASK_WRONG_SIZE',
    `${name} is ${mask.width}×${mask.height}; masks must be ${expected}. Export the masks at the clip's size and try again.`,
  );
}
