/**
 * Depth conditions as the ControlNet v1.1 annotators compute them (DESIGN §3.7; issue 16), as pure functions
 * around the network call (the runner, workers/engine/conditions/depth.ts, calls the ONNX export in between):
 *
 * `depth` — MiDaS v3 DPT-Hybrid (lllyasviel/ControlNet-v1-1-nightly annotator/midas/__init__.py with the caller's
 *   `resize_image(HWC3(img), 384)` of gradio_depth.py / controlnet_aux `MidasDetector`):
 *   1. resize the frame so its short side is 384, each side rounded to a multiple of 64 (`resize_image`:
 *      k = 384 / min(H, W), H' = round(H·k / 64)·64 with NumPy's half-to-even round; OpenCV INTER_AREA when
 *      shrinking, LANCZOS4 when enlarging — we enlarge bilinearly, a deviation only for frames under 384 px);
 *   2. x / 127.5 − 1 per RGB channel (= the transformers processor's mean 0.5, std 0.5 on x / 255);
 *   3. the network (inverse relative depth: near is large); 4. min–max to [0, 1] — no inversion;
 *   5. `(d · 255).clip(0, 255).astype(uint8)` (truncation); 6. HWC3 (gray → RGB) and `cv2.resize` back to the
 *      frame size with INTER_LINEAR.
 *   The ONNX export's own processor (Xenova/dpt-hybrid-midas, `DPTImageProcessor`) resizes to 384×384 without
 *   keeping the aspect ratio; we follow the annotator (identical for the square edit frames).
 *
 * `depth_zoe` — ZoeDepth (controlnet_aux `ZoeDetector`, the percentile form VideoGrain's annotator uses; the
 *   nightly annotator/zoe/__init__.py differs only in using min–max instead of the percentiles):
 *   1. x / 255; 2. `ZoeDepth.infer`: reflect-pad by ⌊√(H/2)·3⌋ rows and ⌊√(W/2)·3⌋ columns, the core's
 *      `Resize(512, 384, keep_aspect_ratio, ensure_multiple_of=32, 'minimal')` (bilinear, align_corners=True),
 *      normalise (x − 0.5) / 0.5, the network's metric depth upsampled bicubically to the padded size and the
 *      padding cropped; the same on the horizontally flipped frame, flipped back, and the two averaged
 *      (`infer_with_flip_aug`);
 *   3. vmin, vmax = the 2nd and 85th percentiles (NumPy linear); d = 1 − (d − vmin) / (vmax − vmin) (inverted:
 *      near is bright, as MiDaS); 4. `(d · 255).clip(0, 255).astype(uint8)`.
 *   The transformers `ZoeDepthImageProcessor` of the ONNX export does the same padding and 'minimal' resize
 *   outside the graph, so the graph is the network alone (pixel_values → predicted_depth).
 */
import { resamplePlanes } from './resample';

/** float32 rounding: torch and NumPy compute these maps in float32. */
const f32 = Math.fround;

export const MIDAS_DETECT_RESOLUTION = 384;
/** ZoeDepth's core input size (PrepForMidas: net_w 512, net_h 384). */
export const ZOE_NET_WIDTH = 512;
export const ZOE_NET_HEIGHT = 384;
export const ZOE_PERCENTILES = [2, 85] as const;

/** NumPy's round (half to even). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export interface Size {
  readonly height: number;
  readonly width: number;
}

/** The annotators' `resize_image(img, resolution)` output size. */
export function annotatorResize(height: number, width: number, resolution: number): Size {
  const k = resolution / Math.min(height, width);
  return {
    height: roundHalfEven((height * k) / 64) * 64,
    width: roundHalfEven((width * k) / 64) * 64,
  };
}

/** RGBA bytes → planar RGB floats [3, H, W] through `f(byte)`. */
export function rgbaToPlanar(rgba: Uint8Array, width: number, height: number, f: (v: number) => number): Float32Array {
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) out[c * plane + p] = f(rgba[p * 4 + c]!);
  return out;
}

/** MiDaS step 1–2: the network input [1, 3, h, w] for one RGBA frame, and its size. */
export function midasInput(rgba: Uint8Array, width: number, height: number): { data: Float32Array; size: Size } {
  const size = annotatorResize(height, width, MIDAS_DETECT_RESOLUTION);
  const rgb = rgbaToPlanar(rgba, width, height, (v) => v);
  // OpenCV resizes the uint8 image: the resized bytes are rounded before the normalisation.
  const resized = resamplePlanes(rgb, 3, height, width, size.height, size.width, 'area');
  for (let i = 0; i < resized.length; i++) resized[i] = Math.min(255, Math.max(0, Math.round(resized[i]!))) / 127.5 - 1;
  return { data: resized, size };
}

/** `(d · 255).clip(0, 255).astype(uint8)` of a map already scaled to [0, 1] (truncation, as NumPy's cast). */
export function toUint8(d: Float32Array): Uint8Array {
  const out = new Uint8Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const v = f32(d[i]! * 255);
    out[i] = Number.isNaN(v) ? 0 : Math.trunc(Math.min(255, Math.max(0, v)));
  }
  return out;
}

/**
 * MiDaS steps 4–5: min–max to [0, 1], then 8 bits, in float32 as torch/NumPy compute it (so 0.7 · 255 truncates
 * to 178 as there). A constant map is all 0 (NumPy gives NaN, cast to 0).
 */
export function midasToUint8(depth: Float32Array): Uint8Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of depth) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = f32(hi - lo);
  const out = new Float32Array(depth.length);
  for (let i = 0; i < depth.length; i++) out[i] = span > 0 ? f32(f32(depth[i]! - lo) / span) : 0;
  return toUint8(out);
}

/** An 8-bit map [h, w] → RGBA at the frame size (HWC3, then INTER_LINEAR to width × height, rounded). */
export function mapToRgba(map: Uint8Array, h: number, w: number, width: number, height: number): Uint8Array {
  const resized = resamplePlanes(Float32Array.from(map), 1, h, w, height, width, 'linear');
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const v = Math.min(255, Math.max(0, Math.round(resized[p]!)));
    rgba[p * 4] = v;
    rgba[p * 4 + 1] = v;
    rgba[p * 4 + 2] = v;
    rgba[p * 4 + 3] = 255;
  }
  return rgba;
}

/** ZoeDepth's reflect padding per side: ⌊√(n/2)·3⌋. */
export function zoePad(n: number): number {
  return Math.floor(Math.sqrt(n / 2) * 3);
}

/** ZoeDepth core's 'minimal' keep-aspect resize to a multiple of 32 (midas Resize.get_size). */
export function zoeNetSize(height: number, width: number): Size {
  let sh = ZOE_NET_HEIGHT / height;
  let sw = ZOE_NET_WIDTH / width;
  if (Math.abs(1 - sw) < Math.abs(1 - sh)) sh = sw;
  else sw = sh;
  const multiple = (x: number) => {
    let y = roundHalfEven(x / 32) * 32;
    if (y < 0) y = Math.ceil(x / 32) * 32;
    return y;
  };
  return { height: multiple(sh * height), width: multiple(sw * width) };
}

/** Reflect padding (PyTorch 'reflect': the edge pixel is not repeated) of planar [C, H, W]. */
export function reflectPad(
  src: Float32Array,
  channels: number,
  h: number,
  w: number,
  ph: number,
  pw: number,
): Float32Array {
  const H = h + 2 * ph;
  const W = w + 2 * pw;
  const reflect = (i: number, n: number) => {
    if (n === 1) return 0;
    const period = 2 * (n - 1);
    let j = ((i % period) + period) % period;
    if (j >= n) j = period - j;
    return j;
  };
  const out = new Float32Array(channels * H * W);
  for (let c = 0; c < channels; c++)
    for (let y = 0; y < H; y++) {
      const sy = reflect(y - ph, h);
      for (let x = 0; x < W; x++) out[(c * H + y) * W + x] = src[(c * h + sy) * w + reflect(x - pw, w)]!;
    }
  return out;
}

/** Mirrors planar [C, H, W] left–right. */
export function flipX(src: Float32Array, channels: number, h: number, w: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let r = 0; r < channels * h; r++) for (let x = 0; x < w; x++) out[r * w + x] = src[r * w + (w - 1 - x)]!;
  return out;
}

/** Zoe step 2 (input side): the padded, resized, normalised network input of planar x / 255 [3, H, W]. */
export function zoeInput(
  rgb01: Float32Array,
  height: number,
  width: number,
): { data: Float32Array; size: Size; padded: Size; pad: Size } {
  const pad = { height: zoePad(height), width: zoePad(width) };
  const padded = { height: height + 2 * pad.height, width: width + 2 * pad.width };
  const x = reflectPad(rgb01, 3, height, width, pad.height, pad.width);
  const size = zoeNetSize(padded.height, padded.width);
  const data = resamplePlanes(x, 3, padded.height, padded.width, size.height, size.width, 'linear-corners');
  for (let i = 0; i < data.length; i++) data[i] = (data[i]! - 0.5) / 0.5;
  return { data, size, padded, pad };
}

/** Zoe step 2 (output side): the network's depth [h, w] upsampled bicubically to the padded size, padding cropped. */
export function zoeOutput(depth: Float32Array, h: number, w: number, padded: Size, pad: Size): Float32Array {
  const up = resamplePlanes(depth, 1, h, w, padded.height, padded.width, 'cubic');
  const H = padded.height - 2 * pad.height;
  const W = padded.width - 2 * pad.width;
  const out = new Float32Array(H * W);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) out[y * W + x] = up[(y + pad.height) * padded.width + x + pad.width]!;
  return out;
}

/** NumPy `percentile(a, q)` with the default linear method. */
export function percentile(values: Float32Array, q: number): number {
  const sorted = Float64Array.from(values).sort();
  const pos = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Zoe steps 3–4: 2 % / 85 % percentile normalisation, inversion, 8 bits. */
export function zoeToUint8(depth: Float32Array): Uint8Array {
  const vmin = percentile(depth, ZOE_PERCENTILES[0]);
  const vmax = percentile(depth, ZOE_PERCENTILES[1]);
  const out = new Float32Array(depth.length);
  const span = f32(vmax - vmin);
  for (let i = 0; i < depth.length; i++) out[i] = f32(1 - f32(f32(depth[i]! - vmin) / span));
  return toUint8(out);
}
