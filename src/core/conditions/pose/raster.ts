/**
 * The OpenCV drawing primitives ControlNet's `draw_pose` uses, on an 8-bit RGB canvas, without anti-aliasing
 * (OpenCV's default LINE_8), written from OpenCV's drawing.cpp semantics:
 * - `ellipse2Poly`: integer-degree steps over 0–360, each point rounded, consecutive duplicates dropped;
 * - `fillConvexPoly`: the edges as 8-connected Bresenham lines, then every row's span between the polygon's edges,
 *   ends rounded (OpenCV's delta = ½ for LINE_8);
 * - `circle` filled (thickness −1): OpenCV's integer midpoint-circle spans (`Circle` in drawing.cpp), exact;
 * - `line` with thickness 2: a 2-pixel-wide band (the rectangle ±1 px around the segment) and round caps of
 *   radius 1 at both ends (OpenCV's ThickLine).
 * Pixel-exactness to OpenCV is the goal for circles; ellipses and thick lines match in position, colour and width
 * and may differ on a few edge pixels.
 */

/** An 8-bit RGB canvas, HWC. */
export interface Canvas {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export type Rgb = readonly [number, number, number];

export function blankCanvas(width: number, height: number): Canvas {
  return { width, height, data: new Uint8Array(width * height * 3) };
}

function put(c: Canvas, x: number, y: number, color: Rgb): void {
  if (x < 0 || y < 0 || x >= c.width || y >= c.height) return;
  const o = 3 * (y * c.width + x);
  c.data[o] = color[0];
  c.data[o + 1] = color[1];
  c.data[o + 2] = color[2];
}

function hline(c: Canvas, x1: number, x2: number, y: number, color: Rgb): void {
  if (y < 0 || y >= c.height) return;
  for (let x = Math.max(0, x1); x <= Math.min(c.width - 1, x2); x++) put(c, x, y, color);
}

/** An 8-connected Bresenham line between integer points. */
export function line8(c: Canvas, x0: number, y0: number, x1: number, y1: number, color: Rgb): void {
  const dx = Math.abs(x1 - x0);
  const dy = Math.abs(y1 - y0);
  const sx = x0 < x1 ? 1 : -1;
  const sy = y0 < y1 ? 1 : -1;
  let err = dx - dy;
  let x = x0;
  let y = y0;
  for (;;) {
    put(c, x, y, color);
    if (x === x1 && y === y1) return;
    const e2 = 2 * err;
    if (e2 > -dy) {
      err -= dy;
      x += sx;
    }
    if (e2 < dx) {
      err += dx;
      y += sy;
    }
  }
}

/** `cv2.ellipse2Poly(center, axes, angle, 0, 360, delta)` (integer version). */
export function ellipse2Poly(
  center: readonly [number, number],
  axes: readonly [number, number],
  angleDeg: number,
  delta = 1,
): [number, number][] {
  let angle = angleDeg;
  while (angle < 0) angle += 360;
  while (angle > 360) angle -= 360;
  const rad = (d: number) => (d * Math.PI) / 180;
  const alpha = Math.cos(rad(angle));
  const beta = Math.sin(rad(angle));
  const pts: [number, number][] = [];
  for (let i = 0; i < 360 + delta; i += delta) {
    const a = Math.min(i, 360);
    const x = axes[0] * Math.cos(rad(a));
    const y = axes[1] * Math.sin(rad(a));
    const px = Math.round(center[0] + x * alpha - y * beta);
    const py = Math.round(center[1] + x * beta + y * alpha);
    const last = pts[pts.length - 1];
    if (!last || last[0] !== px || last[1] !== py) pts.push([px, py]);
  }
  if (pts.length === 1)
    return [
      [center[0], center[1]],
      [center[0], center[1]],
    ];
  return pts;
}

/** `cv2.fillConvexPoly(canvas, pts, color)` (LINE_8); vertices may be fractional (ThickLine's shifted points). */
export function fillConvexPoly(c: Canvas, pts: readonly (readonly [number, number])[], color: Rgb): void {
  const n = pts.length;
  if (n === 0) return;
  for (let i = 0; i < n; i++) {
    const p0 = pts[(i + n - 1) % n]!;
    const p1 = pts[i]!;
    line8(c, Math.floor(p0[0]), Math.floor(p0[1]), Math.floor(p1[0]), Math.floor(p1[1]), color);
  }
  let ymin = Infinity;
  let ymax = -Infinity;
  for (const p of pts) {
    ymin = Math.min(ymin, p[1]);
    ymax = Math.max(ymax, p[1]);
  }
  for (let y = Math.floor(ymin + 0.5); y <= Math.floor(ymax + 0.5); y++) {
    let xl = Infinity;
    let xr = -Infinity;
    for (let i = 0; i < n; i++) {
      const a = pts[i]!;
      const b = pts[(i + 1) % n]!;
      const lo = Math.min(a[1], b[1]);
      const hi = Math.max(a[1], b[1]);
      if (y < lo || y > hi) continue;
      if (a[1] === b[1]) {
        xl = Math.min(xl, a[0], b[0]);
        xr = Math.max(xr, a[0], b[0]);
      } else {
        const x = a[0] + ((y - a[1]) * (b[0] - a[0])) / (b[1] - a[1]);
        xl = Math.min(xl, x);
        xr = Math.max(xr, x);
      }
    }
    if (xl <= xr) hline(c, Math.floor(xl + 0.5), Math.floor(xr + 0.5), y, color);
  }
}

/** `cv2.circle(canvas, center, radius, color, thickness=-1)`: OpenCV's `Circle` spans. */
export function fillCircle(c: Canvas, cx: number, cy: number, radius: number, color: Rgb): void {
  let err = 0;
  let dx = radius;
  let dy = 0;
  let plus = 1;
  let minus = (radius << 1) - 1;
  while (dx >= dy) {
    hline(c, cx - dx, cx + dx, cy - dy, color);
    hline(c, cx - dx, cx + dx, cy + dy, color);
    hline(c, cx - dy, cx + dy, cy - dx, color);
    hline(c, cx - dy, cx + dy, cy + dx, color);
    dy++;
    err += plus;
    plus += 2;
    const mask = (err <= 0 ? 1 : 0) - 1;
    err -= minus & mask;
    dx += mask;
    minus -= mask & 2;
  }
}

/** `cv2.line(canvas, p0, p1, color, thickness=2)`: the ±1 px band and radius-1 round caps. */
export function thickLine2(c: Canvas, x0: number, y0: number, x1: number, y1: number, color: Rgb): void {
  const len = Math.hypot(x1 - x0, y1 - y0);
  if (len > 1e-12) {
    // ThickLine: dp = the unit normal (half the thickness), rounded to 1/65536 px.
    const dpx = Math.round(((y1 - y0) / len) * 65536) / 65536;
    const dpy = Math.round(((x0 - x1) / len) * 65536) / 65536;
    fillConvexPoly(
      c,
      [
        [x0 + dpx, y0 + dpy],
        [x0 - dpx, y0 - dpy],
        [x1 - dpx, y1 - dpy],
        [x1 + dpx, y1 + dpy],
      ],
      color,
    );
  }
  fillCircle(c, x0, y0, 1, color);
  fillCircle(c, x1, y1, 1, color);
}
