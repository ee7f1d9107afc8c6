/**
 * Nearest-neighbour index maps with the exact semantics of the two libraries the official code uses
 * (DESIGN §3.4), and the one mask crop-resize: a mask drawn on the source brought to the edited frame through
 * the frame geometry of src/core/clip/geometry.ts (short side → size, centre crop), used by mask import and by
 * the CLI's official-config masks alike.
 *
 * - OpenCV `cv2.resize(..., interpolation=INTER_NEAREST)` (imgproc resize.cpp, resizeNN): fx = out/in in
 *   double, ifx = 1/fx, src = min(floor(dst·ifx), in − 1). Note ifx is 1/(out/in), not in/out: the two differ
 *   in the last bit for some sizes (e.g. 6 → 34, dst 17: OpenCV gives 2, floor(17·6/34) = 3). Verified against
 *   opencv-python 5.0 for every in, out in 1..199.
 * - PyTorch `F.interpolate(mode="nearest")` with an output size (UpSample.h nearest_idx): out == in → dst;
 *   out == 2·in → dst >> 1; else scale = float32(in/out), src = min(floor(float32(dst·scale)), in − 1).
 */

import type { CropGeometry } from '../clip/geometry';

export type NearestMode = 'opencv' | 'torch';

/** src index for each dst index along one axis. */
export function nearestSourceIndices(inSize: number, outSize: number, mode: NearestMode): Int32Array {
  if (!(Number.isInteger(inSize) && Number.isInteger(outSize) && inSize > 0 && outSize > 0))
    throw new RangeError(`nearest resize needs positive integer sizes, got ${inSize} → ${outSize}`);
  const map = new Int32Array(outSize);
  if (mode === 'opencv') {
    const ifx = 1 / (outSize / inSize);
    for (let d = 0; d < outSize; d++) map[d] = Math.min(Math.floor(d * ifx), inSize - 1);
  } else if (outSize === inSize) {
    for (let d = 0; d < outSize; d++) map[d] = d;
  } else if (outSize === 2 * inSize) {
    for (let d = 0; d < outSize; d++) map[d] = d >> 1;
  } else {
    const scale = Math.fround(inSize / outSize);
    for (let d = 0; d < outSize; d++) map[d] = Math.min(Math.floor(Math.fround(d * scale)), inSize - 1);
  }
  return map;
}

/** Resizes one single-channel raster (any typed array) by nearest neighbour. */
export function resizeNearest<T extends Uint8Array | Uint32Array>(
  src: T,
  inWidth: number,
  inHeight: number,
  outWidth: number,
  outHeight: number,
  mode: NearestMode,
  out?: T,
): T {
  if (src.length !== inWidth * inHeight)
    throw new RangeError(`raster has ${src.length} values, expected ${inWidth}×${inHeight}`);
  const xs = nearestSourceIndices(inWidth, outWidth, mode);
  const ys = nearestSourceIndices(inHeight, outHeight, mode);
  const dst = out ?? (new (src.constructor as new (n: number) => T)(outWidth * outHeight) as T);
  for (let y = 0; y < outHeight; y++) {
    const row = ys[y]! * inWidth;
    const o = y * outWidth;
    for (let x = 0; x < outWidth; x++) dst[o + x] = src[row + xs[x]!]!;
  }
  return dst;
}

/**
 * Brings a mask (labels or 0/1) drawn on the source frame to the edited frame: nearest (PyTorch semantics)
 * scale to the geometry's scaled size, then its crop. Masks must stay binary, so nearest is the only resampling
 * that keeps them so.
 */
export function cropResizeMask(src: Uint8Array, geometry: CropGeometry): Uint8Array {
  const { sourceWidth, sourceHeight, scaledWidth, scaledHeight, left, top, width, height } = geometry;
  if (src.length !== sourceWidth * sourceHeight)
    throw new RangeError(`mask has ${src.length} pixels, expected ${sourceWidth}×${sourceHeight}`);
  const xs = nearestSourceIndices(sourceWidth, scaledWidth, 'torch');
  const ys = nearestSourceIndices(sourceHeight, scaledHeight, 'torch');
  const dst = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = ys[y + top]! * sourceWidth;
    for (let x = 0; x < width; x++) dst[y * width + x] = src[row + xs[x + left]!]!;
  }
  return dst;
}
