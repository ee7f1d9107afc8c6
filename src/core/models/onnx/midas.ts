/**
 * MiDaS v3 DPT-Hybrid (the ControlNet `depth` annotator's network, dpt_hybrid-midas-501f0c75.pt) as an ONNX
 * export: Xenova/dpt-hybrid-midas is the transformers.js export of Intel/dpt-hybrid-midas (Apache-2.0), the same
 * weights in transformers' DPT layout: `pixel_values` [1, 3, h, w] (dynamic h, w; multiples of 32) →
 * `predicted_depth` [1, h, w] (inverse relative depth). fp32 `onnx/model.onnx` ≈ 490 MB (the export's
 * quantized variants are not used: the map must be the annotator's). The pre/post-processing is the annotator's
 * (src/core/conditions/depth.ts), not the export's processor.
 * Not verified against a file listing on this machine (no network): names follow the transformers DPT export.
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
