/**
 * `Components` on WebGPU (the engine worker): ./components-graph.ts with ORT sessions on the engine's device
 * and the WGSL attention kernels (../onnx/gpu-attention.ts) between the UNet's segments. Weights are widened
 * to fp32 when the graph is emitted (fp16 files included); the attention kernels run f32.
 * `release()` frees every session and every GPU buffer these components created.
 */
import type { ValidatedModel } from '../../../src/core/models/validate.ts';
import { gpuAttentionBackend } from '../onnx/gpu-attention.ts';
import { createGraphComponents } from './components-graph.ts';
import type { Components } from './components.ts';

/** A diffusers model folder, read by relative path (`unet/config.json`, `unet/diffusion_pytorch_model.safetensors`). */
export interface ModelFiles {
  read(relPath: string): Promise<Uint8Array>;
}

export interface WebGpuModels {
  readonly sd: ModelFiles;
  readonly controlnet?: ModelFiles;
}

export async function createWebGpuComponents(device: GPUDevice, models: WebGpuModels): Promise<Components> {
  const attention = gpuAttentionBackend(device);
  try {
    return await createGraphComponents({
      sd: (p) => models.sd.read(p),
      ...(models.controlnet ? { controlnet: (p: string) => models.controlnet!.read(p) } : {}),
      target: { kind: 'webgpu', device },
      attention,
    });
  } catch (e) {
    attention.release();
    throw e;
  }
}

/** The name the graph builders ask for: weights under their fp32 file name. */
const canonical = (path: string): string => path.replace(/\.fp16\.safetensors$/, '.safetensors');

/**
 * The files of a loaded model under the names the builders ask for: a weights request
 * (`unet/diffusion_pytorch_model.safetensors`) reads whichever variant the model resolved (fp16 or fp32).
 */
export function modelFilesOf(model: ValidatedModel): ModelFiles {
  const byName = new Map<string, string>();
  for (const file of model.files.values()) byName.set(canonical(file.path), file.path);
  return { read: (relPath) => model.source.read(byName.get(canonical(relPath)) ?? relPath) };
}
