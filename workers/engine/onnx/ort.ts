/**
 * The one module that imports onnxruntime-web (DESIGN §2).
 *  - Node (tests, CLI): `onnxruntime-web` resolves to its node build — the wasm CPU backend, single-threaded.
 *  - Browser (engine worker): `onnxruntime-web/webgpu`, the build whose WebGPU execution provider accepts the
 *    engine's own GPUDevice (`executionProviders: [{ name: 'webgpu', device }]`), so ORT's buffers and our WGSL
 *    kernels share one device; it also carries the wasm CPU backend.
 * The build is loaded on first use; tensors are created with the same build as the sessions that read them.
 */
import type * as Ort from 'onnxruntime-web';

export type OrtTensor = Ort.Tensor;
export type OrtSession = Ort.InferenceSession;
type OrtModule = typeof Ort;

const nodeProcess = (globalThis as { process?: { versions?: { node?: string } } }).process;
const IS_NODE = typeof nodeProcess?.versions?.node === 'string';

let loaded: OrtModule | undefined;
let loading: Promise<OrtModule> | undefined;

export function loadOrt(): Promise<OrtModule> {
  loading ??= (IS_NODE ? import('onnxruntime-web') : import('onnxruntime-web/webgpu')).then((m: OrtModule) => {
    // Node: no worker threads in tests/CLI; the browser worker keeps ORT's default.
    if (IS_NODE) m.env.wasm.numThreads = 1;
    loaded = m;
    return m;
  });
  return loading;
}

function ort(): OrtModule {
  if (!loaded) throw new Error('onnxruntime-web is not loaded yet: create a session (or await loadOrt()) first');
  return loaded;
}

export interface SessionSource {
  readonly model: Uint8Array;
  /** External data files the model's initializers point at (`externalData` session option). */
  readonly external?: readonly { readonly path: string; readonly data: Uint8Array }[];
}

/** Where sessions run: the wasm CPU backend, or WebGPU on the engine's device (outputs stay on the GPU). */
export type ExecutionTarget = { readonly kind: 'cpu' } | { readonly kind: 'webgpu'; readonly device: GPUDevice };

export interface SessionOptions {
  /** WebGPU: where outputs land ('gpu-buffer', the default, keeps them for the next network; 'cpu' downloads). */
  readonly outputLocation?: 'gpu-buffer' | 'cpu';
  /**
   * For graphs whose fp16 weights are widened by Casts at run time (../graph/fp16-weights.ts): ORT must not fold
   * those Casts back into fp32 initializers. Measured on ORT 1.30 wasm: at level 'all' they are folded even with
   * ConstantFolding named in `disable_specified_optimizers`; at 'basic' with it they are not. The CPU arena is
   * off so the widened copies go back to the heap after each run instead of staying in the session's arena.
   */
  readonly noConstantFolding?: boolean;
}

export async function createSession(
  source: SessionSource,
  target: ExecutionTarget = { kind: 'cpu' },
  options: SessionOptions = {},
): Promise<OrtSession> {
  const m = await loadOrt();
  if (target.kind === 'webgpu' && IS_NODE) throw new Error('WebGPU sessions run in the browser only');
  const externalData = source.external?.map((e) => ({ path: e.path, data: e.data }));
  return m.InferenceSession.create(source.model, {
    graphOptimizationLevel: options.noConstantFolding ? 'basic' : 'all',
    ...(options.noConstantFolding
      ? {
          extra: { optimization: { disable_specified_optimizers: 'ConstantFolding' } },
          enableCpuMemArena: false,
          enableMemPattern: false,
        }
      : {}),
    ...(externalData ? { externalData } : {}),
    ...(target.kind === 'cpu'
      ? { executionProviders: ['wasm'] }
      : {
          executionProviders: [
            {
              name: 'webgpu',
              device: target.device,
              // Cached buffers live on ORT's per-device context, past session release: release them every run.
              storageBufferCacheMode: 'lazyRelease',
              uniformBufferCacheMode: 'lazyRelease',
              defaultBufferCacheMode: 'lazyRelease',
            },
          ],
          preferredOutputLocation: options.outputLocation ?? 'gpu-buffer',
        }),
  });
}

export const createCpuSession = (source: SessionSource): Promise<OrtSession> => createSession(source);

export function float32Tensor(data: Float32Array, dims: readonly number[]): OrtTensor {
  return new (ort().Tensor)('float32', data, dims);
}

export function int64Tensor(data: BigInt64Array, dims: readonly number[]): OrtTensor {
  return new (ort().Tensor)('int64', data, dims);
}

/** Reads a CPU tensor's float32 values (throws for other element types). */
export function tensorFloat32(t: OrtTensor): Float32Array {
  if (t.type !== 'float32') throw new Error(`expected a float32 tensor, got ${t.type}`);
  return t.data as Float32Array;
}

/** Wraps a GPU buffer (float32, row-major) as an ORT input; `dispose` runs when the tensor is disposed. */
export function gpuFloat32Tensor(buffer: GPUBuffer, dims: readonly number[], dispose?: () => void): OrtTensor {
  return ort().Tensor.fromGpuBuffer(buffer, { dataType: 'float32', dims, ...(dispose ? { dispose } : {}) });
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
