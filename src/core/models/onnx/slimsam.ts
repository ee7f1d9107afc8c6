/**
 * SlimSAM-77 (uniform) as an ONNX export: the lighter segmenter preset for small GPUs (issue 18). SlimSAM is SAM
 * ViT-B pruned to about 5.7 M encoder parameters (Chen et al., "0.1% Data Makes Segment Anything Slim", 2023); it
 * keeps SAM v1's signature, so it runs with SAM v1 pre/post-processing (src/core/segment/sam.ts, `samV1*`).
 *
 * Checked against huggingface/transformers.js (the code that runs this export):
 * - models/sam/modeling_sam.js `SamModel`: sessions `vision_encoder` and `prompt_encoder_mask_decoder` (the
 *   MaskGeneration entry of the model registry, files `onnx/<session>.onnx`); encoder `pixel_values`
 *   [b, 3, 1024, 1024] → `image_embeddings` [b, 256, 64, 64] and `image_positional_embeddings` [b, 256, 64, 64];
 *   decoder `input_points` [b, p, n, 2] float, `input_labels` [b, p, n] int64, `image_embeddings`,
 *   `image_positional_embeddings` (and `input_boxes` [b, k, 4] only where the export has it: the repo's main
 *   branch decoder has no box input, so a box goes in as two corner points labelled 2 and 3, as SAM does) →
 *   `iou_scores` [b, p, 3], `pred_masks` [b, p, 3, 256, 256].
 * - models/sam/image_processing_sam.js `SamImageProcessor` and base/image_processors_utils.js: resize so the
 *   LONGEST side is 1024 keeping the aspect (floor of the scaled size), rescale 1/255, ImageNet mean/std, then
 *   pad bottom/right with zeros (after normalising) to 1024²; `reshape_input_points` scales x by
 *   resizedWidth / width and y by resizedHeight / height; `post_process_masks` upsamples the 256² logits to the
 *   padded 1024², crops the resized (unpadded) region, resizes it to the frame (bilinear both times) and
 *   thresholds at 0.
 * Files: Xenova/slimsam-77-uniform `onnx/vision_encoder.onnx` (23.3 MB) + `onnx/prompt_encoder_mask_decoder.onnx`
 * (16.6 MB) as the Hub lists them, about 40 MB fp32 (Xenova/slimsam-50-uniform has the same names, 96.2 MB
 * encoder). Licence: Apache-2.0 (the SlimSAM weights, Zigeng/SlimSAM-uniform-77 and nielsr/slimsam-77-uniform
 * model cards; SAM itself is Apache-2.0).
 */
import type { OnnxModelSpec } from './spec';

export const SLIMSAM: OnnxModelSpec<'slimsam'> = {
  kind: 'slimsam',
  label: 'SlimSAM-77 (light, small GPUs)',
  purpose: 'segment',
  backend: 'webgpu',
  files: [
    {
      role: 'encoder',
      candidates: ['onnx/vision_encoder.onnx', 'vision_encoder.onnx'],
      inputs: ['pixel_values'],
      outputs: ['image_embeddings', 'image_positional_embeddings'],
    },
    {
      role: 'decoder',
      candidates: ['onnx/prompt_encoder_mask_decoder.onnx', 'prompt_encoder_mask_decoder.onnx'],
      inputs: ['input_points', 'input_labels', 'image_embeddings', 'image_positional_embeddings'],
      outputs: ['iou_scores', 'pred_masks'],
    },
  ],
  preset: {
    repo: 'Xenova/slimsam-77-uniform',
    license: 'Apache-2.0',
    bytes: 39_900_000,
    homepage: 'https://huggingface.co/Xenova/slimsam-77-uniform',
  },
};
