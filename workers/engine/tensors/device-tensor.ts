/**
 * The tensors the edit pipeline passes between networks and step kernels (DESIGN §4, §6): float32, row-major,
 * either on the CPU (the Node backend) or in a GPU buffer of the engine's one device (WebGPU), following
 * transformers.js, which keeps named outputs where the last network left them.
 *
 * A tensor has one owner. Whoever receives a tensor from a network, an op or `upload` disposes it once it is
 * no longer needed; `dispose()` is idempotent. Inputs passed to a network or an op are never taken over.
 */

export interface CpuTensor {
  readonly location: 'cpu';
  readonly dims: readonly number[];
  readonly data: Float32Array;
  dispose(): void;
}

export interface GpuTensor {
  readonly location: 'gpu-buffer';
  readonly dims: readonly number[];
  /** At least `elementCount(dims) · 4` bytes; the values start at byte 0. */
  readonly buffer: GPUBuffer;
  dispose(): void;
}

export type DeviceTensor = CpuTensor | GpuTensor;

export const elementCount = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/** Throws unless both tensors have the same dims (`what` names the op). */
export function assertSameDims(a: DeviceTensor, b: DeviceTensor, what: string): void {
  if (a.dims.length !== b.dims.length || a.dims.some((d, i) => d !== b.dims[i]))
    throw new RangeError(`${what}: [${a.dims.join(', ')}] and [${b.dims.join(', ')}] differ`);
}

export function cpuTensor(data: Float32Array, dims: readonly number[]): CpuTensor {
  if (data.length !== elementCount(dims))
    throw new RangeError(`a [${dims.join(', ')}] tensor holds ${elementCount(dims)} values, got ${data.length}`);
  return { location: 'cpu', dims: [...dims], data, dispose: () => undefined };
}

/** Wraps a GPU buffer; `release` (once) runs on the first dispose. */
export function gpuTensor(buffer: GPUBuffer, dims: readonly number[], release: () => void): GpuTensor {
  if (buffer.size < elementCount(dims) * 4)
    throw new RangeError(`a ${buffer.size}-byte buffer cannot hold a [${dims.join(', ')}] float32 tensor`);
  let live = true;
  return {
    location: 'gpu-buffer',
    dims: [...dims],
    buffer,
    dispose() {
      if (!live) return;
      live = false;
      release();
    },
  };
}

/** Bytes moved between the CPU and the device, per pipeline stage (DESIGN §6: readback only for previews). */
export interface TransferCounts {
  readonly uploadBytes: number;
  readonly readbackBytes: number;
}

export class TransferCounter {
  private readonly byStage = new Map<string, { uploadBytes: number; readbackBytes: number }>();
  private current = 'other';

  /** Transfers from now on count under `stage` (the pipeline's stage names: text, encode, invert, denoise, …). */
  setStage(stage: string): void {
    this.current = stage;
  }

  get stage(): string {
    return this.current;
  }

  countUpload(bytes: number): void {
    this.entry().uploadBytes += bytes;
  }

  countReadback(bytes: number): void {
    this.entry().readbackBytes += bytes;
  }

  stages(): Readonly<Record<string, TransferCounts>> {
    return Object.fromEntries([...this.byStage].map(([k, v]) => [k, { ...v }]));
  }

  reset(): void {
    this.byStage.clear();
  }

  private entry() {
    let e = this.byStage.get(this.current);
    if (!e) this.byStage.set(this.current, (e = { uploadBytes: 0, readbackBytes: 0 }));
    return e;
  }
}
