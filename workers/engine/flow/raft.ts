/**
 * Forward optical flow of a clip with RAFT (DESIGN §3.6), as the official `sample_trajectories_new` computes it:
 * for each consecutive pair (frame t, frame t+1) at the edit size, torchvision's OpticalFlow transform (RGB to
 * [0, 1], then (x − 0.5) / 0.5 → [−1, 1]) and `raft_large(...)(img1, img2)[-1]`, the final refinement, in pixels
 * ([2, H, W]: channel 0 = x, 1 = y). The official code then divides by max(H, W); that step belongs to the
 * trajectory sampler (src/core/flow/trajectories.ts), which takes flows in pixels. The frames are already the
 * cropped frames at the edit size, so the official `F.resize(..., antialias=False)` to (H, W) is the identity.
 * One pair per run: RAFT's all-pairs correlation volume is O((H·W/64)²) per pair.
 */
import type { EditFlows } from '../../../src/core/protocol/edit';
import { AppError } from '../../../src/core/protocol/errors';
import type { HostTensor, OnnxModelSessions } from '../onnx-models/session';

/** RGBA bytes → [1, 3, H, W] in [−1, 1] (torchvision OpticalFlow: convert_image_dtype, normalize(0.5, 0.5)). */
export function raftInput(rgba: Uint8Array, width: number, height: number): Float32Array {
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) out[c * plane + p] = (rgba[p * 4 + c]! / 255 - 0.5) / 0.5;
  return out;
}

/** The final flow among a run's outputs: the last output (exports of `list_of_flows` list the iterations in order). */
function finalFlow(outputs: Record<string, HostTensor>, order: readonly string[], height: number, width: number) {
  const name = order[order.length - 1]!;
  const t = outputs[name];
  if (!t || !(t.data instanceof Float32Array))
    throw new AppError('FLOW_UNAVAILABLE', `The flow model returned no float output "${name}".`);
  const [n, c, h, w] = t.dims;
  if (t.dims.length !== 4 || n !== 1 || c !== 2 || h !== height || w !== width)
    throw new AppError(
      'FLOW_UNAVAILABLE',
      `The flow model's output "${name}" is [${t.dims.join(', ')}], not [1, 2, ${height}, ${width}]: it is not a RAFT export for this frame size.`,
    );
  return t.data;
}

/**
 * Flows between consecutive frames, [F − 1, 2, H, W] in pixels. `onPair` reports progress (pairs done, total).
 * Frames must be multiples of 8 in each side (RAFT's 1/8 feature grid); edit sizes are multiples of 64.
 */
export async function estimateFlows(
  frames: readonly Uint8Array[],
  width: number,
  height: number,
  model: OnnxModelSessions,
  options: { readonly signal?: AbortSignal; readonly onPair?: (done: number, total: number) => void } = {},
): Promise<EditFlows> {
  if (frames.length < 2) throw new AppError('FLOW_UNAVAILABLE', 'Optical flow needs at least two frames.');
  if (width % 8 !== 0 || height % 8 !== 0)
    throw new AppError('FLOW_UNAVAILABLE', `RAFT needs sides that are multiples of 8, not ${width}×${height}.`);
  const names = model.names('flow');
  const [first, second] = names.inputs as [string, string];
  const pairs = frames.length - 1;
  const plane = width * height;
  const data = new Float32Array(pairs * 2 * plane);
  let next = raftInput(frames[0]!, width, height);
  for (let t = 0; t < pairs; t++) {
    if (options.signal?.aborted) throw new AppError('CANCELLED', 'Optical flow cancelled.');
    const current = next;
    next = raftInput(frames[t + 1]!, width, height);
    const dims = [1, 3, height, width];
    const outputs = await model.run('flow', { [first]: { dims, data: current }, [second]: { dims, data: next } });
    data.set(finalFlow(outputs, names.outputs, height, width), t * 2 * plane);
    options.onPair?.(t + 1, pairs);
  }
  return { dims: [pairs, 2, height, width], data };
}
