/// <reference types="vite/client" />
/**
 * Host side of the FLATTEN flow-attention kernel (./flow-attention.wgsl, DESIGN §3.6): uploads a level's key
 * table (./keys.ts) once, and dispatches one invocation per (group, token, head). Receives the engine's
 * device, never requests one. The CPU oracle is ./reference.ts.
 */
import wgsl from './flow-attention.wgsl?raw';
import type { FlowKeys } from './keys';
import type { FlowAttentionShape } from './reference';

const WORKGROUP = 64;
const PARAMS_BYTES = 32;

/** A key table resident on the GPU; `destroy()` frees it. */
export interface GpuFlowKeys {
  readonly keys: FlowKeys;
  readonly buffer: GPUBuffer;
  destroy(): void;
}

export class FlowAttentionKernel {
  private readonly layout: GPUBindGroupLayout;
  private readonly pipelineLayout: GPUPipelineLayout;
  /** One pipeline per keys-per-token bound (the private score array's size is a WGSL constant). */
  private readonly pipelines = new Map<number, GPUComputePipeline>();

  constructor(private readonly device: GPUDevice) {
    const entry = (binding: number, type: GPUBufferBindingType): GPUBindGroupLayoutEntry => ({
      binding,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type },
    });
    this.layout = device.createBindGroupLayout({
      label: 'flow attention',
      entries: [
        entry(0, 'uniform'),
        entry(1, 'read-only-storage'),
        entry(2, 'read-only-storage'),
        entry(3, 'read-only-storage'),
        entry(4, 'read-only-storage'),
        entry(5, 'storage'),
      ],
    });
    this.pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [this.layout] });
  }

  private pipeline(keysPerToken: number): GPUComputePipeline {
    // Round up so clips of similar length share a pipeline.
    const maxKeys = Math.max(8, 2 ** Math.ceil(Math.log2(keysPerToken)));
    let p = this.pipelines.get(maxKeys);
    if (!p) {
      const module = this.device.createShaderModule({
        label: `flow attention ≤${maxKeys}`,
        code: wgsl.replace('__MAX_KEYS__', String(maxKeys)),
      });
      p = this.device.createComputePipeline({
        label: `flow attention ≤${maxKeys}`,
        layout: this.pipelineLayout,
        compute: { module, entryPoint: 'main' },
      });
      this.pipelines.set(maxKeys, p);
    }
    return p;
  }

  uploadKeys(keys: FlowKeys): GpuFlowKeys {
    const buffer = this.device.createBuffer({
      label: 'flow attention keys',
      size: Math.max(16, keys.index.byteLength),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    this.device.queue.writeBuffer(buffer, 0, keys.index.slice());
    return { keys, buffer, destroy: () => buffer.destroy() };
  }

  /** Bytes one call allocates: the output and the params (the key table is resident). */
  allocatedBytes(shape: FlowAttentionShape, keys: FlowKeys): number {
    return shape.groups * keys.frames * keys.height * keys.width * shape.heads * shape.headDim * 4 + PARAMS_BYTES;
  }

  /** Q, K, V: [G·T, H·d] float32 buffers of this device; returns out (same layout), owned by the caller. */
  run(shape: FlowAttentionShape, keys: GpuFlowKeys, q: GPUBuffer, k: GPUBuffer, v: GPUBuffer): GPUBuffer {
    const { groups, heads, headDim } = shape;
    const table = keys.keys;
    const tokens = table.frames * table.height * table.width;
    const total = groups * tokens * heads;
    const maxX = this.device.limits.maxComputeWorkgroupsPerDimension;
    const workgroups = Math.ceil(total / WORKGROUP);
    const x = Math.min(workgroups, maxX);
    const y = Math.ceil(workgroups / x);
    const out = this.device.createBuffer({
      label: 'flow attention out',
      size: groups * tokens * heads * headDim * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    });
    const params = this.device.createBuffer({
      size: PARAMS_BYTES,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    const u = new Uint32Array(PARAMS_BYTES / 4);
    u.set([tokens, table.keysPerToken, heads, headDim, total, x * WORKGROUP]);
    new Float32Array(u.buffer)[6] = 1 / Math.sqrt(headDim);
    this.device.queue.writeBuffer(params, 0, u);
    const bind = this.device.createBindGroup({
      layout: this.layout,
      entries: [params, q, k, v, keys.buffer, out].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const encoder = this.device.createCommandEncoder({ label: 'flow attention' });
    const pass = encoder.beginComputePass();
    pass.setPipeline(this.pipeline(table.keysPerToken));
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(x, y);
    pass.end();
    this.device.queue.submit([encoder.finish()]);
    // Destroying after submit is deferred past the pending work.
    params.destroy();
    return out;
  }
}
