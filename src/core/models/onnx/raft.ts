/**
 * RAFT-large optical flow (Teed & Deng, ECCV 2020), torchvision's `raft_large` with its default weights (C+T+S+K+H),
 * which the official VideoGrain code runs (`sample_trajectories_new`), exported to ONNX. Exports name their values
 * differently, so the signature is positional: two images [1, 3, H, W] (RGB, torchvision's OpticalFlow transform:
 * [0, 1] then normalised to [−1, 1]; H, W multiples of 8) → flows [1, 2, H, W] in pixels; when an export returns
 * every refinement iteration, the LAST output is the final flow (torchvision's `list_of_flows[-1]`).
 * Owner: the FLATTEN flow feature (#17).
 */
import type { OnnxModelSpec } from './spec';

export const RAFT: OnnxModelSpec<'raft'> = {
  kind: 'raft',
  label: 'RAFT-large optical flow',
  purpose: 'flow',
  backend: 'webgpu',
  files: [
    {
      role: 'flow',
      candidates: ['raft_large.onnx', 'onnx/model.onnx', 'model.onnx'],
      inputs: ['image1', 'image2'],
      outputs: ['flow'],
      signature: 'positional',
    },
  ],
  preset: {
    repo: 'nev/raft-large-onnx',
    license: 'BSD-3-Clause (torchvision weights)',
    bytes: 21_400_000,
    homepage: 'https://huggingface.co/nev/raft-large-onnx',
  },
};
