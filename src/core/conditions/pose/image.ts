/**
 * Image resampling for the DWPose annotator (ControlNet v1.1 `annotator/dwpose`, as knightyxp/VideoGrain runs it),
 * with OpenCV's semantics on 8-bit RGB images (HWC, 3 channels):
 * - `resizeLinear`: `cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR)` — half-pixel centres, float32
 *   fractions, x taps clamped with the fraction zeroed, y rows clamped, 11-bit weights (INTER_RESIZE_COEF_BITS,
 *   ties to even), and the vertical pass rounded as OpenCV's vectorised path does it (VResizeLinearVec_32s8u);
 * - `warpAffine`: `cv2.warpAffine(img, M, (w, h), flags=cv2.INTER_LINEAR)` with the default constant border 0 —
 *   the inverse map quantised to 1/32 pixel (INTER_BITS = 5, AB_BITS = 10), 15-bit bilinear weights.
 * Both are byte-exact to OpenCV 4.6 on the cases in test/unit/pose-opencv.test.ts.
 */

/** An 8-bit RGB image, row-major HWC. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** The RGB planes of an RGBA frame (the annotator receives the frame as RGB uint8; alpha is dropped). */
export function rgbFromRgba(rgba: Uint8Array, width: number, height: number): RgbImage {
  const n = width * height;
  if (rgba.length !== n * 4)
    throw new Error(`frame has ${rgba.length} bytes, expected ${n * 4} (${width}×${height} RGBA)`);
  const data = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    data[3 * p] = rgba[4 * p]!;
    data[3 * p + 1] = rgba[4 * p + 1]!;
    data[3 * p + 2] = rgba[4 * p + 2]!;
  }
  return { width, height, data };
}

const RESIZE_SCALE = 2048; // 1 << INTER_RESIZE_COEF_BITS

/** cvRound: to nearest, ties to even. */
function roundEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Taps of one axis: OpenCV computes the fraction in float32; along x a tap outside the image is clamped with its
 * fraction zeroed, along y only the source rows are clamped (the fraction is kept, which matters for rounding).
 */
function linearTaps(
  dst: number,
  src: number,
  zeroClamped: boolean,
): { i0: Int32Array; i1: Int32Array; w0: Int32Array; w1: Int32Array } {
  const scale = src / dst;
  const i0 = new Int32Array(dst);
  const i1 = new Int32Array(dst);
  const w0 = new Int32Array(dst);
  const w1 = new Int32Array(dst);
  for (let d = 0; d < dst; d++) {
    let f = Math.fround((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f = Math.fround(f - s);
    if (zeroClamped && s < 0) {
      s = 0;
      f = 0;
    }
    if (zeroClamped && s >= src - 1) {
      s = src - 1;
      f = 0;
    }
    i0[d] = Math.min(Math.max(s, 0), src - 1);
    i1[d] = Math.min(Math.max(s + 1, 0), src - 1);
    w0[d] = roundEven(Math.fround(Math.fround(1 - f) * RESIZE_SCALE));
    w1[d] = roundEven(Math.fround(f * RESIZE_SCALE));
  }
  return { i0, i1, w0, w1 };
}

/** `cv2.resize(img, (width, height), interpolation=cv2.INTER_LINEAR)`. */
export function resizeLinear(src: RgbImage, width: number, height: number): RgbImage {
  const out = new Uint8Array(width * height * 3);
  const xs = linearTaps(width, src.width, true);
  const ys = linearTaps(height, src.height, false);
  const sw = src.width;
  const s = src.data;
  for (let y = 0; y < height; y++) {
    const r0 = ys.i0[y]! * sw;
    const r1 = ys.i1[y]! * sw;
    const b0 = ys.w0[y]!;
    const b1 = ys.w1[y]!;
    for (let x = 0; x < width; x++) {
      const c0 = xs.i0[x]!;
      const c1 = xs.i1[x]!;
      const a0 = xs.w0[x]!;
      const a1 = xs.w1[x]!;
      for (let c = 0; c < 3; c++) {
        const top = a0 * s[3 * (r0 + c0) + c]! + a1 * s[3 * (r0 + c1) + c]!;
        const bottom = a0 * s[3 * (r1 + c0) + c]! + a1 * s[3 * (r1 + c1) + c]!;
        // OpenCV's vectorised vertical pass (VResizeLinearVec_32s8u): 16-bit high products of the rows / 16.
        const v = ((((top >> 4) * b0) >> 16) + (((bottom >> 4) * b1) >> 16) + 2) >> 2;
        out[3 * (y * width + x) + c] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
  return { width, height, data: out };
}

/** A 2×3 affine matrix [a, b, c, d, e, f]: x' = a·x + b·y + c, y' = d·x + e·y + f. */
export type Affine = readonly [number, number, number, number, number, number];

/** `cv2.invertAffineTransform`. */
export function invertAffine(m: Affine): Affine {
  const det = m[0] * m[4] - m[1] * m[3];
  const d = det !== 0 ? 1 / det : 0;
  const a11 = m[4] * d;
  const a22 = m[0] * d;
  const a12 = -m[1] * d;
  const a21 = -m[3] * d;
  return [a11, a12, -a11 * m[2] - a12 * m[5], a21, a22, -a21 * m[2] - a22 * m[5]];
}

/** `cv2.getAffineTransform(src, dst)`: the affine map taking three points onto three others. */
export function affineFromPoints(
  src: readonly (readonly [number, number])[],
  dst: readonly (readonly [number, number])[],
): Affine {
  // Solve [x y 1]·[a b c]ᵀ = x' (and the same for y') by Cramer's rule on the 3×3 system.
  const [p0, p1, p2] = src as [readonly [number, number], readonly [number, number], readonly [number, number]];
  const det = p0[0] * (p1[1] - p2[1]) - p0[1] * (p1[0] - p2[0]) + (p1[0] * p2[1] - p2[0] * p1[1]);
  if (det === 0) throw new Error('affine points are collinear');
  const solve = (v: readonly [number, number, number]): [number, number, number] => {
    const a = (v[0] * (p1[1] - p2[1]) - p0[1] * (v[1] - v[2]) + (v[1] * p2[1] - v[2] * p1[1])) / det;
    const b = (p0[0] * (v[1] - v[2]) - v[0] * (p1[0] - p2[0]) + (p1[0] * v[2] - p2[0] * v[1])) / det;
    const c =
      (p0[0] * (p1[1] * v[2] - p2[1] * v[1]) -
        p0[1] * (p1[0] * v[2] - p2[0] * v[1]) +
        v[0] * (p1[0] * p2[1] - p2[0] * p1[1])) /
      det;
    return [a, b, c];
  };
  const [a, b, c] = solve([dst[0]![0], dst[1]![0], dst[2]![0]]);
  const [d, e, f] = solve([dst[0]![1], dst[1]![1], dst[2]![1]]);
  return [a, b, c, d, e, f];
}

const INTER_BITS = 5;
const INTER_TAB = 1 << INTER_BITS;
const AB_SCALE = 1 << 10;
const REMAP_SCALE = 1 << 15;

/** `cv2.warpAffine(img, m, (width, height), flags=cv2.INTER_LINEAR)`, constant border 0. */
export function warpAffine(src: RgbImage, m: Affine, width: number, height: number): RgbImage {
  const inv = invertAffine(m);
  const out = new Uint8Array(width * height * 3);
  const adelta = new Int32Array(width);
  const bdelta = new Int32Array(width);
  for (let x = 0; x < width; x++) {
    adelta[x] = Math.round(inv[0] * x * AB_SCALE);
    bdelta[x] = Math.round(inv[3] * x * AB_SCALE);
  }
  const roundDelta = AB_SCALE / INTER_TAB / 2;
  const sw = src.width;
  const sh = src.height;
  const s = src.data;
  const w = new Int32Array(4);
  for (let y = 0; y < height; y++) {
    const x0 = Math.round((inv[1] * y + inv[2]) * AB_SCALE) + roundDelta;
    const y0 = Math.round((inv[4] * y + inv[5]) * AB_SCALE) + roundDelta;
    for (let x = 0; x < width; x++) {
      const X = (x0 + adelta[x]!) >> (10 - INTER_BITS);
      const Y = (y0 + bdelta[x]!) >> (10 - INTER_BITS);
      const sx = X >> INTER_BITS;
      const sy = Y >> INTER_BITS;
      const fx = (X & (INTER_TAB - 1)) / INTER_TAB;
      const fy = (Y & (INTER_TAB - 1)) / INTER_TAB;
      w[0] = Math.round((1 - fy) * (1 - fx) * REMAP_SCALE);
      w[1] = Math.round((1 - fy) * fx * REMAP_SCALE);
      w[2] = Math.round(fy * (1 - fx) * REMAP_SCALE);
      w[3] = Math.round(fy * fx * REMAP_SCALE);
      // OpenCV makes the quantised weights sum to exactly 1 by adjusting the largest.
      let big = 0;
      for (let k = 1; k < 4; k++) if (w[k]! > w[big]!) big = k;
      w[big] = w[big]! + REMAP_SCALE - (w[0]! + w[1]! + w[2]! + w[3]!);
      const o = 3 * (y * width + x);
      for (let c = 0; c < 3; c++) {
        let acc = 0;
        for (let k = 0; k < 4; k++) {
          const px = sx + (k & 1);
          const py = sy + (k >> 1);
          if (px >= 0 && py >= 0 && px < sw && py < sh) acc += w[k]! * s[3 * (py * sw + px) + c]!;
        }
        const v = (acc + (REMAP_SCALE >> 1)) >> 15;
        out[o + c] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
  return { width, height, data: out };
}
