/**
 * MiDaS v3 DPT-Hybrid (the ControlNet `depth` annotator's network) as an ONNX export.
 * Owner: the depth-condition feature (#16). Verify the export, names and size before relying on them.
 */
import type { OnnxModelSpec } from './spec';

export const MIDAS: OnnxModelSpec<'midas'> = {
  kind: 'midas',
  label: 'MiDaS DPT-Hybrid depth',
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
    repo: 'Xenova/dpt-hybrid-midas',
    license: 'Apache-2.0',
    bytes: 490_000_000,
    homepage: 'https://huggingface.co/Xenova/dpt-hybrid-midas',
  },
};
