/**
 * The SAM-family image segmenter on onnxruntime sessions (issue 18): the encoder turns a frame into its
 * embeddings (kept on the host, see ./embedding-cache.ts), the prompt encoder + mask decoder turns clicks and a
 * box into candidate masks with their predicted IoU. Pre/post-processing: src/core/segment/sam.ts. Two
 * signatures, told apart by the loaded model's kind:
 * - 'sam2' (SAM 2.1, onnx-community export): `pixel_values` squashed to the square input → `image_embeddings.{0,1,2}`;
 *   decoder `input_points` [1,1,n,2], `input_labels` [1,1,n] int64, `input_boxes` [1,b,4] (b = 0 for none) and
 *   the three embeddings → `iou_scores` [1,1,k], `pred_masks` [1,1,k,256,256]; logits resized to the frame.
 * - 'slimsam' (SAM v1 family, Xenova export): `pixel_values` longest side to the input, zero-padded →
 *   `image_embeddings` + `image_positional_embeddings`; the same decoder prompt names (a box as two corner
 *   points labelled 2 and 3 where the decoder has no `input_boxes`); logits cropped to the unpadded region.
 * Both are fed at the encoder's declared static input size (1024 in the exports; smaller in the tests' stand-ins).
 */
import type { SegmentBox, SegmentCandidate, SegmentPoint } from '../../../src/core/protocol/segment';
import {
  SAM_INPUT_SIZE,
  rankByScore,
  samMaskFromLogits,
  samPixelValues,
  samPrompt,
  samV1MaskFromLogits,
  samV1PixelValues,
  samV1Prompt,
} from '../../../src/core/segment/sam';
import type { HostTensor, OnnxModelSessions } from '../onnx-models/session';

export interface SamEmbedding {
  readonly tensors: Readonly<Record<string, HostTensor>>;
  readonly bytes: number;
}

export interface SamSegmenter {
  encode(rgba: Uint8Array, width: number, height: number): Promise<SamEmbedding>;
  decode(
    embedding: SamEmbedding,
    prompt: { points: readonly SegmentPoint[]; box?: SegmentBox | undefined; multimask: boolean },
    width: number,
    height: number,
  ): Promise<SegmentCandidate[]>;
}

/** Which pre/post-processing a segmenter kind needs (SAM 2.1 squashes; the SAM v1 family pads). */
export type SamFamily = 'sam2' | 'sam1';
export const samFamilyOf = (kind: string): SamFamily => (kind === 'slimsam' ? 'sam1' : 'sam2');

export function createSamSegmenter(sessions: OnnxModelSessions): SamSegmenter {
  const v1 = samFamilyOf(sessions.spec.kind) === 'sam1';
  const pixelValues = v1 ? samV1PixelValues : samPixelValues;
  const promptOf = v1 ? samV1Prompt : samPrompt;
  const encoderSpec = sessions.spec.files.find((f) => f.role === 'encoder')!;
  const pixelName = encoderSpec.inputs[0]!;
  const embeddingNames = encoderSpec.outputs;
  // The export's input is 1024² (static); a graph that declares another static size (the tests' small stand-ins)
  // is fed at its own size, prompts scaled to it.
  const declared = sessions.inputShape('encoder', pixelName)?.[2];
  const inputSize = typeof declared === 'number' && declared > 0 ? declared : SAM_INPUT_SIZE;
  return {
    async encode(rgba, width, height) {
      const pixels = pixelValues(rgba, width, height, inputSize);
      const out = await sessions.run('encoder', {
        [pixelName]: { dims: [1, 3, inputSize, inputSize], data: pixels },
      });
      const tensors: Record<string, HostTensor> = {};
      let bytes = 0;
      for (const name of embeddingNames) {
        const t = out[name];
        if (!t) throw new Error(`the encoder produced no ${name}`);
        tensors[name] = t;
        bytes += t.data.byteLength;
      }
      return { tensors, bytes };
    },
    async decode(embedding, prompt, width, height) {
      const p = promptOf(prompt.points, prompt.box, width, height, inputSize);
      const inputs = sessions.names('decoder').inputs;
      let { points, labels } = p;
      let count = p.count;
      const feeds: Record<string, HostTensor> = { ...embedding.tensors };
      if (inputs.includes('input_boxes')) {
        feeds.input_boxes = p.box ? { dims: [1, 1, 4], data: p.box } : { dims: [1, 0, 4], data: new Float32Array(0) };
      } else if (p.box) {
        // A decoder without a box input takes the box as two corner points labelled 2 and 3 (SAM's convention).
        points = Float32Array.from([...points, ...p.box]);
        labels = BigInt64Array.from([...labels, 2n, 3n]);
        count += 2;
      }
      feeds.input_points = { dims: [1, 1, count, 2], data: points };
      feeds.input_labels = { dims: [1, 1, count], data: labels };
      const out = await sessions.run('decoder', feeds);
      const scores = out.iou_scores?.data;
      const masks = out.pred_masks;
      if (!(scores instanceof Float32Array) || !masks || !(masks.data instanceof Float32Array))
        throw new Error('the decoder produced no iou_scores / pred_masks');
      const [k, mh, mw] = masks.dims.slice(-3) as [number, number, number];
      const order = rankByScore(scores.subarray(0, k));
      const picked = prompt.multimask ? order : order.slice(0, 1);
      const logits = masks.data;
      return picked.map((i) => ({
        mask: v1
          ? samV1MaskFromLogits(logits, i * mh * mw, mh, mw, width, height, inputSize)
          : samMaskFromLogits(logits, i * mh * mw, mh, mw, width, height),
        score: scores[i]!,
      }));
    },
  };
}
