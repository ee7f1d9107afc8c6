/**
 * Frame geometry for extraction (DESIGN §1): the output size comes from the clip settings
 * (`outputSize`: square N×N, or aspect kept with sides in multiples of 64); the decoded picture (after
 * rotation) is scaled uniformly so it covers the output, then centre-cropped to it.
 */
import { outputSize } from '../../src/core/clip/settings';
import type { FrameSizing } from '../../src/core/protocol/video';

export interface FrameGeometry {
  /** Display size of the source: coded size with 90°/270° rotation applied. */
  readonly displayWidth: number;
  readonly displayHeight: number;
  readonly scaledWidth: number;
  readonly scaledHeight: number;
  readonly cropX: number;
  readonly cropY: number;
  readonly width: number;
  readonly height: number;
}

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
  const displayWidth = sideways ? codedHeight : codedWidth;
  const displayHeight = sideways ? codedWidth : codedHeight;
  const { width, height } = outputSize(sizing, displayWidth, displayHeight);
  const scale = Math.max(width / displayWidth, height / displayHeight);
  // Rounding may land one pixel short of the output; never scale below it.
  const scaledWidth = Math.max(width, Math.round(displayWidth * scale));
  const scaledHeight = Math.max(height, Math.round(displayHeight * scale));
  return {
    displayWidth,
    displayHeight,
    scaledWidth,
    scaledHeight,
    cropX: Math.floor((scaledWidth - width) / 2),
    cropY: Math.floor((scaledHeight - height) / 2),
    width,
    height,
  };
}
