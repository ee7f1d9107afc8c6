/**
 * The one crop/resize definition (DESIGN §1: short side to the size, centre crop), in integers, used by every
 * path that turns a source picture into an edited frame: the video worker's ffmpeg filter
 * (workers/video/geometry.ts), mask import and resize (src/core/masks/), and the CLI frame loader
 * (cli/edit/frames.ts). Only the resampling filter differs between them (bicubic, nearest, PIL bilinear); the
 * scaled size and the crop offsets are these, so a mask lines up with the frames it was painted on.
 *
 * - Scale: the source covers the output; the binding side gets the output size exactly and the other side is
 *   floor(side · out / binding side) — torchvision's `Resize(size)` on the short side (`int(long · size /
 *   short)`), which the official code uses. Computed in integers: no float rounding at exact ratios.
 * - Crop: top-left at floor((scaled − out) / 2).
 */
import { outputSize } from './settings';
import type { FrameSizing } from '../protocol/video';

/** How a source picture maps to the edited frame: scale to `scaled*`, then crop `width`×`height` at (left, top). */
export interface CropGeometry {
  /** Source size (for video: the display size, rotation applied). */
  readonly sourceWidth: number;
  readonly sourceHeight: number;
  readonly scaledWidth: number;
  readonly scaledHeight: number;
  /** Top-left of the crop in the scaled picture. */
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** floor(a · b / c) for non-negative integers, exact (a · b stays below 2^53 for any picture size). */
const mulDivFloor = (a: number, b: number, c: number): number => {
  const p = a * b;
  return (p - (p % c)) / c;
};

function checkSide(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1)
    throw new RangeError(`crop geometry: ${name} must be a positive integer, got ${v}`);
}

/** Scale `source` to cover `width`×`height`, then centre-crop to it. */
export function coverCropGeometry(
  sourceWidth: number,
  sourceHeight: number,
  width: number,
  height: number,
): CropGeometry {
  checkSide('source width', sourceWidth);
  checkSide('source height', sourceHeight);
  checkSide('width', width);
  checkSide('height', height);
  // width/sourceWidth ≥ height/sourceHeight ⇔ the width binds (cross-multiplied: exact in integers).
  const widthBinds = width * sourceHeight >= height * sourceWidth;
  const scaledWidth = widthBinds ? width : mulDivFloor(sourceWidth, height, sourceHeight);
  const scaledHeight = widthBinds ? mulDivFloor(sourceHeight, width, sourceWidth) : height;
  return {
    sourceWidth,
    sourceHeight,
    scaledWidth,
    scaledHeight,
    left: Math.floor((scaledWidth - width) / 2),
    top: Math.floor((scaledHeight - height) / 2),
    width,
    height,
  };
}

/** Square output `size`×`size` (DESIGN §1's default): the short side is scaled to `size`. */
export function squareCropGeometry(sourceWidth: number, sourceHeight: number, size: number): CropGeometry {
  return coverCropGeometry(sourceWidth, sourceHeight, size, size);
}

/** The clip settings' sizing (square, or aspect kept with sides in multiples of 64; ./settings.ts). */
export function clipCropGeometry(sourceWidth: number, sourceHeight: number, sizing: FrameSizing): CropGeometry {
  const { width, height } = outputSize(sizing, sourceWidth, sourceHeight);
  return coverCropGeometry(sourceWidth, sourceHeight, width, height);
}
