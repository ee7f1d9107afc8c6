/**
 * Canny edge map for the canny ControlNet (Canny 1986), reproducing OpenCV's `cv2.Canny(img, 100, 200)`
 * (aperture 3, L1 gradient) — what ControlNet's canny annotator runs on the RGB frame:
 *
 * 1. per channel (RGB, or one grayscale channel with `grayscale: true`, OpenCV's fixed-point
 *    0.299 R + 0.587 G + 0.114 B), optionally Gaussian-blurred (`blurSigma` > 0; OpenCV's Canny and the
 *    annotator do not blur, so the default is 0);
 * 2. 3×3 Sobel dx, dy with replicated borders; magnitude |dx| + |dy|; with several channels each pixel
 *    takes the channel of largest magnitude (OpenCV's multi-channel rule);
 * 3. non-maximum suppression along the gradient direction quantised to 0°/45°/90°/135° with OpenCV's
 *    fixed-point tangent test (tan 22.5° ≈ 13573 / 2^15), ties broken as OpenCV does (> on one side,
 *    ≥ on the other; strict on both for diagonals); outside the image the magnitude is 0;
 * 4. hysteresis: maxima with magnitude > high are edges, and so is every maximum with magnitude > low that
 *    is 8-connected to an edge through such maxima.
 *
 * Output: ControlNet's conditioning image [3, H, W] in [0, 1] (RGB order; 1 on edges, identical channels).
 */

export interface CannyOptions {
  readonly low?: number;
  readonly high?: number;
  /** Convert to grayscale first (OpenCV's annotator works on the colour image: default false). */
  readonly grayscale?: boolean;
  /** Gaussian blur σ before Sobel (0 = off, the default). */
  readonly blurSigma?: number;
}

const TG22 = 13573; // round(tan(22.5°) · 2^15), OpenCV's CANNY_SHIFT = 15

function channelPlanes(rgba: Uint8Array | Uint8ClampedArray, n: number, grayscale: boolean): Float32Array[] {
  if (grayscale) {
    const g = new Float32Array(n);
    for (let p = 0; p < n; p++) {
      g[p] = (rgba[4 * p]! * 4899 + rgba[4 * p + 1]! * 9617 + rgba[4 * p + 2]! * 1868 + 8192) >> 14;
    }
    return [g];
  }
  return [0, 1, 2].map((c) => {
    const plane = new Float32Array(n);
    for (let p = 0; p < n; p++) plane[p] = rgba[4 * p + c]!;
    return plane;
  });
}

/** Separable Gaussian blur, radius ⌈3σ⌉, replicated borders. */
export function gaussianBlur(src: Float32Array, width: number, height: number, sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += kernel[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < kernel.length; i++) kernel[i]! /= sum;
  const clamp = (v: number, hi: number): number => (v < 0 ? 0 : v > hi ? hi : v);
  const tmp = new Float32Array(src.length);
  const out = new Float32Array(src.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let i = -radius; i <= radius; i++) acc += kernel[i + radius]! * src[y * width + clamp(x + i, width - 1)]!;
      tmp[y * width + x] = acc;
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let i = -radius; i <= radius; i++) acc += kernel[i + radius]! * tmp[clamp(y + i, height - 1) * width + x]!;
      out[y * width + x] = acc;
    }
  }
  return out;
}

/** Binary edge map [H·W] (1 = edge). */
export function cannyEdgeMap(
  rgba: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  options: CannyOptions = {},
): Uint8Array {
  const n = width * height;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`bad image size ${width}×${height}`);
  }
  if (rgba.length !== 4 * n) throw new RangeError(`RGBA data has ${rgba.length} bytes, expected ${4 * n}`);
  let low = options.low ?? 100;
  let high = options.high ?? 200;
  if (low > high) [low, high] = [high, low];
  const sigma = options.blurSigma ?? 0;
  const planes = channelPlanes(rgba, n, options.grayscale ?? false).map((p) =>
    sigma > 0 ? gaussianBlur(p, width, height, sigma) : p,
  );

  // Sobel per channel, keeping the channel with the largest L1 magnitude.
  const mag = new Float32Array(n);
  const gx = new Float32Array(n);
  const gy = new Float32Array(n);
  for (const src of planes) {
    for (let y = 0; y < height; y++) {
      const ym = (y > 0 ? y - 1 : 0) * width;
      const y0 = y * width;
      const yp = (y < height - 1 ? y + 1 : y) * width;
      for (let x = 0; x < width; x++) {
        const xm = x > 0 ? x - 1 : 0;
        const xp = x < width - 1 ? x + 1 : x;
        const dx =
          src[ym + xp]! + 2 * src[y0 + xp]! + src[yp + xp]! - src[ym + xm]! - 2 * src[y0 + xm]! - src[yp + xm]!;
        const dy = src[yp + xm]! + 2 * src[yp + x]! + src[yp + xp]! - src[ym + xm]! - 2 * src[ym + x]! - src[ym + xp]!;
        const m = Math.abs(dx) + Math.abs(dy);
        if (m > mag[y0 + x]!) {
          mag[y0 + x] = m;
          gx[y0 + x] = dx;
          gy[y0 + x] = dy;
        }
      }
    }
  }

  // Non-maximum suppression: 0 = not an edge, 1 = candidate (> low), 2 = strong seed (> high).
  const magAt = (x: number, y: number): number =>
    x < 0 || y < 0 || x >= width || y >= height ? 0 : mag[y * width + x]!;
  const state = new Uint8Array(n);
  const stack: number[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const m = mag[i]!;
      if (!(m > low)) continue;
      const dx = gx[i]!;
      const dy = gy[i]!;
      const ax = Math.abs(dx);
      const ayShifted = Math.abs(dy) * 32768;
      const tg22x = ax * TG22;
      let isMax: boolean;
      if (ayShifted < tg22x) {
        isMax = m > magAt(x - 1, y) && m >= magAt(x + 1, y);
      } else if (ayShifted > tg22x + ax * 65536) {
        isMax = m > magAt(x, y - 1) && m >= magAt(x, y + 1);
      } else {
        const s = dx < 0 !== dy < 0 ? -1 : 1;
        isMax = m > magAt(x - s, y - 1) && m > magAt(x + s, y + 1);
      }
      if (!isMax) continue;
      state[i] = m > high ? 2 : 1;
      if (m > high) stack.push(i);
    }
  }

  // Hysteresis: grow the strong seeds through 8-connected candidates.
  while (stack.length > 0) {
    const i = stack.pop()!;
    const x = i % width;
    const y = (i - x) / width;
    for (let oy = -1; oy <= 1; oy++) {
      for (let ox = -1; ox <= 1; ox++) {
        const nx = x + ox;
        const ny = y + oy;
        if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
        const j = ny * width + nx;
        if (state[j] === 1) {
          state[j] = 2;
          stack.push(j);
        }
      }
    }
  }
  const edges = new Uint8Array(n);
  for (let i = 0; i < n; i++) edges[i] = state[i] === 2 ? 1 : 0;
  return edges;
}

/** The ControlNet conditioning image [3, H, W] in [0, 1] (edges 1, identical RGB channels). */
export function cannyCondition(
  rgba: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  options: CannyOptions = {},
): Float32Array {
  const edges = cannyEdgeMap(rgba, width, height, options);
  const n = width * height;
  const out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) out[i] = out[n + i] = out[2 * n + i] = edges[i]!;
  return out;
}
