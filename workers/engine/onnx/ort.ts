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

/** Where sessions run: the wasm CPU backend, or WebGPU on the engine's device (outputs stay on the GPU). */
export type ExecutionTarget = { readonly kind: 'cpu' } | { readonly kind: 'webgpu'; readonly device: GPUDevice };

export async function createSession(
  source: SessionSource,
  target: ExecutionTarget = { kind: 'cpu' },
): Promise<OrtSession> {
  configure();
  const externalData = source.external?.map((e) => ({ path: e.path, data: e.data }));
  return ort.InferenceSession.create(source.model, {
    graphOptimizationLevel: 'all',
    ...(externalData ? { externalData } : {}),
    ...(target.kind === 'cpu'
      ? { executionProviders: ['wasm'] }
      : { executionProviders: [{ name: 'webgpu', device: target.device }], preferredOutputLocation: 'gpu-buffer' }),
  });
}

export const createCpuSession = (source: SessionSource): Promise<OrtSession> => createSession(source);

/** Wraps a GPU buffer (float32, row-major) as an ORT input; `dispose` runs when the tensor is disposed. */
export function gpuFloat32Tensor(buffer: GPUBuffer, dims: readonly number[], dispose?: () => void): OrtTensor {
  return ort.Tensor.fromGpuBuffer(buffer, { dataType: 'float32', dims, ...(dispose ? { dispose } : {}) });
}

/** The GPU buffer behind a tensor, or undefined for a CPU tensor. */
export function tensorGpuBuffer(t: OrtTensor): GPUBuffer | undefined {
  return t.location === 'gpu-buffer' ? (t.gpuBuffer as GPUBuffer) : undefined;
}

/** A tensor's values on the CPU (downloads GPU tensors). */
export async function downloadTensor(t: OrtTensor): Promise<Float32Array | BigInt64Array> {
  const data = t.location === 'cpu' ? t.data : await t.getData();
  if (t.type === 'int64') return data as BigInt64Array;
  if (t.type !== 'float32') throw new Error(`expected a float32 tensor, got ${t.type}`);
  return data as Float32Array;
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
