/**
 * How an edit's bulk data crosses between the CLI driver (Node) and the headless page: one raw file each way
 * through the session's file exchange, described by a small JSON job (DOM-free: both sides import it).
 *
 * Input file:  frames (F · W·H·4 RGBA bytes), then each region's masks (R · F · W·H bytes, region-major),
 *              then the condition frames (F · W·H·4) when the request has them, then the FLATTEN flow
 *              (little-endian float32, `flowDims` [F−1, 2, H, W]) when the request has one.
 * Output file: edited frames (F · W·H·4), then, when latents were asked for, z0, xT, final as little-endian
 *              float32, each F · 4 · H/8 · W/8 values.
 */
import type { EditRequest, EditResultData } from '../core/protocol/edit';
import type { SerializedError } from '../core/protocol/errors';

/** The request without its bulk arrays (they travel in the input file). */
export interface EditJobRequest extends Omit<
  EditRequest,
  'frames' | 'regions' | 'conditionFrames' | 'returnLatents' | 'flows'
> {
  readonly frameCount: number;
  readonly regions: readonly { readonly name: string; readonly prompt: string }[];
  readonly hasConditionFrames: boolean;
  /** Ask the engine for z0, xT and the final latents (EditRequest.returnLatents). */
  readonly returnLatents: boolean;
  /** EditRequest.flows' dims when the input file carries the flow. */
  readonly flowDims?: readonly [number, number, number, number];
}

export interface EditJob {
  readonly inputUrl: string;
  readonly outputUrl: string;
  readonly request: EditJobRequest;
}

export type EditJobOutcome =
  | {
      readonly ok: true;
      readonly result: Omit<EditResultData, 'frames' | 'attentionMaps' | 'latents'>;
      /** Whether the output file carries latents after the frames. */
      readonly latents: boolean;
    }
  /** The engine's error as the protocol serializes it (deserializeError on the driver keeps its code). */
  | { readonly ok: false; readonly error: SerializedError };

export const LATENT_NAMES = ['z0', 'xT', 'final'] as const;
export type LatentName = (typeof LATENT_NAMES)[number];

const frameBytes = (r: { width: number; height: number }) => r.width * r.height * 4;

export function latentLength(r: { width: number; height: number; frameCount: number }): number {
  return r.frameCount * 4 * (r.height / 8) * (r.width / 8);
}

export function packEditInput(
  request: EditRequest,
  returnLatents: boolean,
): { job: EditJobRequest; bytes: Uint8Array } {
  const { frames, regions, conditionFrames, flows, returnLatents: _asked, ...rest } = request;
  const F = frames.length;
  const plane = request.width * request.height;
  const total =
    F * frameBytes(request) +
    regions.length * F * plane +
    (conditionFrames ? F * frameBytes(request) : 0) +
    (flows ? flows.data.byteLength : 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  const put = (chunk: Uint8Array, expected: number, what: string) => {
    if (chunk.length !== expected) throw new Error(`${what} has ${chunk.length} bytes, expected ${expected}`);
    bytes.set(chunk, at);
    at += chunk.length;
  };
  frames.forEach((f, i) => put(f, frameBytes(request), `frame ${i}`));
  regions.forEach((r) => {
    if (r.masks.length !== F) throw new Error(`region ${r.name} has ${r.masks.length} masks for ${F} frames`);
    r.masks.forEach((m, i) => put(m, plane, `region ${r.name} mask ${i}`));
  });
  conditionFrames?.forEach((f, i) => put(f, frameBytes(request), `condition frame ${i}`));
  // Float32Array bytes are little-endian on every platform the app runs on (as the output's latents).
  if (flows)
    put(new Uint8Array(flows.data.buffer, flows.data.byteOffset, flows.data.byteLength), flows.data.byteLength, 'flow');
  const job: EditJobRequest = {
    ...rest,
    frameCount: F,
    regions: regions.map((r) => ({ name: r.name, prompt: r.prompt })),
    hasConditionFrames: conditionFrames !== undefined,
    returnLatents,
    ...(flows ? { flowDims: flows.dims } : {}),
  };
  return { job, bytes };
}

export function unpackEditInput(job: EditJobRequest, bytes: Uint8Array): EditRequest {
  const F = job.frameCount;
  const plane = job.width * job.height;
  let at = 0;
  const take = (n: number) => {
    if (at + n > bytes.length) throw new Error(`edit input is ${bytes.length} bytes, too short`);
    const chunk = bytes.slice(at, at + n);
    at += n;
    return chunk;
  };
  const frames = Array.from({ length: F }, () => take(frameBytes(job)));
  const regions = job.regions.map((r) => ({ ...r, masks: Array.from({ length: F }, () => take(plane)) }));
  const conditionFrames = job.hasConditionFrames ? Array.from({ length: F }, () => take(frameBytes(job))) : undefined;
  const flowDims = job.flowDims;
  const flows = flowDims
    ? { dims: flowDims, data: new Float32Array(take(flowDims.reduce((a, b) => a * b, 4)).buffer) }
    : undefined;
  if (at !== bytes.length) throw new Error(`edit input has ${bytes.length - at} stray bytes`);
  const { frameCount: _f, regions: _r, hasConditionFrames: _h, returnLatents, flowDims: _d, ...settings } = job;
  return {
    ...settings,
    frames,
    regions,
    ...(conditionFrames ? { conditionFrames } : {}),
    ...(flows ? { flows } : {}),
    ...(returnLatents ? { returnLatents } : {}),
  };
}

export function packEditOutput(
  frames: readonly Uint8ClampedArray[],
  latents: Readonly<Record<LatentName, Float32Array>> | undefined,
): Uint8Array {
  const frameTotal = frames.reduce((n, f) => n + f.length, 0);
  const latentTotal = latents ? LATENT_NAMES.reduce((n, k) => n + latents[k].byteLength, 0) : 0;
  const out = new Uint8Array(frameTotal + latentTotal);
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  if (latents)
    for (const k of LATENT_NAMES) {
      const v = latents[k];
      out.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), at);
      at += v.byteLength;
    }
  return out;
}

export function unpackEditOutput(
  job: EditJobRequest,
  bytes: Uint8Array,
  withLatents: boolean,
): { frames: Uint8ClampedArray[]; latents?: Record<LatentName, Float32Array> } {
  const fb = frameBytes(job);
  const lat = latentLength(job) * 4;
  const expected = job.frameCount * fb + (withLatents ? 3 * lat : 0);
  if (bytes.length !== expected) throw new Error(`edit output is ${bytes.length} bytes, expected ${expected}`);
  const frames = Array.from(
    { length: job.frameCount },
    (_, f) => new Uint8ClampedArray(bytes.slice(f * fb, (f + 1) * fb)),
  );
  if (!withLatents) return { frames };
  const base = job.frameCount * fb;
  const latents = Object.fromEntries(
    LATENT_NAMES.map((k, i) => [k, new Float32Array(bytes.slice(base + i * lat, base + (i + 1) * lat).buffer)]),
  ) as Record<LatentName, Float32Array>;
  return { frames, latents };
}
