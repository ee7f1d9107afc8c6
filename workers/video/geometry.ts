/**
 * Frame geometry for extraction (DESIGN §1): the decoded picture's display orientation (ffmpeg autorotates),
 * then the one crop/resize definition of src/core/clip/geometry.ts for the clip settings' sizing (square N×N,
 * or aspect kept with sides in multiples of 64) — the same scaled size and offsets as mask import and the CLI.
 */
import { clipCropGeometry, type CropGeometry } from '../../src/core/clip/geometry';
import type { FrameSizing } from '../../src/core/protocol/video';

/** `sourceWidth`/`sourceHeight` are the display size: the coded size with a 90°/270° rotation applied. */
export type FrameGeometry = CropGeometry;

/** Normalises a rotation in degrees to 0, 90, 180 or 270 (nearest quarter turn). */
export function normalizeRotation(degrees: number): number {
  const quarter = Math.round(degrees / 90);
  return (((quarter % 4) + 4) % 4) * 90;
}

export function frameGeometry(
  codedWidth: number,
  codedHeight: number,
  rotation: number,
  sizing: FrameSizing,
): FrameGeometry {
  const sideways = normalizeRotation(rotation) % 180 !== 0;
  return sideways
    ? clipCropGeometry(codedHeight, codedWidth, sizing)
    : clipCropGeometry(codedWidth, codedHeight, sizing);
}
