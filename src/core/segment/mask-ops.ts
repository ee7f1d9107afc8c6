/**
 * Binary mask helpers for tracking (issue 18): masks are `width·height` bytes, row-major, non-zero inside.
 * IoU, bounding box, centroid, integer shift, intersection, and the most interior points (chamfer 3-4 distance
 * transform to the nearest outside pixel, the frame border counting as outside) used as positive prompts.
 */
import type { SegmentBox } from '../protocol/segment';

export function maskArea(m: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < m.length; i++) if (m[i]) n++;
  return n;
}

/** Intersection over union; two empty masks agree (1). */
export function maskIou(a: Uint8Array, b: Uint8Array): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] !== 0;
    const y = b[i] !== 0;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return union === 0 ? 1 : inter / union;
}

/** Bounding box in pixel edges (x1, y1 exclusive), or null for an empty mask. */
export function maskBox(m: Uint8Array, width: number, height: number): SegmentBox | null {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (m[y * width + x]) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
  return x1 < 0 ? null : { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}

/** The box enlarged by `margin` of its size on each side (at least `minPixels`), clamped to the frame. */
export function enlargeBox(b: SegmentBox, margin: number, width: number, height: number, minPixels = 3): SegmentBox {
  const mx = Math.max(minPixels, (b.x1 - b.x0) * margin);
  const my = Math.max(minPixels, (b.y1 - b.y0) * margin);
  return {
    x0: Math.max(0, b.x0 - mx),
    y0: Math.max(0, b.y0 - my),
    x1: Math.min(width, b.x1 + mx),
    y1: Math.min(height, b.y1 + my),
  };
}

/** Centroid in pixel centres, or null for an empty mask. */
export function maskCentroid(m: Uint8Array, width: number): { x: number; y: number } | null {
  let sx = 0;
  let sy = 0;
  let n = 0;
  for (let i = 0; i < m.length; i++)
    if (m[i]) {
      sx += (i % width) + 0.5;
      sy += Math.floor(i / width) + 0.5;
      n++;
    }
  return n === 0 ? null : { x: sx / n, y: sy / n };
}

/** The mask moved by whole pixels (dx right, dy down); what leaves the frame is lost. */
export function shiftMask(m: Uint8Array, width: number, height: number, dx: number, dy: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const ty = y + dy;
    if (ty < 0 || ty >= height) continue;
    for (let x = 0; x < width; x++) {
      const tx = x + dx;
      if (tx >= 0 && tx < width && m[y * width + x]) out[ty * width + tx] = 1;
    }
  }
  return out;
}

/** a ∧ b as 0/1. */
export function andMask(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] && b[i] ? 1 : 0;
  return out;
}

/** Chamfer (3-4) distance of each inside pixel to the nearest outside pixel, in units of 1/3 pixel. */
export function insideDistance(m: Uint8Array, width: number, height: number): Uint32Array {
  const big = 1 << 30;
  const d = new Uint32Array(width * height);
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= width || y >= height ? 0 : d[y * width + x]!);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!m[i]) continue;
      d[i] = Math.min(big, at(x - 1, y) + 3, at(x, y - 1) + 3, at(x - 1, y - 1) + 4, at(x + 1, y - 1) + 4);
    }
  for (let y = height - 1; y >= 0; y--)
    for (let x = width - 1; x >= 0; x--) {
      const i = y * width + x;
      if (!m[i]) continue;
      d[i] = Math.min(d[i]!, at(x + 1, y) + 3, at(x, y + 1) + 3, at(x + 1, y + 1) + 4, at(x - 1, y + 1) + 4);
    }
  return d;
}

/**
 * Up to `count` points deep inside the mask (pixel centres): the most interior pixel first, then the most
 * interior pixels at least `spread` × the deepest distance away from those chosen, so the points cover the
 * object instead of clustering at its centre, and at least half as deep as the deepest (robust to motion).
 */
export function interiorPoints(
  m: Uint8Array,
  width: number,
  height: number,
  count: number,
  spread = 1,
): { x: number; y: number }[] {
  const d = insideDistance(m, width, height);
  const chosen: { x: number; y: number }[] = [];
  let deepest = 0;
  for (let k = 0; k < count; k++) {
    const minSep = Math.max(2, (spread * deepest) / 3);
    // Later points stay at least half as deep as the first: a point near the edge falls off a moving object.
    const minDepth = deepest / 2;
    let best = -1;
    let bestD = 0;
    for (let i = 0; i < d.length; i++) {
      if (d[i]! <= bestD || d[i]! < minDepth) continue;
      const x = (i % width) + 0.5;
      const y = Math.floor(i / width) + 0.5;
      if (chosen.some((c) => Math.hypot(c.x - x, c.y - y) < minSep)) continue;
      best = i;
      bestD = d[i]!;
    }
    if (best < 0) break;
    if (k === 0) deepest = bestD;
    chosen.push({ x: (best % width) + 0.5, y: Math.floor(best / width) + 0.5 });
  }
  return chosen;
}
