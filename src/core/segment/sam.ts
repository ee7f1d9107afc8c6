/**
 * SAM-family pre- and post-processing (issue 18), pure: frame → encoder input, clicks → decoder prompt, decoder
 * logits → frame-size masks, for the two signatures the segmenter runs (workers/engine/segment/sam.ts).
 *
 * SAM 2.1 (kind 'sam2'): the reference image predictor (facebookresearch/sam2 `SAM2Transforms`, and the
 * transformers `Sam2Processor` the onnx-community export was made with):
 * - the frame is resized to a 1024 × 1024 square WITHOUT keeping the aspect ratio (SAM 2 does not pad, unlike
 *   SAM 1), bilinear, scaled to [0, 1] and normalised with the ImageNet mean/std, RGB, NCHW;
 * - prompt coordinates are therefore scaled per axis: x · 1024 / width, y · 1024 / height; labels 1/0 (int64);
 *   a box is [x0, y0, x1, y1] in the same space;
 * - the decoder answers low-resolution mask logits (256², one per multimask output) and a predicted IoU each;
 *   the logits are resized bilinearly to the frame size and thresholded at 0.
 *
 * SAM v1 family (kind 'slimsam'; transformers.js `SamImageProcessor`, see src/core/models/onnx/slimsam.ts):
 * - the LONGEST side is resized to 1024 keeping the aspect (the other side floor(side · 1024 / longest)), the
 *   image normalised as above and padded with zeros at the bottom/right to 1024² (`samV1PixelValues`);
 * - prompts are scaled by resized / original per axis (`reshape_input_points`; `samV1Prompt`);
 * - masks: logits upsampled to the padded 1024², the resized region cropped, resized to the frame, threshold 0
 *   (`post_process_masks`; `samV1MaskFromLogits`).
 */
import type { SegmentBox, SegmentPoint } from '../protocol/segment';

export const SAM_INPUT_SIZE = 1024;
export const SAM_MEAN = [0.485, 0.456, 0.406] as const;
export const SAM_STD = [0.229, 0.224, 0.225] as const;

/**
 * Source sample positions of a bilinear resize from `from` to `to` samples (half-pixel centres, as PyTorch's
 * `interpolate(..., align_corners=False)`): for each output index the two source indices and the weight of the
 * second.
 */
function resizeTaps(from: number, to: number): { i0: Int32Array; i1: Int32Array; w: Float32Array } {
  const i0 = new Int32Array(to);
  const i1 = new Int32Array(to);
  const w = new Float32Array(to);
  const scale = from / to;
  for (let o = 0; o < to; o++) {
    const s = Math.max(0, (o + 0.5) * scale - 0.5);
    const a = Math.min(from - 1, Math.floor(s));
    i0[o] = a;
    i1[o] = Math.min(from - 1, a + 1);
    w[o] = s - a;
  }
  return { i0, i1, w };
}

/**
 * Bilinear resize of an RGBA frame to `rw × rh`, written normalised (ImageNet) into the top-left corner of a
 * `size × size` NCHW plane set; the rest stays 0 (the zero padding of SAM v1, applied after normalising).
 */
function normalisedInto(
  rgba: Uint8Array,
  width: number,
  height: number,
  size: number,
  rw: number,
  rh: number,
): Float32Array {
  if (rgba.length !== width * height * 4)
    throw new Error(`frame has ${rgba.length} bytes, expected ${width}×${height}×4`);
  const out = new Float32Array(3 * size * size);
  const xs = resizeTaps(width, rw);
  const ys = resizeTaps(height, rh);
  const plane = size * size;
  for (let oy = 0; oy < rh; oy++) {
    const r0 = ys.i0[oy]! * width;
    const r1 = ys.i1[oy]! * width;
    const wy = ys.w[oy]!;
    for (let ox = 0; ox < rw; ox++) {
      const c0 = xs.i0[ox]!;
      const c1 = xs.i1[ox]!;
      const wx = xs.w[ox]!;
      for (let c = 0; c < 3; c++) {
        const a = rgba[(r0 + c0) * 4 + c]!;
        const b = rgba[(r0 + c1) * 4 + c]!;
        const d = rgba[(r1 + c0) * 4 + c]!;
        const e = rgba[(r1 + c1) * 4 + c]!;
        const top = a + (b - a) * wx;
        const bottom = d + (e - d) * wx;
        const v = (top + (bottom - top) * wy) / 255;
        out[c * plane + oy * size + ox] = (v - SAM_MEAN[c]!) / SAM_STD[c]!;
      }
    }
  }
  return out;
}

/** SAM 2.1: the encoder's `pixel_values` [1, 3, size, size] from an RGBA frame (squashed, no padding). */
export function samPixelValues(rgba: Uint8Array, width: number, height: number, size = SAM_INPUT_SIZE): Float32Array {
  return normalisedInto(rgba, width, height, size, size, size);
}

/**
 * SAM v1: the size the frame is resized to before padding, longest side = `size` (transformers.js
 * `get_resize_output_image_size` with `longest_edge`: floor of the scaled size, rounded to 2 decimals first so
 * 1023.9999 stays 1024).
 */
export function samV1ResizedSize(
  width: number,
  height: number,
  size = SAM_INPUT_SIZE,
): { width: number; height: number } {
  const scale = size / Math.max(width, height);
  const side = (n: number) => Math.max(1, Math.floor(Number((n * scale).toFixed(2))));
  return { width: side(width), height: side(height) };
}

/** SAM v1: `pixel_values` [1, 3, size, size]: longest side to `size`, aspect kept, zero-padded bottom/right. */
export function samV1PixelValues(rgba: Uint8Array, width: number, height: number, size = SAM_INPUT_SIZE): Float32Array {
  const r = samV1ResizedSize(width, height, size);
  return normalisedInto(rgba, width, height, size, r.width, r.height);
}

export interface SamPromptTensors {
  /** `input_points` [1, 1, n, 2] in the encoder's input space. */
  readonly points: Float32Array;
  /** `input_labels` [1, 1, n]. */
  readonly labels: BigInt64Array;
  readonly count: number;
  /** `input_boxes` [1, 1, 4] (x0, y0, x1, y1 ordered), or null (the export takes [1, 0, 4] for none). */
  readonly box: Float32Array | null;
}

/** Clicks and box in frame pixels → prompt tensors, x scaled by `sx` and y by `sy`. */
function scaledPrompt(
  points: readonly SegmentPoint[],
  box: SegmentBox | undefined,
  sx: number,
  sy: number,
): SamPromptTensors {
  const coords = new Float32Array(points.length * 2);
  const labels = new BigInt64Array(points.length);
  points.forEach((p, i) => {
    coords[2 * i] = p.x * sx;
    coords[2 * i + 1] = p.y * sy;
    labels[i] = p.label === 1 ? 1n : 0n;
  });
  const b = box
    ? Float32Array.from([
        Math.min(box.x0, box.x1) * sx,
        Math.min(box.y0, box.y1) * sy,
        Math.max(box.x0, box.x1) * sx,
        Math.max(box.y0, box.y1) * sy,
      ])
    : null;
  return { points: coords, labels, count: points.length, box: b };
}

/** SAM 2.1: clicks and box in frame pixels → the decoder's prompt tensors (per-axis scale to the square). */
export function samPrompt(
  points: readonly SegmentPoint[],
  box: SegmentBox | undefined,
  width: number,
  height: number,
  size = SAM_INPUT_SIZE,
): SamPromptTensors {
  return scaledPrompt(points, box, size / width, size / height);
}

/** SAM v1: clicks and box scaled by resized / original per axis (`reshape_input_points`). */
export function samV1Prompt(
  points: readonly SegmentPoint[],
  box: SegmentBox | undefined,
  width: number,
  height: number,
  size = SAM_INPUT_SIZE,
): SamPromptTensors {
  const r = samV1ResizedSize(width, height, size);
  return scaledPrompt(points, box, r.width / width, r.height / height);
}

/** One candidate's logits (`mh × mw` at `offset`) resized to the frame and thresholded at 0: 1 inside. */
export function samMaskFromLogits(
  logits: Float32Array,
  offset: number,
  mh: number,
  mw: number,
  width: number,
  height: number,
): Uint8Array {
  const out = new Uint8Array(width * height);
  const xs = resizeTaps(mw, width);
  const ys = resizeTaps(mh, height);
  for (let y = 0; y < height; y++) {
    const r0 = offset + ys.i0[y]! * mw;
    const r1 = offset + ys.i1[y]! * mw;
    const wy = ys.w[y]!;
    for (let x = 0; x < width; x++) {
      const c0 = xs.i0[x]!;
      const c1 = xs.i1[x]!;
      const wx = xs.w[x]!;
      const top = logits[r0 + c0]! + (logits[r0 + c1]! - logits[r0 + c0]!) * wx;
      const bottom = logits[r1 + c0]! + (logits[r1 + c1]! - logits[r1 + c0]!) * wx;
      out[y * width + x] = top + (bottom - top) * wy > 0 ? 1 : 0;
    }
  }
  return out;
}

/**
 * SAM v1: one candidate's logits (`mh × mw` at `offset`) upsampled to the padded `size²` input, cropped to the
 * resized frame (the padding dropped), resized to the frame and thresholded at 0 (`post_process_masks`).
 */
export function samV1MaskFromLogits(
  logits: Float32Array,
  offset: number,
  mh: number,
  mw: number,
  width: number,
  height: number,
  size = SAM_INPUT_SIZE,
): Uint8Array {
  const r = samV1ResizedSize(width, height, size);
  // Only the cropped rows/columns of the size² upsampling are needed: the taps of its first r.height/r.width.
  const ux = resizeTaps(mw, size);
  const uy = resizeTaps(mh, size);
  const cropped = new Float32Array(r.width * r.height);
  for (let y = 0; y < r.height; y++) {
    const r0 = offset + uy.i0[y]! * mw;
    const r1 = offset + uy.i1[y]! * mw;
    const wy = uy.w[y]!;
    for (let x = 0; x < r.width; x++) {
      const c0 = ux.i0[x]!;
      const c1 = ux.i1[x]!;
      const wx = ux.w[x]!;
      const top = logits[r0 + c0]! + (logits[r0 + c1]! - logits[r0 + c0]!) * wx;
      const bottom = logits[r1 + c0]! + (logits[r1 + c1]! - logits[r1 + c0]!) * wx;
      cropped[y * r.width + x] = top + (bottom - top) * wy;
    }
  }
  return samMaskFromLogits(cropped, 0, r.height, r.width, width, height);
}

/** Candidate order: best predicted IoU first (stable for ties). */
export function rankByScore(scores: ArrayLike<number>): number[] {
  return Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
}

/** The reference's default: several candidates for one point (ambiguous), one for anything more. */
export function defaultMultimask(points: readonly SegmentPoint[], box: SegmentBox | undefined): boolean {
  return points.length === 1 && !box;
}
