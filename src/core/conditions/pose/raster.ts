/**
 * The OpenCV drawing primitives ControlNet's `draw_pose` uses, on an 8-bit RGB canvas, without anti-aliasing
 * (OpenCV's default LINE_8), written from OpenCV's drawing.cpp semantics:
 * - `ellipse2Poly`: whole-degree steps over 0–360 with sines from OpenCV's 7-decimal float table, each point
 *   rounded, consecutive duplicates dropped;
 * - `fillConvexPoly`: the edges as 8-connected lines, then OpenCV's two-edge scan with fixed-point slopes (integer
 *   vertices, or 1/65536-px vertices for thick lines);
 * - `circle` filled (thickness −1): OpenCV's integer midpoint-circle spans;
 * - `line` with thickness 2: the ±1 px band as a fixed-point convex polygon and radius-1 round caps (ThickLine).
 * Byte-exact to OpenCV 4.6 on the random poses of test/unit/pose-opencv.test.ts.
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

const XY_SHIFT = 16;
const XY_ONE = 1 << XY_SHIFT;

/** `Line` (LINE_8) between integer points: OpenCV's 8-connected LineIterator, left to right. */
export function line8(c: Canvas, x0: number, y0: number, x1: number, y1: number, color: Rgb): void {
  if (x1 < x0) [x0, y0, x1, y1] = [x1, y1, x0, y0];
  let major = x1 - x0; // ≥ 0
  let minor = Math.abs(y1 - y0);
  const ys = y1 < y0 ? -1 : 1;
  const steep = minor > major;
  if (steep) [major, minor] = [minor, major];
  // err < 0 steps along both axes, else along the major one only.
  let err = major - 2 * minor;
  let x = x0;
  let y = y0;
  for (let k = 0; k <= major; k++) {
    put(c, x, y, color);
    const both = err < 0;
    err += -2 * minor + (both ? 2 * major : 0);
    if (steep) {
      y += ys;
      if (both) x += 1;
    } else {
      x += 1;
      if (both) y += ys;
    }
  }
}

/** `Line2`: a line between points in 1/65536 px (ThickLine's polygon edges), 8-connected, DDA in fixed point. */
function lineFixed(c: Canvas, ax: number, ay: number, bx: number, by: number, color: Rgb): void {
  let [x1, y1, x2, y2] = [ax, ay, bx, by];
  const dx = x2 - x1;
  const dy = y2 - y1;
  const adx = Math.abs(dx);
  const ady = Math.abs(dy);
  const shr = (v: number) => Math.floor(v / XY_ONE);
  if (adx > ady) {
    if (dx < 0) [x1, y1, x2, y2] = [x2, y2, x1, y1];
    const yStep = Math.trunc(((y2 - y1) * XY_ONE) / (adx | 1));
    x2 += XY_ONE;
    let count = shr(x2) - shr(x1);
    y1 += XY_ONE >> 1;
    put(c, shr(x2 + (XY_ONE >> 1)), shr(y2 + (XY_ONE >> 1)), color);
    let x = shr(x1 + (XY_ONE >> 1));
    for (; count >= 0; count--, x++, y1 += yStep) put(c, x, shr(y1), color);
  } else {
    if (dy < 0) [x1, y1, x2, y2] = [x2, y2, x1, y1];
    const xStep = Math.trunc(((x2 - x1) * XY_ONE) / (ady | 1));
    y2 += XY_ONE;
    let count = shr(y2) - shr(y1);
    x1 += XY_ONE >> 1;
    put(c, shr(x2 + (XY_ONE >> 1)), shr(y2 + (XY_ONE >> 1)), color);
    let y = shr(y1 + (XY_ONE >> 1));
    for (; count >= 0; count--, y++, x1 += xStep) put(c, shr(x1), y, color);
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
  // OpenCV reads sines of whole degrees from a float table printed to 7 decimals.
  const table = (f: (r: number) => number, d: number) => Math.fround(Number(f((d * Math.PI) / 180).toFixed(7)));
  const alpha = table(Math.cos, angle);
  const beta = table(Math.sin, angle);
  const pts: [number, number][] = [];
  for (let i = 0; i < 360 + delta; i += delta) {
    const a = Math.min(i, 360);
    const x = axes[0] * table(Math.cos, a);
    const y = axes[1] * table(Math.sin, a);
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

/**
 * `FillConvexPoly` (LINE_8) of integer vertices (`shift` 0, `cv2.fillConvexPoly`) or of vertices in 1/65536 px
 * (`shift` 16, ThickLine's band): the edges drawn as lines, then OpenCV's scan: two edges walked from the top
 * vertex, each started at its upper vertex's rounded row with its x there and stepped by a rounded slope per row,
 * the span between them filled with both ends rounded.
 */
export function fillConvexPoly(c: Canvas, v: readonly (readonly [number, number])[], color: Rgb, shift = 0): void {
  const n = v.length;
  if (n === 0) return;
  const up = 1 << (XY_SHIFT - shift);
  const delta = shift === 0 ? 0 : 1 << (shift - 1);
  const shr = (x: number, bits: number) => Math.floor(x / 2 ** bits);
  let imin = 0;
  let [xmin, ymin] = v[0]!;
  let [xmax, ymax] = v[0]!;
  let p0 = v[n - 1]!;
  for (let i = 0; i < n; i++) {
    const p = v[i]!;
    if (p[1] < ymin) {
      ymin = p[1];
      imin = i;
    }
    ymax = Math.max(ymax, p[1]);
    xmax = Math.max(xmax, p[0]);
    xmin = Math.min(xmin, p[0]);
    if (shift === 0) line8(c, p0[0], p0[1], p[0], p[1], color);
    else lineFixed(c, p0[0] * up, p0[1] * up, p[0] * up, p[1] * up, color);
    p0 = p;
  }
  xmin = shr(xmin + delta, shift);
  xmax = shr(xmax + delta, shift);
  ymin = shr(ymin + delta, shift);
  ymax = shr(ymax + delta, shift);
  if (n < 3 || xmax < 0 || ymax < 0 || xmin >= c.width || ymin >= c.height) return;
  ymax = Math.min(ymax, c.height - 1);
  const edge = [
    { idx: imin, di: 1, x: -XY_ONE, dx: 0, ye: ymin },
    { idx: imin, di: n - 1, x: -XY_ONE, dx: 0, ye: ymin },
  ];
  let edges = n;
  let y = ymin;
  do {
    for (const e of edge) {
      if (y < e.ye) continue;
      let idx0 = e.idx;
      let idx = (idx0 + e.di) % n;
      for (;;) {
        const more = edges > 0;
        edges--;
        if (!more) break;
        const ty = shr(v[idx]![1] + delta, shift);
        if (ty > y) {
          const xs = v[idx0]![0] * up;
          const xe = v[idx]![0] * up;
          e.ye = ty;
          e.dx = Math.trunc(((xe - xs) * 2 + (ty - y)) / (2 * (ty - y)));
          e.x = xs;
          e.idx = idx;
          break;
        }
        idx0 = idx;
        idx = (idx + e.di) % n;
      }
    }
    if (edges < 0) break;
    if (y >= 0) {
      const [l, r] = edge[0]!.x > edge[1]!.x ? [edge[1]!, edge[0]!] : [edge[0]!, edge[1]!];
      hline(c, shr(l.x + (XY_ONE >> 1), XY_SHIFT), shr(r.x + (XY_ONE >> 1), XY_SHIFT), y, color);
    }
    edge[0]!.x += edge[0]!.dx;
    edge[1]!.x += edge[1]!.dx;
  } while (++y <= ymax);
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

/** `cv2.line(canvas, p0, p1, color, thickness=2)` (ThickLine): the band ±1 px around the segment, round caps of radius 1. */
export function thickLine2(c: Canvas, x0: number, y0: number, x1: number, y1: number, color: Rgb): void {
  const dx = x0 - x1;
  const dy = y1 - y0;
  const r2 = dx * dx + dy * dy;
  if (r2 > 0) {
    // Half the thickness (1 px) along the normal, in 1/65536 px.
    const r = XY_ONE / Math.sqrt(r2);
    const dpx = Math.round(dy * r);
    const dpy = Math.round(dx * r);
    const X0 = x0 * XY_ONE;
    const Y0 = y0 * XY_ONE;
    const X1 = x1 * XY_ONE;
    const Y1 = y1 * XY_ONE;
    fillConvexPoly(
      c,
      [
        [X0 + dpx, Y0 + dpy],
        [X0 - dpx, Y0 - dpy],
        [X1 - dpx, Y1 - dpy],
        [X1 + dpx, Y1 + dpy],
      ],
      color,
      XY_SHIFT,
    );
  }
  fillCircle(c, x0, y0, 1, color);
  fillCircle(c, x1, y1, 1, color);
}
