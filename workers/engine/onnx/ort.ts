/**
 * The one module that imports onnxruntime-web (DESIGN §2). In Node, `onnxruntime-web` resolves to its node
 * build (wasm CPU backend); in the worker, to the browser build.
 */
import * as ort from 'onnxruntime-web';

export type OrtTensor = ort.Tensor;
export type OrtSession = ort.InferenceSession;

let configured = false;

function configure(): void {
  if (configured) return;
  configured = true;
  const nodeProcess = (globalThis as { process?: { versions?: { node?: string } } }).process;
  const isNode = typeof nodeProcess?.versions?.node === 'string';
  // Node: single-threaded wasm (no worker threads in tests/CLI); the browser worker keeps ORT's default.
  if (isNode) ort.env.wasm.numThreads = 1;
}

export interface SessionSource {
  readonly model: Uint8Array;
  /** External data files the model's initializers point at (`externalData` session option). */
  readonly external?: readonly { readonly path: string; readonly data: Uint8Array }[];
}

export async function createCpuSession(source: SessionSource): Promise<OrtSession> {
  configure();
  return ort.InferenceSession.create(source.model, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
    ...(source.external ? { externalData: source.external.map((e) => ({ path: e.path, data: e.data })) } : {}),
  });
}

export function float32Tensor(data: Float32Array, dims: readonly number[]): OrtTensor {
  return new ort.Tensor('float32', data, dims);
}

export function int64Tensor(data: BigInt64Array, dims: readonly number[]): OrtTensor {
  return new ort.Tensor('int64', data, dims);
}

/** Reads a CPU tensor's float32 values (throws for other element types). */
export function tensorFloat32(t: OrtTensor): Float32Array {
  if (t.type !== 'float32') throw new Error(`expected a float32 tensor, got ${t.type}`);
  return t.data as Float32Array;
}
