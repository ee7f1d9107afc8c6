/**
 * Pose conditions (DWPose and OpenPose, DESIGN §3.7) in the engine: runs the loaded DWPose model (YOLOX-L person
 * detector + DWPose-L whole-body SimCC estimator) on each frame and draws the ControlNet pose map, as the
 * ControlNet v1.1 `dwpose` annotator that knightyxp/VideoGrain runs (annotator/dwpose/*.py). The pure pre/post-
 * processing and drawing live in src/core/conditions/pose/. Work in progress: the first commit fixes the signature.
 */
import type { OnnxModelSessions } from '../onnx-models/session';

export interface PoseOptions {
  /** 'dwpose', or 'openpose' (drawn from DWPose's keypoints: OpenPose's networks are not shipped as ONNX). */
  readonly mode: 'dwpose' | 'openpose';
  /** Draw the hands (the YAML's `hand`). */
  readonly hand: boolean;
  /** Draw the face landmarks (the YAML's `face`). */
  readonly face: boolean;
}

/**
 * The pose condition of each frame: `frames` are RGBA (width·height·4 bytes each) at the edit size; returns the
 * ControlNet condition [F, 3, H, W] in [0, 1] (RGB).
 */
export async function estimatePose(
  frames: readonly Uint8Array[],
  width: number,
  height: number,
  model: OnnxModelSessions,
  options: PoseOptions,
  signal?: AbortSignal,
): Promise<Float32Array> {
  void model;
  void options;
  signal?.throwIfAborted();
  return new Float32Array(frames.length * 3 * width * height);
}
