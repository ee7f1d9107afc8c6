/**
 * Mask rasters (DESIGN §3.4): one binary mask per region per frame, at frame resolution, aligned with the
 * cropped frames. A mask is a Uint8Array of width·height bytes holding 0 or 1, row-major. Masks in a document
 * are never mutated after they are committed (copy-on-write), so undo history can share them.
 */

export interface MaskSize {
  readonly width: number;
  readonly height: number;
}

/** A pixel-aligned rectangle [x0, x1) × [y0, y1). */
export interface Rect {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

export const EMPTY_RECT: Rect = { x0: 0, y0: 0, x1: 0, y1: 0 };

export const createMask = (size: MaskSize): Uint8Array => new Uint8Array(size.width * size.height);

export function isEmptyRect(r: Rect): boolean {
  return r.x1 <= r.x0 || r.y1 <= r.y0;
}

export function unionRect(a: Rect, b: Rect): Rect {
  if (isEmptyRect(a)) return b;
  if (isEmptyRect(b)) return a;
  return { x0: Math.min(a.x0, b.x0), y0: Math.min(a.y0, b.y0), x1: Math.max(a.x1, b.x1), y1: Math.max(a.y1, b.y1) };
}

export function clipRect(r: Rect, size: MaskSize): Rect {
  return {
    x0: Math.max(0, Math.min(size.width, r.x0)),
    y0: Math.max(0, Math.min(size.height, r.y0)),
    x1: Math.max(0, Math.min(size.width, r.x1)),
    y1: Math.max(0, Math.min(size.height, r.y1)),
  };
}

export function countOn(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i]!;
  return n;
}

export function isEmptyMask(mask: Uint8Array): boolean {
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) return false;
  return true;
}

export function masksEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Any non-zero byte counts as "in the mask" (VideoGrain reads masks as `mask > 0`). */
export function binarize(values: ArrayLike<number>, stride = 1, offset = 0): Uint8Array {
  const out = new Uint8Array(Math.floor(values.length / stride));
  for (let i = 0; i < out.length; i++) out[i] = values[i * stride + offset]! !== 0 ? 1 : 0;
  return out;
}
