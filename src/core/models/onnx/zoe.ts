/**
 * ZoeDepth (the ControlNet `depth_zoe` annotator's network) as an ONNX export of the transformers port
 * (Intel/zoedepth-*, MIT; 1.38 GB fp32 weights): `pixel_values` [1, 3, h, w] (dynamic; the annotator's padded,
 * 'minimal'-resized frame, multiples of 32) → `predicted_depth` [1, h', w'] (metric depth). The annotator loads
 * ZoeD_M12_N (NYU); the preset is the NYU+KITTI export (Xenova/zoedepth-nyu-kitti) — an export of
 * Intel/zoedepth-nyu, the annotator's own weights, loads the same way from a URL or local folder (README:
 * deviations). Not verified against a file listing on this machine (no network).
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
