/**
 * DWPose (IDEA-Research, ICCV 2023 workshop) as the ControlNet annotator runs it: a YOLOX-L person detector and
 * the DWPose-L whole-body estimator (133 keypoints, SimCC heads, 384×288 input), both released as ONNX files.
 * Owner: the pose-condition feature (#16). Verify names and sizes against the release before relying on them.
 */
import type { OnnxModelSpec } from './spec';

export const DWPOSE: OnnxModelSpec<'dwpose'> = {
  kind: 'dwpose',
  label: 'DWPose (YOLOX-L + DWPose-L 384×288)',
  purpose: 'condition',
  backend: 'webgpu',
  files: [
    { role: 'detector', candidates: ['yolox_l.onnx'], inputs: ['images'], outputs: ['output'] },
    { role: 'pose', candidates: ['dw-ll_ucoco_384.onnx'], inputs: ['input'], outputs: ['simcc_x', 'simcc_y'] },
  ],
  preset: {
    repo: 'yzd-v/DWPose',
    license: 'Apache-2.0',
    bytes: 351_000_000,
    homepage: 'https://huggingface.co/yzd-v/DWPose',
  },
};
