/**
 * SAM 2.1 (Hiera tiny) as an ONNX export: an image encoder run once per frame and a prompt encoder + mask decoder
 * run per click. Owner: the click-to-segment feature (#18). Verify the export, names and size before relying on
 * them.
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
      candidates: ['onnx/vision_encoder.onnx'],
      inputs: ['pixel_values'],
      outputs: ['image_embeddings.0', 'image_embeddings.1', 'image_embeddings.2'],
    },
    {
      role: 'decoder',
      candidates: ['onnx/prompt_encoder_mask_decoder.onnx'],
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
