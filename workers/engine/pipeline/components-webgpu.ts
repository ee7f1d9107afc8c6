/**
 * `Components` on WebGPU (the engine worker): ./components-graph.ts with ORT sessions on the engine's device,
 * the WGSL attention kernels (../onnx/gpu-attention.ts) between the partitioned networks' segments, and the WGSL
 * step kernels (../tensors/gpu-ops.ts): tensors stay on the GPU from their first upload to the final readback
 * (DESIGN §6). Weights stream per
 * tensor from the model's source (`ModelFiles.open`) into each session's external data. The networks compute in
 * fp16 on devices with shader-f16 (weights as stored, fp32 files narrowed; ../graph/fp16-graph.ts) and in fp32
 * elsewhere (fp16 files widened tensor by tensor); the attention kernels between segments run f32 either way.
 * `release()` frees every session and every GPU buffer these components created.
 */
import type { ValidatedModel } from '../../../src/core/models/validate';
import type { RangeReader } from '../models/weights';
import { gpuAttentionBackend } from '../onnx/gpu-attention';
import { createGpuTensorRuntime } from '../tensors/gpu-ops';
import { openSourceFile } from '../weights/ranges';
import { createGraphComponents, type AsyncModelFileReader } from './components-graph';
import type { Components } from './components';

/** A diffusers model folder, read by relative path (`unet/config.json`, `unet/diffusion_pytorch_model.safetensors`). */
export interface ModelFiles {
  read(relPath: string): Promise<Uint8Array>;
  /** Byte-range reads of a weights file (streamed per tensor); without it, weights files are read whole. */
  open?(relPath: string): Promise<RangeReader>;
}

export interface WebGpuModels {
  readonly sd: ModelFiles;
  readonly controlnet?: ModelFiles;
}

/**
 * fp16 compute where the device has shader-f16 (the engine requests it when the adapter offers it: ../gpu/device.ts),
 * fp32 otherwise (software adapters, older GPUs).
 */
export const computePrecisionOf = (device: GPUDevice): 'fp32' | 'fp16' =>
  device.features.has('shader-f16') ? 'fp16' : 'fp32';

export async function createWebGpuComponents(
  device: GPUDevice,
  models: WebGpuModels,
  options: { readonly compute?: 'fp32' | 'fp16' } = {},
): Promise<Components> {
  const attention = gpuAttentionBackend(device);
  const runtime = createGpuTensorRuntime(device);
  try {
    const components = await createGraphComponents({
      sd: reader(models.sd),
      ...(models.controlnet ? { controlnet: reader(models.controlnet) } : {}),
      target: { kind: 'webgpu', device },
      attention,
      runtime,
      compute: options.compute ?? computePrecisionOf(device),
    });
    return {
      ...components,
      async release() {
        await components.release();
        runtime.release();
      },
    };
  } catch (e) {
    attention.release();
    runtime.release();
    throw e;
  }
}

const reader = (files: ModelFiles): AsyncModelFileReader =>
  Object.assign((p: string) => files.read(p), files.open ? { open: (p: string) => files.open!(p) } : {});

/** The name the graph builders ask for: weights under their fp32 file name. */
const canonical = (path: string): string => path.replace(/\.fp16\.safetensors$/, '.safetensors');

/**
 * The files of a loaded model under the names the builders ask for: a weights request
 * (`unet/diffusion_pytorch_model.safetensors`) reads whichever variant the model resolved (fp16 or fp32).
 */
export function modelFilesOf(model: ValidatedModel): ModelFiles {
  const byName = new Map<string, string>();
  const sizes = new Map<string, number>();
  for (const file of model.files.values()) {
    byName.set(canonical(file.path), file.path);
    sizes.set(file.path, file.size);
  }
  const pathOf = (relPath: string) => byName.get(canonical(relPath)) ?? relPath;
  return {
    read: (relPath) => model.source.read(pathOf(relPath)),
    // Blob.slice (local folders, OPFS cache) or HTTP Range (URL sources, the CLI's mounts), per tensor.
    open: (relPath) => openSourceFile(model.source, pathOf(relPath), sizes.get(pathOf(relPath))),
  };
}
