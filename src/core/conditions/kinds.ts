/**
 * Which model each structure condition needs (DESIGN §3.7): the estimator (an ONNX model kind loaded in
 * Models → Estimators, or by the CLI's `--condition-model`) and the ControlNet v1.1 preset trained on it.
 * Pure; shared by the run panel, the engine's condition registry and the CLI.
 */
import type { ControlCondition } from '../models/catalog';
import type { ConditionKind } from '../protocol/edit';

/** The ONNX estimator kinds conditions use (a subset of ONNX_MODEL_KINDS). */
export type EstimatorModelKind = 'dwpose' | 'midas' | 'zoe';

/** The estimator model a condition is computed with; null for canny, frames and none. */
export function estimatorModelOf(kind: ConditionKind): EstimatorModelKind | null {
  switch (kind) {
    case 'dwpose':
    case 'openpose':
      // OpenPose's own body/hand networks are not shipped as ONNX: openpose is drawn from DWPose's body
      // keypoints with the OpenPose drawing (README: deviations).
      return 'dwpose';
    case 'depth':
      return 'midas';
    case 'depth_zoe':
      return 'zoe';
    default:
      return null;
  }
}

/** Names a person reads for each estimator model ("Load DWPose in Models → Estimators"). */
export const ESTIMATOR_LABELS: Readonly<Record<EstimatorModelKind, string>> = {
  dwpose: 'DWPose',
  midas: 'MiDaS DPT-Hybrid',
  zoe: 'ZoeDepth',
};

/** The ControlNet v1.1 preset a condition is trained for (canny and user frames: canny; none: null). */
export function controlNetForCondition(kind: ConditionKind): ControlCondition | null {
  switch (kind) {
    case 'none':
      return null;
    case 'dwpose':
    case 'openpose':
      return 'openpose';
    case 'depth':
    case 'depth_zoe':
      return 'depth';
    default:
      return 'canny';
  }
}
