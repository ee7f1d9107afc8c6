/**
 * ControlNet's pose drawing, `draw_pose` with `draw_bodypose`, `draw_handpose` and `draw_facepose` of ControlNet
 * v1.1 `annotator/dwpose/util.py` (identical in `annotator/openpose/util.py`; the copies knightyxp/VideoGrain runs):
 * - canvas black, RGB, the frame's size; the body always, then the hands if `hand`, then the face if `face`;
 * - body: limbs 0–16 of `LIMBS` (OpenPose's last two, ear–shoulder, are never drawn) for each person whose both
 *   joints are visible: a filled ellipse polygon centred on the limb's middle (coordinates truncated to int), half
 *   axes (⌊length/2⌋, stickwidth 4), rotated by ⌊atan2(dy, dx)⌋ degrees, in `BODY_COLORS[limb]`; then the whole
 *   canvas × 0.6 (truncated); then each visible joint as a filled circle of radius 4 in `BODY_COLORS[joint]`;
 * - hands: each of the 20 edges whose both ends have integer pixel coordinates > 0.01 (i.e. ≥ 1) as a line of
 *   thickness 2 in HSV colour (edge/20, 1, 1) · 255 (matplotlib's hsv_to_rgb, rounded by OpenCV); then each such
 *   point as a filled circle of radius 4 in (0, 0, 255);
 * - face: each landmark as a filled circle of radius 3 in white.
 */
import { blankCanvas, ellipse2Poly, fillCircle, fillConvexPoly, thickLine2, type Canvas, type Rgb } from './raster';
import type { PoseDrawing } from './keypoints';

export const STICK_WIDTH = 4;
const EPS = 0.01;

/** OpenPose limbs as joint pairs (0-based; the reference lists them 1-based). */
export const LIMBS: readonly (readonly [number, number])[] = [
  [1, 2], [1, 5], [2, 3], [3, 4], [5, 6], [6, 7], [1, 8], [8, 9], [9, 10], [1, 11],
  [11, 12], [12, 13], [1, 0], [0, 14], [14, 16], [0, 15], [15, 17], [2, 16], [5, 17],
]; // prettier-ignore

/** The number of limbs `draw_bodypose` draws (`for i in range(17)`). */
export const DRAWN_LIMBS = 17;

export const BODY_COLORS: readonly Rgb[] = [
  [255, 0, 0], [255, 85, 0], [255, 170, 0], [255, 255, 0], [170, 255, 0], [85, 255, 0], [0, 255, 0],
  [0, 255, 85], [0, 255, 170], [0, 255, 255], [0, 170, 255], [0, 85, 255], [0, 0, 255], [85, 0, 255],
  [170, 0, 255], [255, 0, 255], [255, 0, 170], [255, 0, 85],
]; // prettier-ignore

export const HAND_EDGES: readonly (readonly [number, number])[] = [
  [0, 1], [1, 2], [2, 3], [3, 4], [0, 5], [5, 6], [6, 7], [7, 8], [0, 9], [9, 10],
  [10, 11], [11, 12], [0, 13], [13, 14], [14, 15], [15, 16], [0, 17], [17, 18], [18, 19], [19, 20],
]; // prettier-ignore

export const HAND_POINT_COLOR: Rgb = [0, 0, 255];
export const FACE_COLOR: Rgb = [255, 255, 255];

/** Round half to even (OpenCV's cvRound of a colour component). */
function roundEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** matplotlib.colors.hsv_to_rgb([h, 1, 1]) · 255, as OpenCV rounds it into a uint8 colour. */
export function handEdgeColor(edge: number): Rgb {
  const h = edge / HAND_EDGES.length;
  const i = Math.trunc(h * 6);
  const f = h * 6 - i;
  const v = 1;
  const p = v * (1 - 1);
  const q = v * (1 - 1 * f);
  const t = v * (1 - 1 * (1 - f));
  const rgb = [
    [v, t, p],
    [q, v, p],
    [p, v, t],
    [p, q, v],
    [t, p, v],
    [v, p, q],
  ][i % 6]!;
  return [roundEven(rgb[0]! * 255), roundEven(rgb[1]! * 255), roundEven(rgb[2]! * 255)];
}

/** `draw_bodypose` (coordinates normalised by the canvas size). */
export function drawBody(c: Canvas, pose: PoseDrawing): void {
  const { width: W, height: H } = c;
  for (let i = 0; i < DRAWN_LIMBS; i++) {
    const [a, b] = LIMBS[i]!;
    pose.bodies.forEach((joints, n) => {
      if (!pose.bodyVisible[n]![a] || !pose.bodyVisible[n]![b]) return;
      const Y = [joints[a]![0] * W, joints[b]![0] * W];
      const X = [joints[a]![1] * H, joints[b]![1] * H];
      const mX = (X[0]! + X[1]!) / 2;
      const mY = (Y[0]! + Y[1]!) / 2;
      const length = Math.hypot(X[0]! - X[1]!, Y[0]! - Y[1]!);
      const angle = (Math.atan2(X[0]! - X[1]!, Y[0]! - Y[1]!) * 180) / Math.PI;
      const polygon = ellipse2Poly(
        [Math.trunc(mY), Math.trunc(mX)],
        [Math.trunc(length / 2), STICK_WIDTH],
        Math.trunc(angle),
      );
      fillConvexPoly(c, polygon, BODY_COLORS[i]!);
    });
  }
  for (let k = 0; k < c.data.length; k++) c.data[k] = Math.floor(c.data[k]! * 0.6);
  for (let i = 0; i < 18; i++)
    pose.bodies.forEach((joints, n) => {
      if (!pose.bodyVisible[n]![i]) return;
      fillCircle(c, Math.trunc(joints[i]![0] * W), Math.trunc(joints[i]![1] * H), 4, BODY_COLORS[i]!);
    });
}

/** `draw_handpose`. */
export function drawHands(c: Canvas, pose: PoseDrawing): void {
  const { width: W, height: H } = c;
  for (const peaks of pose.hands) {
    const px = peaks.map(([x, y]) => [Math.trunc(x * W), Math.trunc(y * H)] as const);
    HAND_EDGES.forEach(([a, b], ie) => {
      const [x1, y1] = px[a]!;
      const [x2, y2] = px[b]!;
      if (x1 > EPS && y1 > EPS && x2 > EPS && y2 > EPS) thickLine2(c, x1, y1, x2, y2, handEdgeColor(ie));
    });
    for (const [x, y] of px) if (x > EPS && y > EPS) fillCircle(c, x, y, 4, HAND_POINT_COLOR);
  }
}

/** `draw_facepose`. */
export function drawFace(c: Canvas, pose: PoseDrawing): void {
  const { width: W, height: H } = c;
  for (const lmks of pose.faces)
    for (const [x, y] of lmks) {
      const ix = Math.trunc(x * W);
      const iy = Math.trunc(y * H);
      if (ix > EPS && iy > EPS) fillCircle(c, ix, iy, 3, FACE_COLOR);
    }
}

export interface DrawOptions {
  readonly hand: boolean;
  readonly face: boolean;
}

/** `draw_pose(pose, H, W, draw_body=True, draw_hand=hand, draw_face=face)`. */
export function drawPose(pose: PoseDrawing, width: number, height: number, options: DrawOptions): Canvas {
  const c = blankCanvas(width, height);
  drawBody(c, pose);
  if (options.hand) drawHands(c, pose);
  if (options.face) drawFace(c, pose);
  return c;
}

/** The canvas as ControlNet's condition [3, H, W] in [0, 1] (`HWC3(map) / 255`, channels first), into `out`. */
export function canvasToCondition(
  c: Canvas,
  out: Float32Array = new Float32Array(3 * c.width * c.height),
): Float32Array {
  const plane = c.width * c.height;
  for (let p = 0; p < plane; p++) for (let ch = 0; ch < 3; ch++) out[ch * plane + p] = c.data[3 * p + ch]! / 255;
  return out;
}
