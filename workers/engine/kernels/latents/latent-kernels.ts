/**
 * Host wrapper of the element-wise latent kernels (cfg, ddim-step, blend, scale, preview .wgsl; formulas in
 * their headers, CPU oracles in workers/engine/tensors/cpu-ops.ts). Receives the engine's GPUDevice (never
 * requests one). Inputs are float32 GPU buffers bound from byte 0 (they may be larger than the values, as ORT's
 * outputs can be); every call allocates its outputs (owned by the caller) and a uniform buffer that it destroys
 * once submitted. One pipeline per kernel variant, built on first use and reused until `release()`.
 */
import type { StepCoefficients } from '../../scheduler/step';
import { elementGrid } from './grid';
import {
  latentShaderSource,
  packParams,
  paramsBytes,
  WORKGROUP_SIZE,
  type KernelFlags,
  type KernelParams,
  type LatentKernel,
} from './shader';

export interface LatentKernelOptions {
  /** Fewer workgroups per grid dimension than the device allows (tests use it to exercise the 2-D grid). */
  readonly maxWorkgroupsPerDimension?: number;
}

/** A buffer the kernel reads: `bytes` from offset 0 are bound. */
interface Input {
  readonly read: GPUBuffer;
  readonly bytes: number;
}
/** An output the call allocates. */
interface Output {
  readonly write: string;
  readonly bytes: number;
}
type Binding = Input | Output;

interface Pipeline {
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

const OUTPUT_USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

const f32Bytes = (count: number): number => count * 4;

export class LatentKernels {
  readonly maxWorkgroupsPerDimension: number;
  private readonly pipelines = new Map<string, Pipeline>();
  private released = false;

  constructor(
    private readonly device: GPUDevice,
    options: LatentKernelOptions = {},
  ) {
    const deviceMax = device.limits.maxComputeWorkgroupsPerDimension;
    this.maxWorkgroupsPerDimension = Math.min(deviceMax, options.maxWorkgroupsPerDimension ?? deviceMax);
  }

  /** ε = u + s·(c − u) over `count` values. */
  cfg(uncond: GPUBuffer, cond: GPUBuffer, count: number, scale: number): GPUBuffer {
    if (!Number.isFinite(scale)) throw new RangeError(`guidance scale must be finite, got ${scale}`);
    const bytes = f32Bytes(count);
    const [out] = this.dispatch('cfg', {}, { count, scale }, [
      { read: uncond, bytes },
      { read: cond, bytes },
      { write: 'cfg out', bytes },
    ]);
    return out!;
  }

  /** One DDIM update; x̂0 only when asked for. */
  ddimStep(
    c: StepCoefficients,
    eps: GPUBuffer,
    x: GPUBuffer,
    count: number,
    withX0: boolean,
  ): { prev: GPUBuffer; x0?: GPUBuffer } {
    const bytes = f32Bytes(count);
    const bindings: Binding[] = [
      { read: eps, bytes },
      { read: x, bytes },
      { write: 'ddim prev', bytes },
    ];
    if (withX0) bindings.push({ write: 'ddim x0', bytes });
    const [prev, x0] = this.dispatch('ddimStep', { WITH_X0: withX0 }, { count, ...c }, bindings);
    return { prev: prev!, ...(x0 ? { x0 } : {}) };
  }

  /** x·M + bg·(1 − M) with bg = z0, or √ᾱ·z0 + √(1 − ᾱ)·noise when `noise` is given; M [frames, plane]. */
  blend(
    x: GPUBuffer,
    mask: GPUBuffer,
    z0: GPUBuffer,
    layout: { readonly frames: number; readonly channels: number; readonly plane: number },
    noise?: { readonly buffer: GPUBuffer; readonly sqrtAlpha: number; readonly sqrtOneMinusAlpha: number },
  ): GPUBuffer {
    const count = layout.frames * layout.channels * layout.plane;
    const bytes = f32Bytes(count);
    const bindings: Binding[] = [
      { read: x, bytes },
      { read: mask, bytes: f32Bytes(layout.frames * layout.plane) },
      { read: z0, bytes },
      { write: 'blend out', bytes },
    ];
    if (noise) bindings.push({ read: noise.buffer, bytes });
    const params = {
      count,
      plane: layout.plane,
      channels: layout.channels,
      sqrtAlpha: noise?.sqrtAlpha ?? 1,
      sqrtOneMinusAlpha: noise?.sqrtOneMinusAlpha ?? 0,
    };
    const [out] = this.dispatch('blend', { FRESH_NOISE: !!noise }, params, bindings);
    return out!;
  }

  /** x · s. */
  scale(x: GPUBuffer, count: number, s: number): GPUBuffer {
    const bytes = f32Bytes(count);
    const [out] = this.dispatch('scale', { POSTERIOR: false }, { count, scale: s }, [
      { read: x, bytes },
      { write: 'scale out', bytes },
    ]);
    return out!;
  }

  /** (mean + std·eps) · s. */
  posteriorSample(mean: GPUBuffer, std: GPUBuffer, eps: GPUBuffer, count: number, s: number): GPUBuffer {
    const bytes = f32Bytes(count);
    const [out] = this.dispatch('scale', { POSTERIOR: true }, { count, scale: s }, [
      { read: mean, bytes },
      { write: 'posterior out', bytes },
      { read: std, bytes },
      { read: eps, bytes },
    ]);
    return out!;
  }

  /**
   * Frame `frame` of a [frames, 4, h, w] latent as packed RGBA (h·w·4 bytes, byte order r, g, b, a), ready to
   * copy out: the only bytes a preview needs to read back.
   */
  preview(latents: GPUBuffer, frames: number, plane: number, frame: number): GPUBuffer {
    if (!Number.isInteger(frame) || frame < 0 || frame >= frames)
      throw new RangeError(`preview frame ${frame} is outside a ${frames}-frame latent`);
    const [out] = this.dispatch('preview', {}, { count: plane, base: frame * 4 * plane }, [
      { read: latents, bytes: f32Bytes(frames * 4 * plane) },
      { write: 'preview rgba', bytes: plane * 4 },
    ]);
    return out!;
  }

  /** Drops the pipelines; later calls throw. */
  release(): void {
    this.released = true;
    this.pipelines.clear();
  }

  /** Validates, allocates the outputs, records one dispatch, submits; returns the outputs in binding order. */
  private dispatch<K extends LatentKernel>(
    kernel: K,
    flags: KernelFlags<K>,
    params: Omit<KernelParams<K>, 'gridX'>,
    bindings: readonly Binding[],
  ): GPUBuffer[] {
    if (this.released) throw new Error(`latent kernel ${kernel}: the tensor runtime was released`);
    const maxBinding = this.device.limits.maxStorageBufferBindingSize;
    for (const b of bindings) {
      if ('read' in b && b.read.size < b.bytes)
        throw new RangeError(`latent kernel ${kernel}: a ${b.read.size}-byte input cannot hold ${b.bytes} bytes`);
      if (b.bytes > maxBinding)
        throw new RangeError(
          `a ${b.bytes}-byte latent exceeds this GPU's storage binding limit (${maxBinding} bytes). Use fewer frames or a smaller size.`,
        );
    }
    const count = params.count;
    const grid = elementGrid(count, WORKGROUP_SIZE, this.maxWorkgroupsPerDimension);
    const { pipeline, layout } = this.pipeline(kernel, flags, bindings);

    const outputs: GPUBuffer[] = [];
    const buffers = bindings.map((b) => {
      if ('read' in b) return b.read;
      // At least 4 bytes: a zero-size buffer cannot be bound or copied (empty tensors skip the dispatch).
      const out = this.device.createBuffer({ label: b.write, size: Math.max(4, b.bytes), usage: OUTPUT_USAGE });
      outputs.push(out);
      return out;
    });
    if (count === 0) return outputs;

    const uniform = this.device.createBuffer({
      label: `${kernel} params`,
      size: paramsBytes(kernel),
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    try {
      const values = { ...params, gridX: grid.gridX } as KernelParams<K>;
      this.device.queue.writeBuffer(uniform, 0, packParams(kernel, values));
      const bindGroup = this.device.createBindGroup({
        label: kernel,
        layout,
        entries: [
          { binding: 0, resource: { buffer: uniform } },
          ...buffers.map((buffer, i) => ({
            binding: i + 1,
            resource: { buffer, offset: 0, size: bindings[i]!.bytes },
          })),
        ],
      });
      const encoder = this.device.createCommandEncoder({ label: kernel });
      const pass = encoder.beginComputePass({ label: kernel });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(grid.gridX, grid.gridY);
      pass.end();
      this.device.queue.submit([encoder.finish()]);
    } finally {
      // Destroying after submit is allowed: the queued work keeps the buffer alive until it has run.
      uniform.destroy();
    }
    return outputs;
  }

  private pipeline<K extends LatentKernel>(kernel: K, flags: KernelFlags<K>, bindings: readonly Binding[]): Pipeline {
    const variant = Object.entries(flags as Readonly<Record<string, boolean>>)
      .filter(([, on]) => on)
      .map(([name]) => name)
      .join('+');
    const key = `${kernel}${variant ? ` ${variant}` : ''}`;
    const cached = this.pipelines.get(key);
    if (cached) return cached;
    const entry = (binding: number, type: GPUBufferBindingType): GPUBindGroupLayoutEntry => ({
      binding,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type },
    });
    const layout = this.device.createBindGroupLayout({
      label: key,
      entries: [
        entry(0, 'uniform'),
        ...bindings.map((b, i) => entry(i + 1, 'read' in b ? 'read-only-storage' : 'storage')),
      ],
    });
    const pipeline = this.device.createComputePipeline({
      label: key,
      layout: this.device.createPipelineLayout({ label: key, bindGroupLayouts: [layout] }),
      compute: {
        module: this.device.createShaderModule({ label: key, code: latentShaderSource(kernel, flags) }),
        entryPoint: 'main',
      },
    });
    const made = { pipeline, layout };
    this.pipelines.set(key, made);
    return made;
  }
}
