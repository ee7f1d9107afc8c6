/**
 * The WebGPU AttentionBackend: the fused WGSL attention kernel (../kernels/attention/attention.ts) on the GPU
 * buffers ORT's WebGPU sessions produce (same device), so partitioned networks never leave the GPU.
 * One kernel instance per head dim. ST-Layout modulation maps are uploaded once per `ModulationMaps` object
 * (the pipeline keeps the same objects for a whole job) and kept until they fall out of a small LRU or
 * `release()` destroys them. The FLATTEN flow attention (DESIGN §3.6, ../kernels/flow) runs after the self-attention
 * cores a run asks it for; its key tables are resident per `FlowKeys` object like the maps.
 */
import type { ModulationMaps } from '../../../src/core/attention/types';
import { AppError } from '../../../src/core/protocol/errors';
import { AttentionCore as AttentionKernel, type GpuModulationMaps } from '../kernels/attention/attention';
import { deviceTiles, kindOfShape, type TileChoice } from '../kernels/attention/autotune';
import { FlowAttentionKernel, type GpuFlowKeys } from '../kernels/flow/flow-attention';
import type { FlowKeys } from '../kernels/flow/keys';
import type { GpuAttentionBackend } from './runner';
import { readBack } from '../gpu/readback';

/**
 * Resident map sets: one job uses two per modulated resolution (self, cross); a few jobs' worth stay cached
 * so re-edits with the same layout upload nothing, and old jobs' maps are destroyed instead of piling up.
 */
const MAX_RESIDENT_MAPS = 16;

export interface GpuAttentionOptions {
  /**
   * Tile sizes per head dim and key-set kind (self / cross), e.g. from `autotuneAttention` at engine start;
   * absent (or undefined for a core): the kernel's default tiles for this device.
   */
  readonly tiles?: TileChoice;
}

export function gpuAttentionBackend(device: GPUDevice, options: GpuAttentionOptions = {}): GpuAttentionBackend {
  // One kernel per head dim and key-set kind (cross-attention's 77 keys tune differently).
  const kernels = new Map<string, AttentionKernel>();
  // Insertion order = recency (a hit is re-inserted), so the first key is the least recently used.
  const resident = new Map<ModulationMaps, GpuModulationMaps>();
  let flowKernel: FlowAttentionKernel | undefined;
  const flowTables = new Map<FlowKeys, GpuFlowKeys>();
  const tableOf = (keys: FlowKeys): GpuFlowKeys => {
    flowKernel ??= new FlowAttentionKernel(device);
    let gpu = flowTables.get(keys);
    if (gpu) flowTables.delete(keys);
    else gpu = flowKernel.uploadKeys(keys);
    flowTables.set(keys, gpu);
    // A job uses one table per flattened level (≤ 3); a few jobs' worth stay resident.
    while (flowTables.size > MAX_RESIDENT_MAPS) {
      const [oldest, old] = flowTables.entries().next().value!;
      flowTables.delete(oldest);
      old.destroy();
    }
    return gpu;
  };

  const mapsOf = (kernel: AttentionKernel, maps: ModulationMaps): GpuModulationMaps => {
    let gpu = resident.get(maps);
    if (gpu) resident.delete(maps);
    else gpu = kernel.uploadMaps(maps);
    resident.set(maps, gpu);
    while (resident.size > MAX_RESIDENT_MAPS) {
      const [oldest, old] = resident.entries().next().value!;
      resident.delete(oldest);
      // Work already submitted that reads it still completes (WebGPU defers destruction past pending work).
      old.destroy();
    }
    return gpu;
  };

  return {
    location: 'gpu-buffer',
    run(core, shape, q, k, v, modulation) {
      if (core.causal)
        throw new AppError(
          'ATTENTION_UNSUPPORTED',
          `attention core ${core.name} is causal; run this network unpartitioned.`,
        );
      const kind = kindOfShape(shape);
      const kernelKey = `${core.headDim}/${kind}`;
      let kernel = kernels.get(kernelKey);
      if (!kernel) {
        // The caller's choice, else the tiles the engine tuned for this device at start (engine-tuning.ts).
        const tiles = (options.tiles ?? deviceTiles(device))?.(core.headDim, kind);
        kernel = new AttentionKernel(device, { headDim: core.headDim, storage: 'f32', ...(tiles ? { tiles } : {}) });
        kernels.set(kernelKey, kernel);
      }
      if (!modulation) return kernel.run({ shape, q, k, v });
      const maps = mapsOf(kernel, modulation.maps);
      return kernel.run({ shape, q, k, v, modulation: { maps, itemStrength: modulation.itemStrength } });
    },

    runFlow(_core, shape, flow, q, k, v) {
      const table = tableOf(flow.keys);
      return flowKernel!.run(shape, table, q, k, v);
    },

    async download(buffer, elements) {
      const bytes = elements * 4;
      if (bytes > buffer.size)
        throw new Error(`cannot read ${elements} float32 values from a ${buffer.size}-byte GPU buffer`);
      return new Float32Array(await readBack(device, buffer, bytes));
    },

    release() {
      for (const maps of resident.values()) maps.destroy();
      resident.clear();
      for (const t of flowTables.values()) t.destroy();
      flowTables.clear();
      flowKernel = undefined;
      // Kernels hold pipelines only (their per-call buffers are freed after each submit).
      kernels.clear();
    },
  };
}
