/**
 * The DWPose annotator's whole-body estimator around DWPose-L (RTMPose SimCC heads, 133 COCO-WholeBody keypoints),
 * from ControlNet v1.1 `annotator/dwpose/onnxpose.py` (the copy knightyxp/VideoGrain runs):
 * - per person box (or the whole frame when no person was detected): centre = box middle, scale = box size · 1.25,
 *   then widened or heightened to the input's aspect w/h = 288/384 (`_fix_aspect_ratio`);
 * - crop: `cv2.warpAffine` INTER_LINEAR (border 0) of the affine that maps the centre to the input's middle and
 *   scale.w to the input width (`get_warp_matrix`, rotation 0: points in float32 like the reference);
 * - normalise: (v − [123.675, 116.28, 103.53]) / [58.395, 57.12, 57.375] per channel in the order given (RGB), CHW;
 * - decode (`get_simcc_maximum`): per keypoint the first argmax of simcc_x and of simcc_y; score = the smaller of
 *   the two maxima; a score ≤ 0 makes the location −1; locations / 2 (simcc_split_ratio 2.0);
 * - back to the image: k / (w, h) · scale + centre − scale / 2.
 */
import { affineFromPoints, warpAffine, type Affine, type RgbImage } from './image';
import type { Box } from './detector';

export const POSE_WIDTH = 288;
export const POSE_HEIGHT = 384;
export const KEYPOINTS = 133;
export const SIMCC_SPLIT = 2;
export const BOX_PADDING = 1.25;
export const POSE_MEAN = [123.675, 116.28, 103.53] as const;
export const POSE_STD = [58.395, 57.12, 57.375] as const;

/** Centre (x, y) and scale (w, h) of a box, the scale padded and fixed to the input's aspect ratio. */
export interface BoxFrame {
  readonly center: readonly [number, number];
  readonly scale: readonly [number, number];
}

/** `bbox_xyxy2cs(bbox, padding=1.25)` then `_fix_aspect_ratio(scale, w / h)`. */
export function boxFrame(box: Box, inputWidth = POSE_WIDTH, inputHeight = POSE_HEIGHT): BoxFrame {
  const center = [(box[0] + box[2]) * 0.5, (box[1] + box[3]) * 0.5] as const;
  const w = (box[2] - box[0]) * BOX_PADDING;
  const h = (box[3] - box[1]) * BOX_PADDING;
  const aspect = inputWidth / inputHeight;
  const scale = (w > h * aspect ? [w, w / aspect] : [h * aspect, h]) as [number, number];
  return { center, scale };
}

/** `get_warp_matrix(center, scale, rot=0, output_size=(w, h))`. */
export function cropMatrix(frame: BoxFrame, inputWidth = POSE_WIDTH, inputHeight = POSE_HEIGHT): Affine {
  const f = Math.fround;
  const [cx, cy] = frame.center;
  const srcW = frame.scale[0];
  // src: centre, centre + (0, −w/2), and the third point b + (−(a−b).y, (a−b).x); stored as float32.
  const s0 = [f(cx), f(cy)] as const;
  const s1 = [f(cx + 0), f(cy - srcW * 0.5)] as const;
  const s2 = [f(s1[0] - (s0[1] - s1[1])), f(s1[1] + (s0[0] - s1[0]))] as const;
  const d0 = [f(inputWidth * 0.5), f(inputHeight * 0.5)] as const;
  const d1 = [f(inputWidth * 0.5), f(inputHeight * 0.5 - inputWidth * 0.5)] as const;
  const d2 = [f(d1[0] - (d0[1] - d1[1])), f(d1[1] + (d0[0] - d1[0]))] as const;
  return affineFromPoints([s0, s1, s2], [d0, d1, d2]);
}

/** The pose model's input [1, 3, h, w] for one box: crop, then mean/std normalisation (`onnxpose.preprocess`). */
export function poseInput(
  img: RgbImage,
  frame: BoxFrame,
  inputWidth = POSE_WIDTH,
  inputHeight = POSE_HEIGHT,
): Float32Array {
  const crop = warpAffine(img, cropMatrix(frame, inputWidth, inputHeight), inputWidth, inputHeight);
  const plane = inputWidth * inputHeight;
  const out = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++)
    for (let c = 0; c < 3; c++) out[c * plane + p] = (crop.data[3 * p + c]! - POSE_MEAN[c]!) / POSE_STD[c]!;
  return out;
}

/** Keypoints of one person in image pixels, and their scores. */
export interface PersonKeypoints {
  /** [K, 2] x, y. */
  readonly xy: Float64Array;
  /** [K]. */
  readonly scores: Float64Array;
}

/**
 * `decode` + `postprocess` for one person: simcc_x [K, Wx], simcc_y [K, Wy] row-major → keypoints in the image.
 */
export function decodeSimcc(
  simccX: Float32Array,
  simccY: Float32Array,
  keypoints: number,
  frame: BoxFrame,
  inputWidth = POSE_WIDTH,
  inputHeight = POSE_HEIGHT,
): PersonKeypoints {
  const wx = simccX.length / keypoints;
  const wy = simccY.length / keypoints;
  if (!Number.isInteger(wx) || !Number.isInteger(wy)) throw new Error('SimCC outputs do not divide into keypoints');
  const xy = new Float64Array(keypoints * 2);
  const scores = new Float64Array(keypoints);
  const argmax = (v: Float32Array, from: number, n: number): [number, number] => {
    let best = 0;
    let max = v[from]!;
    for (let i = 1; i < n; i++)
      if (v[from + i]! > max) {
        max = v[from + i]!;
        best = i;
      }
    return [best, max];
  };
  for (let k = 0; k < keypoints; k++) {
    const [lx, mx] = argmax(simccX, k * wx, wx);
    const [ly, my] = argmax(simccY, k * wy, wy);
    const score = Math.min(mx, my);
    const loc = score <= 0 ? [-1, -1] : [lx, ly];
    const kx = loc[0]! / SIMCC_SPLIT;
    const ky = loc[1]! / SIMCC_SPLIT;
    xy[2 * k] = (kx / inputWidth) * frame.scale[0] + frame.center[0] - frame.scale[0] / 2;
    xy[2 * k + 1] = (ky / inputHeight) * frame.scale[1] + frame.center[1] - frame.scale[1] / 2;
    scores[k] = score;
  }
  return { xy, scores };
}
