/**
 * Counting and timing the networks of one edit: `unetCalls` of the result, and the ETA of progress events.
 *
 * The ETA comes from measured UNet calls (each with the ControlNet call before it): time per batch item,
 * ms / (B items), since a call's cost grows with its batch (inversion runs F items, CFG denoising 2F), and the
 * median over the calls so far. The first call of each batch size compiles the network and is left out, so the
 * ETA is null ("measuring…") until a call ran on compiled networks, instead of a compile-sized number that then
 * drops by 10× (issue 14, item 6). The work left is the remaining calls' batch items; decode adds about one
 * inversion call's worth (a guess until timed).
 *
 * Every wrapped network call first checks the edit's abort signal, so Cancel acts at the next network call
 * boundary: the longest wait is one call (the pipeline itself checks once per step, up to four calls).
 */
import type { Components } from '../pipeline/components';
import { throwIfCancelled } from '../pipeline/invert';

export interface InstrumentedComponents {
  readonly components: Components;
  unetCalls(): number;
  /** Measured ms per UNet batch item (ControlNet included); null until a call ran on compiled networks. */
  msPerItem(): number | null;
}

export function instrumentComponents(
  inner: Components,
  now: () => number,
  signal?: AbortSignal,
): InstrumentedComponents {
  let calls = 0;
  const perItem: number[] = [];
  /** Batch sizes already seen: the first call of each compiles (or recompiles) the network. */
  const seen = new Set<number>();
  let controlMs = 0;
  // Cancel acts at the next network call (not only at the next step, which runs up to four calls).
  const check = () => throwIfCancelled(signal);
  const components: Components = {
    runtime: inner.runtime,
    textChannels: inner.textChannels,
    scalingFactor: inner.scalingFactor,
    encodeText: (ids) => (check(), inner.encodeText(ids)),
    async unet(call) {
      check();
      calls++;
      const start = now();
      const out = await inner.unet(call);
      const items = call.sample.dims[0]!;
      const ms = (now() - start + controlMs) / items;
      // A first call of its batch size includes compiling: not an estimate of the calls to come.
      if (seen.has(items)) perItem.push(ms);
      else seen.add(items);
      controlMs = 0;
      return out;
    },
    vaeEncode: (images) => (check(), inner.vaeEncode(images)),
    vaeDecode: (latents) => (check(), inner.vaeDecode(latents)),
    ...(inner.focus ? { focus: inner.focus.bind(inner) } : {}),
    release: () => inner.release(),
  };
  const controlnet = inner.controlnet?.bind(inner);
  if (controlnet)
    components.controlnet = async (call) => {
      check();
      const start = now();
      const out = await controlnet(call);
      controlMs += now() - start;
      return out;
    };
  return { components, unetCalls: () => calls, msPerItem: () => median(perItem) };
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface EtaPlan {
  readonly frames: number;
  /** UNet calls of the inversion still to come (0 when a cached inversion is reused). */
  readonly inversionCalls: number;
  readonly denoiseCalls: number;
  /** CFG halves of a denoising call (2, or 1 at guidance 1). */
  readonly halves: number;
}

/** Seconds left, given how many inversion and denoising calls are done; null before any call was timed. */
export function etaSeconds(
  plan: EtaPlan,
  msPerItem: number | null,
  invertDone: number,
  denoiseDone: number,
): number | null {
  if (msPerItem === null) return null;
  const items =
    Math.max(0, plan.inversionCalls - invertDone) * plan.frames +
    Math.max(0, plan.denoiseCalls - denoiseDone) * plan.frames * plan.halves +
    plan.frames; // decode
  return (items * msPerItem) / 1000;
}
