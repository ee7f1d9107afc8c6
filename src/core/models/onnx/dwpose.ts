/**
 * DWPose (IDEA-Research, ICCV 2023 workshop) as the ControlNet annotator runs it: a YOLOX-L person detector and
 * the DWPose-L whole-body estimator (133 keypoints, SimCC heads, 384×288 input), both released as ONNX files.
 * Owner: the pose-condition feature (#16; workers/engine/conditions/pose.ts).
 *
 * Verified against the release: the files are the ones IDEA-Research/DWPose (branch `onnx`, README) tells
 * ControlNet users to put in `annotator/ckpts/`, mirrored on Hugging Face in yzd-v/DWPose (licence apache-2.0;
 * yolox_l.onnx 217 MB, dw-ll_ucoco_384.onnx 134 MB as the Hub lists them) and in sxela/dwpose_ckpts, the copy
 * knightyxp/VideoGrain's annotator downloads. The graph names are the exporters' defaults: YOLOX's
 * tools/export_onnx.py (`--input images --output output`, decode_in_inference off, batch 1, 640×640 → [1, 8400, 85])
 * and MMDeploy's SimCC pose config (`input` → `simcc_x`, `simcc_y`). The annotator itself reads both files
 * positionally (first input, outputs in order); a re-export under other names is refused by name.
 */
import type { OnnxModelSpec } from './spec';

export const DWPOSE: OnnxModelSpec<'dwpose'> = {
  kind: 'dwpose',
  label: 'DWPose (YOLOX-L + DWPose-L 384×288)',
  purpose: 'condition',
  backend: 'webgpu',
  files: [
    {
      role: 'detector',
      // The release folder, or a VideoGrain / ControlNet checkout's annotator checkpoints folder.
      candidates: ['yolox_l.onnx', 'annotator/ckpts/yolox_l.onnx'],
      inputs: ['images'],
      outputs: ['output'],
    },
    {
      role: 'pose',
      candidates: ['dw-ll_ucoco_384.onnx', 'annotator/ckpts/dw-ll_ucoco_384.onnx'],
      inputs: ['input'],
      outputs: ['simcc_x', 'simcc_y'],
    },
  ],
  preset: {
    repo: 'yzd-v/DWPose',
    license: 'Apache-2.0',
    // 217 MB + 134 MB (the Hub's rounded sizes).
    bytes: 351_000_000,
    homepage: 'https://github.com/IDEA-Research/DWPose',
  },
};
