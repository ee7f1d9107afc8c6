/**
 * SAM 2.1 (Hiera tiny) as an ONNX export: an image encoder run once per frame and a prompt encoder + mask decoder
 * run per click (issue 18; workers/engine/segment). The names are the onnx-community (transformers.js) export's,
 * as the public code that runs it uses them: encoder `pixel_values` [1, 3, 1024, 1024] → `image_embeddings.0`
 * [1, 32, 256, 256], `.1` [1, 64, 128, 128], `.2` [1, 256, 64, 64]; decoder `input_points` [1, 1, n, 2],
 * `input_labels` [1, 1, n] int64, `input_boxes` [1, b, 4] (optional here: without it a box goes in as two corner
 * points labelled 2 and 3) and the embeddings → `iou_scores` [1, 1, 3], `pred_masks` [1, 1, 3, 256, 256].
 * Files in `onnx/` as the repo has them, or at the top of a dropped `onnx/` folder. Licence: Apache-2.0 (Meta's
 * SAM 2.1 weights). Size: about 155 MB for the fp32 pair (estimate, not checked byte for byte against the repo).
 */
import type { OnnxModelSpec } from './spec';

export const SAM2: OnnxModelSpec<'sam2'> = {
  kind: 'sam2',
  label: 'SAM 2.1 tiny',
  purpose: 'segment',
  backend: 'webgpu',
  files: [
    {
      role: 'encoder',
      candidates: ['onnx/vision_encoder.onnx', 'vision_encoder.onnx'],
      inputs: ['pixel_values'],
      outputs: ['image_embeddings.0', 'image_embeddings.1', 'image_embeddings.2'],
    },
    {
      role: 'decoder',
      candidates: ['onnx/prompt_encoder_mask_decoder.onnx', 'prompt_encoder_mask_decoder.onnx'],
      inputs: ['input_points', 'input_labels', 'image_embeddings.0', 'image_embeddings.1', 'image_embeddings.2'],
      outputs: ['iou_scores', 'pred_masks'],
    },
  ],
  preset: {
    repo: 'onnx-community/sam2.1-hiera-tiny-ONNX',
    license: 'Apache-2.0',
    bytes: 155_000_000,
    homepage: 'https://huggingface.co/onnx-community/sam2.1-hiera-tiny-ONNX',
  },
};
