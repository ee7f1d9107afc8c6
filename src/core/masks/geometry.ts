/**
 * Bringing imported masks to the frames' geometry. Frames are made from the source by scaling so the source
 * covers the output and cropping the centre (src/core/clip/geometry.ts, the one definition the video worker
 * and the CLI use too), so a mask drawn on the source is mapped the same way, by nearest neighbour
 * (src/core/masks/resize.ts `cropResizeMask`).
 */
import { AppError } from '../protocol/errors';
import { coverCropGeometry } from '../clip/geometry';
import type { MaskSize } from './raster';
import { cropResizeMask } from './resize';

/** Values (labels or 0/1) of a `from`-sized raster resampled to `to` with cover-scale + centre crop. */
export function coverResizeNearest(values: Uint8Array, from: MaskSize, to: MaskSize): Uint8Array {
  if (from.width === to.width && from.height === to.height) return values.slice();
  return cropResizeMask(values, coverCropGeometry(from.width, from.height, to.width, to.height));
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
