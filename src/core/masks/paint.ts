/**
 * Painting primitives on a mask (in place, on a draft copy): brush/eraser strokes, flood fill, polygon fill.
 * Pixel (x, y) is the unit square [x, x+1) × [y, y+1); a primitive covers a pixel when it covers its centre.
 */
import { clipRect, EMPTY_RECT, unionRect, type MaskSize, type Rect } from './raster';

export interface Point {
  readonly x: number;
  readonly y: number;
}

/**
 * Stamps the capsule of radius `radius` around segment a→b (a disc when a = b): every pixel centre within
 * `radius` of the segment gets `value`. Returns the touched rectangle.
 */
export function stampSegment(mask: Uint8Array, size: MaskSize, a: Point, b: Point, radius: number, value: 0 | 1): Rect {
  const r = Math.max(0.5, radius);
  const rect = clipRect(
    {
      x0: Math.floor(Math.min(a.x, b.x) - r),
      y0: Math.floor(Math.min(a.y, b.y) - r),
      x1: Math.ceil(Math.max(a.x, b.x) + r) + 1,
      y1: Math.ceil(Math.max(a.y, b.y) + r) + 1,
    },
    size,
  );
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  const r2 = r * r;
  const w = size.width;
  for (let y = rect.y0; y < rect.y1; y++) {
    const py = y + 0.5 - a.y;
    for (let x = rect.x0; x < rect.x1; x++) {
      const px = x + 0.5 - a.x;
      const t = len2 > 0 ? Math.max(0, Math.min(1, (px * dx + py * dy) / len2)) : 0;
      const ex = px - t * dx;
      const ey = py - t * dy;
      if (ex * ex + ey * ey <= r2) mask[y * w + x] = value;
    }
  }
  return rect;
}

/** A stroke through `points` (one capsule per consecutive pair). */
export function stampStroke(
  mask: Uint8Array,
  size: MaskSize,
  points: readonly Point[],
  radius: number,
  value: 0 | 1,
): Rect {
  if (points.length === 0) return EMPTY_RECT;
  let rect = stampSegment(mask, size, points[0]!, points[0]!, radius, value);
  for (let i = 1; i < points.length; i++)
    rect = unionRect(rect, stampSegment(mask, size, points[i - 1]!, points[i]!, radius, value));
  return rect;
}

/**
 * Flood fill (4-connected, scanline): the connected area of pixels equal to the seed's value becomes
 * `value`. Returns the touched rectangle (empty when the seed already has `value` or lies outside).
 */
export function floodFill(mask: Uint8Array, size: MaskSize, seed: Point, value: 0 | 1): Rect {
  const { width: w, height: h } = size;
  const sx = Math.floor(seed.x);
  const sy = Math.floor(seed.y);
  if (sx < 0 || sy < 0 || sx >= w || sy >= h) return EMPTY_RECT;
  const target = mask[sy * w + sx]!;
  if (target === value) return EMPTY_RECT;
  let x0 = sx, x1 = sx + 1, y0 = sy, y1 = sy + 1; // prettier-ignore
  const stack: number[] = [sx, sy];
  while (stack.length > 0) {
    const y = stack.pop()!;
    let x = stack.pop()!;
    const row = y * w;
    if (mask[row + x] !== target) continue;
    while (x > 0 && mask[row + x - 1] === target) x--;
    let spanUp = false;
    let spanDown = false;
    const start = x;
    for (; x < w && mask[row + x] === target; x++) {
      mask[row + x] = value;
      if (y > 0) {
        const up = mask[row - w + x] === target;
        if (up && !spanUp) stack.push(x, y - 1);
        spanUp = up;
      }
      if (y < h - 1) {
        const down = mask[row + w + x] === target;
        if (down && !spanDown) stack.push(x, y + 1);
        spanDown = down;
      }
    }
    x0 = Math.min(x0, start);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y + 1);
  }
  return { x0, y0, x1, y1 };
}

/**
 * Polygon / lasso fill with the even-odd rule, by scanlines through pixel centres: on row y the crossings
 * of the edges with the line y + 0.5 are sorted and pixels whose centre lies between pairs are set.
 */
export function fillPolygon(mask: Uint8Array, size: MaskSize, polygon: readonly Point[], value: 0 | 1): Rect {
  if (polygon.length < 3) return EMPTY_RECT;
  let minY = Infinity;
  let maxY = -Infinity;
  for (const p of polygon) {
    minY = Math.min(minY, p.y);
    maxY = Math.max(maxY, p.y);
  }
  const yStart = Math.max(0, Math.floor(minY - 0.5));
  const yEnd = Math.min(size.height, Math.ceil(maxY + 0.5));
  const xs: number[] = [];
  let rect = EMPTY_RECT;
  for (let y = yStart; y < yEnd; y++) {
    const cy = y + 0.5;
    xs.length = 0;
    for (let i = 0; i < polygon.length; i++) {
      const a = polygon[i]!;
      const b = polygon[(i + 1) % polygon.length]!;
      // Half-open in y so a vertex on the scanline is counted once.
      if (a.y <= cy !== b.y <= cy) xs.push(a.x + ((cy - a.y) / (b.y - a.y)) * (b.x - a.x));
    }
    xs.sort((p, q) => p - q);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const from = Math.max(0, Math.ceil(xs[k]! - 0.5));
      const to = Math.min(size.width, Math.ceil(xs[k + 1]! - 0.5));
      if (to <= from) continue;
      mask.fill(value, y * size.width + from, y * size.width + to);
      rect = unionRect(rect, { x0: from, y0: y, x1: to, y1: y + 1 });
    }
  }
  return rect;
}
