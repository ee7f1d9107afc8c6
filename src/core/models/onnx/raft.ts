/**
 * RAFT-large optical flow (torchvision's default weights, as the official VideoGrain code runs it) as an ONNX
 * export. Owner: the FLATTEN flow feature (#17). Verify the export, names and size before relying on them.
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
    },
  ],
  preset: {
    repo: 'TBD/raft-large-onnx',
    license: 'BSD-3-Clause',
    bytes: 21_000_000,
    homepage: 'https://pytorch.org/vision/stable/models/raft.html',
  },
};
