/**
 * The DWPose annotator's person detector around YOLOX-L (ControlNet v1.1 `annotator/dwpose/onnxdet.py`, the copy
 * knightyxp/VideoGrain runs; YOLOX's own `demo_postprocess` and `multiclass_nms`):
 * - letterbox: scale r = min(640/H, 640/W), `cv2.resize` INTER_LINEAR to (⌊W·r⌋, ⌊H·r⌋) at the top-left of a
 *   640×640 canvas filled with 114; channels kept in the order given (the annotator feeds RGB frames), CHW,
 *   float 0–255 (no normalisation);
 * - decoding: the 8400 rows of `output` [1, 8400, 85] are the stride 8, 16, 32 grids (80², 40², 20² cells,
 *   row-major, x fastest) in that order: cx = (o₀ + gx)·s, cy = (o₁ + gy)·s, w = e^o₂·s, h = e^o₃·s; score of class c
 *   = o₄ (objectness, already a sigmoid in the export) · o₅₊c; boxes to corners and divided by r;
 * - class-aware NMS with IoU threshold 0.45 on the candidates scoring > 0.1, areas with the +1 pixel convention;
 *   then only class 0 (person) with score > 0.3 is kept. The result is the NMS order (descending score).
 */
import { resizeLinear, type RgbImage } from './image';

export const DETECTOR_SIZE = 640;
export const DETECTOR_STRIDES = [8, 16, 32] as const;
export const DETECTOR_PAD = 114;
export const NMS_IOU = 0.45;
export const NMS_SCORE = 0.1;
export const PERSON_SCORE = 0.3;

/** A box in image pixels: left, top, right, bottom. */
export type Box = readonly [number, number, number, number];

export interface Letterboxed {
  /** [1, 3, 640, 640] float 0–255. */
  readonly tensor: Float32Array;
  /** The resize ratio r; detections are divided by it. */
  readonly ratio: number;
}

/** The detector's input: `onnxdet.preprocess`. */
export function letterbox(img: RgbImage, size = DETECTOR_SIZE): Letterboxed {
  const ratio = Math.min(size / img.height, size / img.width);
  const rw = Math.trunc(img.width * ratio);
  const rh = Math.trunc(img.height * ratio);
  const resized = resizeLinear(img, rw, rh);
  const plane = size * size;
  const tensor = new Float32Array(3 * plane).fill(DETECTOR_PAD);
  for (let y = 0; y < rh; y++)
    for (let x = 0; x < rw; x++)
      for (let c = 0; c < 3; c++) tensor[c * plane + y * size + x] = resized.data[3 * (y * rw + x) + c]!;
  return { tensor, ratio };
}

/** The number of anchor rows of the detector's output for an input size (8400 at 640). */
export function anchorCount(size = DETECTOR_SIZE): number {
  return DETECTOR_STRIDES.reduce((n, s) => n + Math.floor(size / s) ** 2, 0);
}

export interface Candidate {
  readonly box: Box;
  readonly score: number;
}

/**
 * `demo_postprocess` + the box conversion for one class: every anchor's box (corners, divided by `ratio`) and its
 * score for `classIndex`. `output` is [anchors, 5 + classes] row-major.
 */
export function decodeYolox(
  output: Float32Array,
  channels: number,
  ratio: number,
  classIndex = 0,
  size = DETECTOR_SIZE,
): Candidate[] {
  const rows = anchorCount(size);
  if (output.length !== rows * channels)
    throw new Error(`detector output has ${output.length} values, expected ${rows}×${channels}`);
  const out: Candidate[] = [];
  let row = 0;
  for (const stride of DETECTOR_STRIDES) {
    const cells = Math.floor(size / stride);
    for (let gy = 0; gy < cells; gy++)
      for (let gx = 0; gx < cells; gx++, row++) {
        const o = row * channels;
        const cx = (output[o]! + gx) * stride;
        const cy = (output[o + 1]! + gy) * stride;
        const w = Math.exp(output[o + 2]!) * stride;
        const h = Math.exp(output[o + 3]!) * stride;
        const score = output[o + 4]! * output[o + 5 + classIndex]!;
        out.push({
          box: [(cx - w / 2) / ratio, (cy - h / 2) / ratio, (cx + w / 2) / ratio, (cy + h / 2) / ratio],
          score,
        });
      }
  }
  return out;
}

/** `onnxdet.nms`: indices kept, in descending score order; IoU with +1-pixel areas; suppresses IoU > threshold. */
export function nms(candidates: readonly Candidate[], iouThreshold = NMS_IOU): number[] {
  // numpy's argsort()[::-1]: descending; among equal scores the later index first.
  let order = candidates.map((_, i) => i).sort((a, b) => candidates[b]!.score - candidates[a]!.score || b - a);
  const area = (b: Box) => (b[2] - b[0] + 1) * (b[3] - b[1] + 1);
  const keep: number[] = [];
  while (order.length > 0) {
    const i = order[0]!;
    keep.push(i);
    const bi = candidates[i]!.box;
    const ai = area(bi);
    order = order.slice(1).filter((j) => {
      const bj = candidates[j]!.box;
      const w = Math.max(0, Math.min(bi[2], bj[2]) - Math.max(bi[0], bj[0]) + 1);
      const h = Math.max(0, Math.min(bi[3], bj[3]) - Math.max(bi[1], bj[1]) + 1);
      const inter = w * h;
      return inter / (ai + area(bj) - inter) <= iouThreshold;
    });
  }
  return keep;
}

/**
 * The person boxes of one frame from the detector's output (`inference_detector` after the session run):
 * class 0 only (NMS is class-aware, so other classes never suppress persons).
 */
export function personBoxes(output: Float32Array, channels: number, ratio: number, size = DETECTOR_SIZE): Box[] {
  const valid = decodeYolox(output, channels, ratio, 0, size).filter((c) => c.score > NMS_SCORE);
  return nms(valid)
    .map((i) => valid[i]!)
    .filter((c) => c.score > PERSON_SCORE)
    .map((c) => c.box);
}
