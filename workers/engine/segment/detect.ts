/**
 * Which segmenter a model folder holds (issue 18; the CLI's `segment --model <dir>`). SAM 2.1 and SlimSAM exports
 * use the same file names (onnx/vision_encoder.onnx + onnx/prompt_encoder_mask_decoder.onnx), so the encoder's
 * output names tell them apart: `image_embeddings.0/1/2` (SAM 2.1) or `image_embeddings` +
 * `image_positional_embeddings` (SAM v1 family). The encoder is opened once on the CPU backend to read them.
 */
import { ONNX_MODELS } from '../../../src/core/models/onnx-models';
import { resolveModelFiles } from '../../../src/core/models/resolve';
import type { ModelSource } from '../../../src/core/models/source';
import { createSession } from '../onnx/ort';
import { SEGMENTER_KINDS, type SegmenterKind } from './service';

/** The segmenter kind whose encoder outputs the folder's encoder has, or undefined when neither fits. */
export async function detectSegmenterKind(source: ModelSource): Promise<SegmenterKind | undefined> {
  // Both kinds resolve the same candidate paths: resolving as the default kind finds the encoder of either.
  const files = await resolveModelFiles(source, 'sam2');
  const encoder = files.find((f) => f.role === 'encoder');
  if (!encoder) return undefined;
  const session = await createSession({ model: await source.read(encoder.path) }, { kind: 'cpu' });
  try {
    const outputs = session.outputNames;
    return SEGMENTER_KINDS.find((kind) => {
      const spec = ONNX_MODELS[kind].files.find((f) => f.role === 'encoder')!;
      return spec.outputs.every((n) => outputs.includes(n));
    });
  } finally {
    await session.release();
  }
}
