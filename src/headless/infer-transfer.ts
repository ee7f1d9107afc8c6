/**
 * How `videograin infer --backend webgpu` moves tensors between the CLI driver (Node) and the headless page:
 * one safetensors file each way (F32, and I64 for `input_ids`) through the session's file exchange, plus a
 * small JSON job. DOM-free: both sides import it.
 */
import type { InferComponent, InferTensor } from '../core/protocol/engine';
import type { SerializedError } from '../core/protocol/errors';
import { parseSafetensors, writeSafetensors, type TensorToWrite } from '../core/tensors/safetensors';

export interface InferJob {
  /** The inputs as safetensors (packInferTensors). */
  readonly inputUrl: string;
  /** Where the page POSTs the outputs as safetensors. */
  readonly outputUrl: string;
  readonly component: InferComponent;
  readonly frames?: number;
  readonly taps?: boolean;
}

export type InferJobOutcome =
  { readonly ok: true; readonly outputs: readonly string[] } | { readonly ok: false; readonly error: SerializedError };

export function packInferTensors(tensors: Readonly<Record<string, InferTensor>>): Uint8Array {
  const out: Record<string, TensorToWrite> = {};
  for (const [name, t] of Object.entries(tensors))
    out[name] = { dtype: t.data instanceof BigInt64Array ? 'I64' : 'F32', shape: t.dims, data: t.data };
  return writeSafetensors(out);
}

/** The tensors of a packInferTensors file: F32 as Float32Array, I64 as BigInt64Array (copies, aligned). */
export function unpackInferTensors(bytes: Uint8Array): Record<string, InferTensor> {
  const header = parseSafetensors(bytes);
  const out: Record<string, InferTensor> = {};
  for (const info of header.tensors.values()) {
    const copy = bytes.slice(info.begin, info.end).buffer;
    if (info.dtype === 'F32') out[info.name] = { dims: info.shape, data: new Float32Array(copy) };
    else if (info.dtype === 'I64') out[info.name] = { dims: info.shape, data: new BigInt64Array(copy) };
    else throw new Error(`tensor "${info.name}" is ${info.dtype}; the transfer carries F32 and I64 only`);
  }
  return out;
}
