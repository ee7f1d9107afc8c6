/**
 * Pose conditions (DWPose and OpenPose, DESIGN §3.7) in the engine: the loaded DWPose model (YOLOX-L person
 * detector + DWPose-L whole-body SimCC estimator, src/core/models/onnx/dwpose.ts) runs on each frame, and the
 * ControlNet pose map is drawn, as the ControlNet v1.1 `dwpose` annotator that knightyxp/VideoGrain runs
 * (annotator/dwpose/__init__.py `DWposeDetector.__call__`, wholebody.py, onnxdet.py, onnxpose.py, util.py):
 *   frame (RGB) → letterbox 640² → detector → person boxes (YOLOX decoding, NMS 0.45, person score > 0.3; the whole
 *   frame when none) → per box: affine crop 288×384, normalised → pose model → SimCC decoding → neck + OpenPose order
 *   → `draw_pose` (body; hands and face as the options say) → [3, H, W] / 255.
 * The pure steps are in src/core/conditions/pose/.
 *
 * `openpose` is drawn from the same DWPose keypoints: lllyasviel's OpenPose body/hand networks are PyTorch files
 * with no public ONNX export, and the annotator draws both with the same `draw_pose` (body always, hand/face
 * flags), so only the keypoint estimator differs from the official `openpose` condition.
 */
import { ModelError } from '../../../src/core/models/errors';
import {
  anchorCount,
  DETECTOR_SIZE,
  letterbox,
  personBoxes,
  type Box,
} from '../../../src/core/conditions/pose/detector';
import { canvasToCondition, drawPose } from '../../../src/core/conditions/pose/draw';
import { rgbFromRgba } from '../../../src/core/conditions/pose/image';
import { poseDrawing, toOpenPose, type OpenPosePerson } from '../../../src/core/conditions/pose/keypoints';
import {
  boxFrame,
  decodeSimcc,
  KEYPOINTS,
  POSE_HEIGHT,
  POSE_WIDTH,
  poseInput,
  SIMCC_SPLIT,
} from '../../../src/core/conditions/pose/simcc';
import type { HostTensor, OnnxModelSessions } from '../onnx-models/session';
import { throwIfCancelled } from '../pipeline/invert';

export interface PoseOptions {
  /** 'dwpose', or 'openpose' (drawn from DWPose's keypoints: OpenPose's networks are not shipped as ONNX). */
  readonly mode: 'dwpose' | 'openpose';
  /** Draw the hands (the YAML's `hand`). */
  readonly hand: boolean;
  /** Draw the face landmarks (the YAML's `face`). */
  readonly face: boolean;
}

function ioNames(model: OnnxModelSessions, role: string): { input: string; outputs: readonly string[] } {
  const file = model.spec.files.find((f) => f.role === role);
  if (!file) throw new Error(`the ${model.spec.kind} model has no ${role} file`);
  return { input: file.inputs[0]!, outputs: file.outputs };
}

/** A float output of the given dims; −1 stands for YOLOX's 5 + classes (at least box, objectness and person). */
function floatOutput(
  out: Record<string, HostTensor>,
  name: string,
  role: string,
  dims: readonly number[],
): Float32Array {
  const t = out[name];
  const ok =
    t !== undefined &&
    t.data instanceof Float32Array &&
    t.dims.length === dims.length &&
    t.dims.every((d, i) => (dims[i]! < 0 ? d >= 6 : d === dims[i]));
  if (!ok)
    throw new ModelError(
      'MODEL_ARCHITECTURE',
      `The DWPose ${role} model's output "${name}" is ${t ? `float [${t.dims.join(', ')}]` : 'missing'}, but the ` +
        `annotator needs [${dims.map((d) => (d < 0 ? '?' : d)).join(', ')}]. Load the DWPose release's ` +
        `yolox_l.onnx and dw-ll_ucoco_384.onnx (Models → Estimators).`,
      { role },
    );
  return t.data as Float32Array;
}

/**
 * The pose condition of each frame: `frames` are RGBA (width·height·4 bytes each) at the edit size (the cropped
 * frames); returns the ControlNet condition [F, 3, H, W] in [0, 1] (RGB). Rejects with CANCELLED when `signal`
 * aborts (checked before every network run).
 */
export async function estimatePose(
  frames: readonly Uint8Array[],
  width: number,
  height: number,
  model: OnnxModelSessions,
  options: PoseOptions,
  signal?: AbortSignal,
): Promise<Float32Array> {
  const det = ioNames(model, 'detector');
  const pose = ioNames(model, 'pose');
  // inference_pose reads the input size from the graph (384×288 for dw-ll_ucoco_384; other DWPose exports differ).
  const shape = model.inputShape('pose', pose.input);
  const [ph, pw] =
    shape && typeof shape[2] === 'number' && typeof shape[3] === 'number'
      ? [shape[2], shape[3]]
      : [POSE_HEIGHT, POSE_WIDTH];
  const plane = 3 * width * height;
  const out = new Float32Array(frames.length * plane);
  for (let f = 0; f < frames.length; f++) {
    throwIfCancelled(signal);
    const img = rgbFromRgba(frames[f]!, width, height);
    const { tensor, ratio } = letterbox(img);
    const detOut = await model.run('detector', {
      [det.input]: { dims: [1, 3, DETECTOR_SIZE, DETECTOR_SIZE], data: tensor },
    });
    // [1, 8400, 5 + classes]: YOLOX-L has the 80 COCO classes; only class 0 (person) is read.
    const predictions = floatOutput(detOut, det.outputs[0]!, 'detector', [1, anchorCount(), -1]);
    const channels = detOut[det.outputs[0]!]!.dims[2]!;
    let boxes: Box[] = personBoxes(predictions, channels, ratio);
    // onnxpose.preprocess: with no person the estimator runs on the whole frame.
    if (boxes.length === 0) boxes = [[0, 0, width, height]];
    const people: OpenPosePerson[] = [];
    for (const box of boxes) {
      throwIfCancelled(signal);
      const frame = boxFrame(box, pw, ph);
      const p = await model.run('pose', {
        [pose.input]: { dims: [1, 3, ph, pw], data: poseInput(img, frame, pw, ph) },
      });
      const sx = floatOutput(p, pose.outputs[0]!, 'pose', [1, KEYPOINTS, pw * SIMCC_SPLIT]);
      const sy = floatOutput(p, pose.outputs[1]!, 'pose', [1, KEYPOINTS, ph * SIMCC_SPLIT]);
      people.push(toOpenPose(decodeSimcc(sx, sy, KEYPOINTS, frame, pw, ph)));
    }
    const canvas = drawPose(poseDrawing(people, width, height), width, height, options);
    canvasToCondition(canvas, out.subarray(f * plane, (f + 1) * plane));
  }
  return out;
}
