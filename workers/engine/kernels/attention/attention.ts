/**
 * Host wrapper of the tiled fused ST-Layout attention kernel (attention.wgsl; formula in its header and
 * DESIGN §3.4; tiling in tiles.ts). Receives the engine's GPUDevice (never requests one). Inputs are GPU buffers
 * in the projections' layout (Q [B, Nq, H·d], K/V [Bkv, Nk, H·d]); the storage type is f16 when the device has
 * `shader-f16`, else f32. Tile sizes come from the caller (the autotuner, autotune.ts) or a default that fits the
 * device (on software adapters the row-register kernel, rows.ts); the subgroup variant (tiled: row max/min
 * reductions; row kernel: K/V broadcast) is used where the device has `subgroups` and the tiles allow it. Engine start tunes the tiles per adapter (engine-tuning.ts).
 * Modulated calls of the row and tiled kernels walk the keys in region order (rows.ts, attention.wgsl), from a table
 * uploaded with the maps (key-order.ts); items of strength 0 run the plain kernel. The subgroup-matrix kernel
 * (matrix.ts) reads each key's bits and makes an extra pass for the row max/min.
 * `plan()` reports what a call allocates (linear in tokens); `run()` splits calls that exceed the device's
 * dispatch or binding limits into chunks.
 */
import { AppError } from '../../../../src/core/protocol/errors';
import {
  AttentionInputError,
  validateModulationSizes,
  type AttentionShape,
  type ModulationMaps,
} from '../../../../src/core/attention/types';
import { attentionShaderSource, packParams, paramsStructWgsl, PARAMS_BYTES, type StorageType } from './shader';
import {
  defaultTiles,
  deriveTiles,
  isRowKernel,
  tileKey,
  tileProblem,
  type AttentionFeatures,
  type AttentionTiles,
  type TileLimits,
} from './tiles';
import { planAttention, type AttentionLimits, type AttentionPlan } from './plan';
import { rowSubgroupsFit } from './rows';
import { keyRegionOrder } from './key-order';
import {
  chooseMatrixKernel,
  matrixKernelPlan,
  matrixKernelProblem,
  matrixKernelSource,
  type SubgroupMatrixConfig,
} from './matrix';

export { AttentionTooLargeError, type AttentionPlan, type AttentionLimits } from './plan';
export type { StorageType } from './shader';
export type { AttentionTiles, AttentionFeatures } from './tiles';
export type { SubgroupMatrixConfig } from './matrix';

export interface AttentionCoreOptions {
  readonly headDim: number;
  /** Default: 'f16' when the device has shader-f16, else 'f32'. */
  readonly storage?: StorageType;
  /** Tighter limits than the device's (tests use them to exercise chunking). */
  readonly limits?: Partial<AttentionLimits>;
  /** Tile sizes (the autotuner's choice or an override); default: defaultTiles for this device. */
  readonly tiles?: AttentionTiles;
  /** Subgroup reductions: default on where the device has `subgroups` and the tiles allow it. */
  readonly subgroups?: boolean;
  /**
   * The subgroup-matrix kernel (matrix.ts) instead of the tiles: needs `chromium-experimental-subgroup-matrix` and
   * a config of the adapter's that fits (chooseMatrixKernel). Opt-in: not yet run on hardware by the tests.
   */
  readonly matrix?: { readonly matrix: SubgroupMatrixConfig; readonly blockK: number };
}

type PipelineKind = 'plain' | 'modulated';

export const SUBGROUP_MATRIX_FEATURE = 'chromium-experimental-subgroup-matrix' as GPUFeatureName;

/** The adapter's subgroup-matrix configs (empty where the device lacks the feature). */
export function subgroupMatrixConfigs(device: GPUDevice): readonly SubgroupMatrixConfig[] {
  if (!device.features.has(SUBGROUP_MATRIX_FEATURE)) return [];
  const info = (device as GPUDevice & { adapterInfo?: { subgroupMatrixConfigs?: readonly SubgroupMatrixConfig[] } })
    .adapterInfo;
  return info?.subgroupMatrixConfigs ?? [];
}

/** A subgroup-matrix kernel choice for this device, head dim and storage (undefined: none fits). */
export function matrixKernelFor(
  device: GPUDevice,
  headDim: number,
  storage: StorageType,
): { matrix: SubgroupMatrixConfig; blockK: number } | undefined {
  const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  const maxSize = (info as (GPUAdapterInfo & { subgroupMaxSize?: number }) | undefined)?.subgroupMaxSize ?? 0;
  return chooseMatrixKernel(headDim, storage, subgroupMatrixConfigs(device), maxSize, device.limits);
}

/** The device's limits that decide which tile configurations run (tiles.ts). */
export function tileLimitsOf(device: GPUDevice): TileLimits {
  const l = device.limits;
  const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  return {
    maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
    subgroupMinSize: device.features.has('subgroups') ? (info?.subgroupMinSize ?? 0) : 0,
    software: !!info && (info.isFallbackAdapter || /swiftshader/i.test(`${info.vendor} ${info.architecture}`)),
  };
}

/** Whether the subgroup variant can run with these tiles on this device. */
export function subgroupsUsable(
  device: GPUDevice,
  headDim: number,
  storage: StorageType,
  tiles: AttentionTiles,
): boolean {
  if (!device.features.has('subgroups')) return false;
  if (isRowKernel(tiles, headDim)) return rowSubgroupsFit(tiles, tileLimitsOf(device).subgroupMinSize ?? 0);
  return !tileProblem(tiles, headDim, storage, { subgroups: true }, tileLimitsOf(device));
}

/** Modulation maps resident on the GPU (upload once per resolution, reuse every step). */
export interface GpuModulationMaps {
  readonly groups: number;
  readonly queries: number;
  readonly keys: number;
  readonly bytes: number;
  destroy(): void;
  /** Runs of the key order (key-order.ts): distinct key bit values. */
  readonly keyRuns: number;
  /** @internal */ readonly buffers: {
    queryBits: GPUBuffer;
    keyBits: GPUBuffer;
    sizeReg: GPUBuffer;
    keyOrder: GPUBuffer;
  };
}

export interface AttentionCall {
  readonly shape: AttentionShape;
  readonly q: GPUBuffer;
  readonly k: GPUBuffer;
  readonly v: GPUBuffer;
  /** Output [B, Nq, H·d]; allocated (and returned, owned by the caller) when absent. */
  readonly out?: GPUBuffer;
  /** ST-Layout modulation: maps + per-item strength w·treg (0 = item not modulated). Absent: plain attention. */
  readonly modulation?: { readonly maps: GpuModulationMaps; readonly itemStrength: Float32Array };
}

export function defaultStorage(device: GPUDevice): StorageType {
  return device.features.has('shader-f16') ? 'f16' : 'f32';
}

function storageBuffer(device: GPUDevice, label: string, data: Uint32Array | Float32Array): GPUBuffer {
  const buffer = device.createBuffer({
    label,
    size: Math.ceil(data.byteLength / 16) * 16 || 16,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
  });
  // slice(): an ArrayBuffer-backed copy (the caller's view may sit on a SharedArrayBuffer); maps are small.
  device.queue.writeBuffer(buffer, 0, data.slice());
  return buffer;
}

export class AttentionCore {
  readonly storage: StorageType;
  readonly headDim: number;
  readonly blockQ: number;
  readonly blockK: number;
  readonly tiles: AttentionTiles;
  readonly features: AttentionFeatures;
  readonly limits: AttentionLimits;
  /** The subgroup-matrix kernel in use (then `tiles` only names the fallback the label does not show). */
  readonly matrix?: { readonly matrix: SubgroupMatrixConfig; readonly blockK: number };
  private readonly pipelines = new Map<PipelineKind, { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout }>();

  constructor(
    private readonly device: GPUDevice,
    options: AttentionCoreOptions,
  ) {
    this.headDim = options.headDim;
    this.storage = options.storage ?? defaultStorage(device);
    if (this.storage === 'f16' && !device.features.has('shader-f16'))
      throw new AppError('ATTENTION_F16_UNSUPPORTED', 'fp16 attention needs a device with shader-f16; use f32.');
    const l = device.limits;
    this.limits = {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      minStorageBufferOffsetAlignment: l.minStorageBufferOffsetAlignment,
      minUniformBufferOffsetAlignment: l.minUniformBufferOffsetAlignment,
      ...options.limits,
    };
    const tileLimits = tileLimitsOf(device);
    let tiles = options.tiles;
    if (!tiles) {
      try {
        // Software adapters: the row kernel's subgroup tiles where the device has subgroups (the broadcast is what
        // makes the unrolled head dim pay); hardware: tiles without subgroups, which are then enabled if they fit.
        const softwareSubgroups = !!tileLimits.software && device.features.has('subgroups');
        tiles = defaultTiles(this.headDim, this.storage, { subgroups: softwareSubgroups }, tileLimits);
      } catch {
        throw new AppError('ATTENTION_TOO_LARGE', `head dim ${this.headDim} does not fit this GPU's workgroup memory`);
      }
    }
    const subgroups =
      options.subgroups ??
      (device.features.has('subgroups') && subgroupsUsable(device, this.headDim, this.storage, tiles));
    if (subgroups && !device.features.has('subgroups'))
      throw new AppError('ATTENTION_UNSUPPORTED', 'subgroup attention needs a device with the subgroups feature.');
    // The row kernel uses subgroups only to broadcast K/V (rows.ts); tiles that do not fit that run without.
    this.features = {
      subgroups:
        subgroups && (!isRowKernel(tiles, this.headDim) || rowSubgroupsFit(tiles, tileLimits.subgroupMinSize ?? 0)),
    };
    const problem = tileProblem(tiles, this.headDim, this.storage, this.features, tileLimits);
    if (problem)
      throw new AppError('ATTENTION_UNSUPPORTED', `attention tiles ${tileKey(tiles)} cannot run here: ${problem}`);
    this.tiles = tiles;
    const derived = deriveTiles(tiles, this.headDim, this.storage, this.features);
    this.blockQ = derived.blockQ;
    this.blockK = derived.blockK;
    if (options.matrix) {
      if (!device.features.has(SUBGROUP_MATRIX_FEATURE))
        throw new AppError(
          'ATTENTION_UNSUPPORTED',
          'the subgroup-matrix attention kernel needs a device with chromium-experimental-subgroup-matrix; leave `matrix` out.',
        );
      const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo & { subgroupMaxSize?: number } }).adapterInfo;
      const m = {
        headDim: this.headDim,
        storage: this.storage,
        subgroupMaxSize: info?.subgroupMaxSize ?? 0,
        ...options.matrix,
      };
      const problem = matrixKernelProblem(m, l);
      if (problem)
        throw new AppError(
          'ATTENTION_UNSUPPORTED',
          `the subgroup-matrix attention kernel cannot run here: ${problem}; leave \`matrix\` out.`,
        );
      this.matrix = options.matrix;
      const plan = matrixKernelPlan(m);
      this.blockQ = plan.blockQ;
      this.blockK = plan.blockK;
    }
  }

  /** A short label of the variant (storage, tiles, features) for logs and benchmarks. */
  get variantLabel(): string {
    if (this.matrix) {
      const { M, N, K } = this.matrix.matrix;
      return `d${this.headDim} ${this.storage} subgroup-matrix ${M}×${N}×${K} bk${this.matrix.blockK}`;
    }
    return `d${this.headDim} ${this.storage} ${tileKey(this.tiles)}${this.features.subgroups ? ' subgroups' : ''}`;
  }

  /**
   * `modulation.itemStrength`: the call's strengths (items with 0 go to the plain kernel in chunks of their own,
   * except with the subgroup-matrix kernel); absent, every item counts as modulated. `keyRuns`: the maps' (GpuModulationMaps); absent, the
   * most there can be (Nk). Both default to the memory plan's worst case.
   */
  plan(
    shape: AttentionShape,
    modulation?: { groups: number; keyRuns?: number; itemStrength?: Float32Array },
  ): AttentionPlan {
    this.checkHeadDim(shape);
    const strength = modulation?.itemStrength;
    return planAttention(
      shape,
      {
        storage: this.storage,
        blockQ: this.blockQ,
        modulated: !!modulation,
        groups: modulation?.groups ?? 1,
        splitByStrength: !this.matrix,
        ...(modulation?.keyRuns !== undefined ? { keyRuns: modulation.keyRuns } : {}),
        ...(strength ? { modulatedItems: Array.from(strength, (a) => a !== 0) } : {}),
      },
      this.limits,
    );
  }

  /** Uploads the maps of one resolution (self or cross); see ModulationMaps for the indexing. */
  uploadMaps(maps: ModulationMaps): GpuModulationMaps {
    const queries = maps.queryBits.length / maps.groups;
    if (!Number.isInteger(queries) || maps.sizeReg.length !== maps.queryBits.length)
      throw new AttentionInputError('modulation maps: queryBits and sizeReg must both have groups·Nq entries');
    const keyOrder = keyRegionOrder(maps.keyBits);
    const buffers = {
      queryBits: storageBuffer(this.device, 'attention queryBits', maps.queryBits),
      keyBits: storageBuffer(this.device, 'attention keyBits', maps.keyBits),
      sizeReg: storageBuffer(this.device, 'attention sizeReg', maps.sizeReg),
      keyOrder: storageBuffer(this.device, 'attention keyOrder', keyOrder.table),
    };
    const bytes = Object.values(buffers).reduce((sum, b) => sum + b.size, 0);
    return {
      groups: maps.groups,
      queries,
      keys: maps.keyBits.length,
      keyRuns: keyOrder.runs,
      bytes,
      buffers,
      destroy: () => Object.values(buffers).forEach((b) => b.destroy()),
    };
  }

  /** Encodes, submits and returns the output buffer. */
  run(call: AttentionCall): GPUBuffer {
    const encoder = this.device.createCommandEncoder({ label: 'attention' });
    const { out, release } = this.encode(encoder, call);
    this.device.queue.submit([encoder.finish()]);
    release();
    return out;
  }

  /** Records the call into `encoder`; call `release()` after submitting (frees the per-call scratch). */
  encode(encoder: GPUCommandEncoder, call: AttentionCall): { out: GPUBuffer; release: () => void } {
    const { shape, modulation } = call;
    this.checkHeadDim(shape);
    const maps = modulation?.maps;
    if (maps) validateModulationSizes(shape, maps, modulation.itemStrength);
    const plan = this.plan(
      shape,
      maps ? { groups: maps.groups, keyRuns: maps.keyRuns, itemStrength: modulation.itemStrength } : undefined,
    );
    const elem = this.storage === 'f16' ? 2 : 4;
    const channels = shape.heads * shape.headDim;
    this.checkBuffer('Q', call.q, shape.batch * shape.queries * channels * elem);
    this.checkBuffer('K', call.k, shape.kvBatch * shape.keys * channels * elem);
    this.checkBuffer('V', call.v, shape.kvBatch * shape.keys * channels * elem);
    const out =
      call.out ??
      this.device.createBuffer({
        label: 'attention out',
        size: plan.outputBytes,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
    this.checkBuffer('out', out, shape.batch * shape.queries * channels * elem);
    if (out === call.q) throw new AttentionInputError('attention output must not alias Q');

    const stride =
      Math.ceil(PARAMS_BYTES / this.limits.minUniformBufferOffsetAlignment) *
      this.limits.minUniformBufferOffsetAlignment;
    const params = this.device.createBuffer({
      label: 'attention params',
      size: stride * plan.chunks.length,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    const strength = modulation
      ? storageBuffer(this.device, 'attention itemStrength', modulation.itemStrength)
      : undefined;
    const pass = encoder.beginComputePass({ label: 'attention' });
    plan.chunks.forEach((c, i) => {
      const values = {
        nq: shape.queries,
        nk: shape.keys,
        channels,
        groups: maps?.groups ?? 1,
        itemsPerKv: shape.batch / shape.kvBatch,
        b0: c.b0,
        q0: c.q0,
        qRows: c.q1 - c.q0,
        qOffset: c.qOffset,
        kvOffset: c.kvOffset,
        kb0: c.kb0,
        scale: 1 / Math.sqrt(shape.headDim),
      };
      this.device.queue.writeBuffer(params, i * stride, packParams(values));
      const paramsEntry: GPUBindGroupEntry = {
        binding: 0,
        resource: { buffer: params, offset: i * stride, size: PARAMS_BYTES },
      };
      // Chunks of items with strength 0 run the plain kernel (the subgroup-matrix kernel branches per item).
      const modulated = c.modulated;
      const entries: GPUBindGroupEntry[] = [
        paramsEntry,
        { binding: 1, resource: { buffer: call.q, ...c.qBinding } },
        { binding: 2, resource: { buffer: call.k, ...c.kvBinding } },
        { binding: 3, resource: { buffer: call.v, ...c.kvBinding } },
        { binding: 4, resource: { buffer: out, ...c.qBinding } },
      ];
      if (modulated && maps && strength) {
        entries.push(
          { binding: 5, resource: { buffer: maps.buffers.queryBits } },
          // The row and tiled kernels walk the keys in region order; the subgroup-matrix kernel reads each key's bits.
          { binding: 6, resource: { buffer: this.matrix ? maps.buffers.keyBits : maps.buffers.keyOrder } },
          { binding: 7, resource: { buffer: maps.buffers.sizeReg } },
          { binding: 8, resource: { buffer: strength } },
        );
      }
      const { pipeline, layout } = this.pipeline(modulated ? 'modulated' : 'plain');
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, this.device.createBindGroup({ label: 'attention', layout, entries }));
      pass.dispatchWorkgroups(...c.workgroups);
    });
    pass.end();
    return {
      out,
      release: () => {
        params.destroy();
        strength?.destroy();
      },
    };
  }

  private checkHeadDim(shape: AttentionShape): void {
    if (shape.headDim !== this.headDim)
      throw new AttentionInputError(`this attention core is built for head dim ${this.headDim}, got ${shape.headDim}`);
  }

  private checkBuffer(name: string, buffer: GPUBuffer, bytes: number): void {
    if (buffer.size < Math.ceil(bytes / 4) * 4)
      throw new AttentionInputError(`attention ${name} buffer has ${buffer.size} bytes, the shape needs ${bytes}`);
  }

  private pipeline(kind: PipelineKind): { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout } {
    const cached = this.pipelines.get(kind);
    if (cached) return cached;
    const storage = (binding: number, type: GPUBufferBindingType): GPUBindGroupLayoutEntry => ({
      binding,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type },
    });
    const modulated = kind === 'modulated';
    const read = (...bindings: number[]): GPUBindGroupLayoutEntry[] =>
      bindings.map((b) => storage(b, 'read-only-storage'));
    const entries = [
      storage(0, 'uniform'),
      ...read(1, 2, 3),
      storage(4, 'storage'),
      ...(modulated ? read(5, 6, 7, 8) : []),
    ];
    const layout = this.device.createBindGroupLayout({ label: `attention ${kind}`, entries });
    const info = (this.device as GPUDevice & { adapterInfo?: GPUAdapterInfo & { subgroupMaxSize?: number } })
      .adapterInfo;
    const code = this.matrix
      ? matrixKernelSource({
          headDim: this.headDim,
          storage: this.storage,
          modulated,
          subgroupMaxSize: info?.subgroupMaxSize ?? 0,
          paramsStruct: paramsStructWgsl(),
          ...this.matrix,
        })
      : attentionShaderSource({
          headDim: this.headDim,
          storage: this.storage,
          modulated,
          tiles: this.tiles,
          features: this.features,
        });
    const pipeline = this.device.createComputePipeline({
      label: `attention ${this.variantLabel} ${kind}`,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module: this.device.createShaderModule({ label: `attention ${kind}`, code }), entryPoint: 'main' },
    });
    const made = { pipeline, layout };
    this.pipelines.set(kind, made);
    return made;
  }
}
