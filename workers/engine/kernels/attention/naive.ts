/**
 * Materialized attention (naive.wgsl): writes S = QKᵀ/√d for every item and head, softmax in place, then P·V.
 * The benchmark's baseline only (bench/attention.browser.ts) — memory O(B·H·Nq·Nk), which is what the fused
 * kernel avoids. Plain fp32 attention, Bkv = B. Receives the device, never requests one.
 */
import type { AttentionShape } from '../../../../src/core/attention/types';
import naiveWgsl from './naive.wgsl?raw';

const WORKGROUP = 64;

export class NaiveAttention {
  private readonly layout: GPUBindGroupLayout;
  private readonly pipelines: Record<'scores' | 'softmax' | 'pv', GPUComputePipeline>;

  constructor(private readonly device: GPUDevice) {
    const entry = (binding: number, type: GPUBufferBindingType): GPUBindGroupLayoutEntry => ({
      binding,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type },
    });
    this.layout = device.createBindGroupLayout({
      label: 'naive attention',
      entries: [
        entry(0, 'uniform'),
        entry(1, 'read-only-storage'),
        entry(2, 'read-only-storage'),
        entry(3, 'read-only-storage'),
        entry(4, 'storage'),
        entry(5, 'storage'),
      ],
    });
    const module = device.createShaderModule({ label: 'naive attention', code: naiveWgsl });
    const layout = device.createPipelineLayout({ bindGroupLayouts: [this.layout] });
    const make = (entryPoint: string): GPUComputePipeline =>
      device.createComputePipeline({ label: `naive ${entryPoint}`, layout, compute: { module, entryPoint } });
    this.pipelines = { scores: make('scores'), softmax: make('softmax'), pv: make('pv') };
  }

  /** Bytes it allocates per call: the score matrix, the output and the params. */
  allocatedBytes(shape: AttentionShape): number {
    const { batch, heads, queries, keys, headDim } = shape;
    return batch * heads * queries * keys * 4 + batch * queries * heads * headDim * 4 + 3 * 256;
  }

  run(shape: AttentionShape, q: GPUBuffer, k: GPUBuffer, v: GPUBuffer): GPUBuffer {
    const { batch, heads, queries, keys, headDim } = shape;
    if (shape.kvBatch !== batch) throw new Error('naive attention needs Bkv = B');
    const maxX = this.device.limits.maxComputeWorkgroupsPerDimension;
    const scores = this.device.createBuffer({
      size: batch * heads * queries * keys * 4,
      usage: GPUBufferUsage.STORAGE,
    });
    const out = this.device.createBuffer({
      size: batch * queries * heads * headDim * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    });
    const params = this.device.createBuffer({ size: 3 * 256, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    const encoder = this.device.createCommandEncoder({ label: 'naive attention' });
    const pass = encoder.beginComputePass();
    const steps: ['scores' | 'softmax' | 'pv', number][] = [
      ['scores', batch * heads * queries * keys],
      ['softmax', batch * heads * queries],
      ['pv', batch * queries * heads * headDim],
    ];
    steps.forEach(([name, count], i) => {
      const groups = Math.ceil(count / WORKGROUP);
      const gridX = Math.min(groups, maxX);
      const p = new ArrayBuffer(32);
      new Uint32Array(p).set([batch, queries, keys, heads, headDim, gridX]);
      new Float32Array(p)[6] = 1 / Math.sqrt(headDim);
      this.device.queue.writeBuffer(params, i * 256, p);
      pass.setPipeline(this.pipelines[name]);
      pass.setBindGroup(
        0,
        this.device.createBindGroup({
          layout: this.layout,
          entries: [
            { binding: 0, resource: { buffer: params, offset: i * 256, size: 32 } },
            { binding: 1, resource: { buffer: q } },
            { binding: 2, resource: { buffer: k } },
            { binding: 3, resource: { buffer: v } },
            { binding: 4, resource: { buffer: scores } },
            { binding: 5, resource: { buffer: out } },
          ],
        }),
      );
      pass.dispatchWorkgroups(gridX, Math.ceil(groups / gridX));
    });
    pass.end();
    this.device.queue.submit([encoder.finish()]);
    scores.destroy();
    params.destroy();
    return out;
  }
}
