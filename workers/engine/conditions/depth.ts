/**
 * Runs the depth estimators on frames (DESIGN §3.7): MiDaS DPT-Hybrid for 'depth', ZoeDepth for 'depth_zoe',
 * each an ONNX export (src/core/models/onnx/midas.ts, zoe.ts) opened by the condition registry. The pre- and
 * post-processing are the annotators' (src/core/conditions/depth.ts, which cites them); this file only feeds
 * the network one frame at a time (batch 1, as the annotators) and assembles the ControlNet condition
 * [F, 3, H, W] in [0, 1] (the 8-bit map / 255 on the three channels, as the official `control/` PNGs read back).
 */
import {
  flipX,
  mapToRgba,
  midasInput,
  midasToUint8,
  rgbaToPlanar,
  zoeInput,
  zoeOutput,
  zoeToUint8,
} from '../../../src/core/conditions/depth';
import { AppError } from '../../../src/core/protocol/errors';
import type { HostTensor, OnnxModelSessions } from '../onnx-models/session';

export type DepthKind = 'depth' | 'depth_zoe';

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new AppError('CANCELLED', 'The condition estimate was cancelled.');
}

/** Runs the graph on [1, 3, h, w]; returns the depth map [h', w'] (the output's last two axes). */
async function runDepth(
  model: OnnxModelSessions,
  data: Float32Array,
  h: number,
  w: number,
): Promise<{ depth: Float32Array; h: number; w: number }> {
  const names = model.names('depth');
  const input = names.inputs[0] ?? 'pixel_values';
  const out = await model.run('depth', { [input]: { dims: [1, 3, h, w], data } });
  const wanted = model.spec.files[0]?.outputs[0] ?? 'predicted_depth';
  const t: HostTensor | undefined = out[wanted] ?? Object.values(out)[0];
  if (!t || !(t.data instanceof Float32Array) || t.dims.length < 2)
    throw new AppError('MODEL_ARCHITECTURE', `The depth model returned no float depth map (${wanted}).`);
  const oh = t.dims[t.dims.length - 2]!;
  const ow = t.dims[t.dims.length - 1]!;
  if (t.data.length !== oh * ow)
    throw new AppError('MODEL_ARCHITECTURE', `The depth model returned ${t.dims.join('×')}; expected one [h, w] map.`);
  return { depth: t.data, h: oh, w: ow };
}

/** One frame's 8-bit depth map as RGBA at the frame size. */
export async function depthMapRgba(
  kind: DepthKind,
  rgba: Uint8Array,
  width: number,
  height: number,
  model: OnnxModelSessions,
): Promise<Uint8Array> {
  if (kind === 'depth') {
    const { data, size } = midasInput(rgba, width, height);
    const out = await runDepth(model, data, size.height, size.width);
    return mapToRgba(midasToUint8(out.depth), out.h, out.w, width, height);
  }
  const rgb = rgbaToPlanar(rgba, width, height, (v) => v / 255);
  const once = async (x: Float32Array) => {
    const input = zoeInput(x, height, width);
    const out = await runDepth(model, input.data, input.size.height, input.size.width);
    return zoeOutput(out.depth, out.h, out.w, input.padded, input.pad);
  };
  const plain = await once(rgb);
  const flipped = flipX(await once(flipX(rgb, 3, height, width)), 1, height, width);
  const mean = new Float32Array(plain.length);
  for (let i = 0; i < mean.length; i++) mean[i] = 0.5 * (plain[i]! + flipped[i]!);
  return mapToRgba(zoeToUint8(mean), height, width, width, height);
}

/** The depth condition of frames: RGBA maps per frame (for previews and PNGs). */
export async function estimateDepthMaps(
  kind: DepthKind,
  frames: readonly Uint8Array[],
  width: number,
  height: number,
  model: OnnxModelSessions,
  signal?: AbortSignal,
): Promise<Uint8Array[]> {
  const maps: Uint8Array[] = [];
  for (const frame of frames) {
    throwIfAborted(signal);
    maps.push(await depthMapRgba(kind, frame, width, height, model));
  }
  throwIfAborted(signal);
  return maps;
}
