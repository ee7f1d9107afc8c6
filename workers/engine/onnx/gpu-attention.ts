/**
 * The WebGPU AttentionBackend: the fused WGSL attention kernel (../kernels/attention/attention.ts) on the GPU
 * buffers ORT's WebGPU sessions produce (same device), so partitioned networks never leave the GPU.
 * One kernel instance per head dim. ST-Layout modulation maps are uploaded per call here (small); the
 * pipeline keeps them resident instead.
 */
import { AppError } from '../../../src/core/protocol/errors.ts';
import { AttentionCore as AttentionKernel } from '../kernels/attention/attention.ts';
import type { GpuAttentionBackend } from './runner.ts';

export function gpuAttentionBackend(device: GPUDevice): GpuAttentionBackend {
  const kernels = new Map<number, AttentionKernel>();
  return {
    location: 'gpu-buffer',
    run(core, shape, q, k, v, modulation) {
      if (core.causal)
        throw new AppError(
          'ATTENTION_UNSUPPORTED',
          `attention core ${core.name} is causal; run this network unpartitioned.`,
        );
      let kernel = kernels.get(core.headDim);
      if (!kernel)
        kernels.set(core.headDim, (kernel = new AttentionKernel(device, { headDim: core.headDim, storage: 'f32' })));
      if (!modulation) return kernel.run({ shape, q, k, v });
      const maps = kernel.uploadMaps(modulation.maps);
      try {
        return kernel.run({ shape, q, k, v, modulation: { maps, itemStrength: modulation.itemStrength } });
      } finally {
        maps.destroy();
      }
    },
  };
}
