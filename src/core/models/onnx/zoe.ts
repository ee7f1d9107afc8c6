/**
 * ZoeDepth (the ControlNet `depth_zoe` annotator's network) as an ONNX export.
 * Owner: the depth-condition feature (#16). Verify the export, names and size before relying on them.
 */
import type { OnnxModelSpec } from './spec';

export const ZOE: OnnxModelSpec<'zoe'> = {
  kind: 'zoe',
  label: 'ZoeDepth NK',
  purpose: 'condition',
  backend: 'webgpu',
  files: [
    {
      role: 'depth',
      candidates: ['onnx/model.onnx', 'model.onnx'],
      inputs: ['pixel_values'],
      outputs: ['predicted_depth'],
    },
  ],
  preset: {
    repo: 'Xenova/zoedepth-nyu-kitti',
    license: 'MIT',
    bytes: 1_380_000_000,
    homepage: 'https://huggingface.co/Xenova/zoedepth-nyu-kitti',
  },
};
