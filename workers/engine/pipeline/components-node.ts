/**
 * `Components` on the CPU (Node tests, the CLI): ./components-graph.ts on the wasm target with the CPU reference
 * attention (src/core/attention/reference.ts, via ../onnx/cpu-attention.ts) for modulated or probed UNet calls.
 * Slow for SD1.5 sizes. Configs are read synchronously here, so construction stays synchronous.
 */
import type { RangeReader } from '../models/weights';
import type { AttentionBackend } from '../onnx/runner';
import { assembleGraphComponents, parseArchitectures, type AsyncModelFileReader } from './components-graph';
import type { Components } from './components';

export { CONTROLNET_DOWN_RESIDUALS } from './components-graph';

/** Reads a file of a diffusers model folder (relative path, e.g. `unet/config.json`). */
export type ModelFileReader = ((relPath: string) => Uint8Array) & {
  /** Opens a weights file for byte-range reads (the CLI: file reads at an offset); without it, read whole. */
  readonly open?: (relPath: string) => Promise<RangeReader>;
  /** Whether the folder has the file (picks the weight files' precision when none is given). */
  readonly exists?: (relPath: string) => boolean;
};

export interface NodeComponentsSource {
  readonly sd: ModelFileReader;
  /** A ControlNet folder (config.json + diffusion_pytorch_model.safetensors). */
  readonly controlnet?: ModelFileReader;
  /**
   * Which weight files: default the fp32 files (`*.safetensors`), or the fp16 ones (`*.fp16.safetensors`) when
   * the SD folder has only those (a published fp16 checkpoint, the full-size fixture). On the CPU, fp16 files'
   * weights stay binary16 in the sessions (../onnx/runner.ts `weights`: half the wasm heap, the same values).
   */
  readonly precision?: 'fp32' | 'fp16';
  /** Attention backend of the partitioned UNet (default: the CPU reference). */
  readonly attention?: AttentionBackend;
  /** fp16 compute graphs (../graph/fp16-graph.ts; ORT wasm runs them op by op through fp32 kernels). Default fp32. */
  readonly compute?: 'fp32' | 'fp16';
}

const asAsync = (read: ModelFileReader): AsyncModelFileReader =>
  Object.assign(
    (relPath: string): Promise<Uint8Array> => {
      try {
        return Promise.resolve(read(relPath));
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    },
    read.open ? { open: read.open } : {},
  );

/** fp16 when the folder's UNet is there only as `.fp16.safetensors`. */
function filePrecision(sd: ModelFileReader): 'fp32' | 'fp16' {
  const has = sd.exists;
  if (!has) return 'fp32';
  return !has('unet/diffusion_pytorch_model.safetensors') && has('unet/diffusion_pytorch_model.fp16.safetensors')
    ? 'fp16'
    : 'fp32';
}

export function createNodeComponents(source: NodeComponentsSource): Components {
  const { sd, controlnet } = source;
  const precision = source.precision ?? filePrecision(sd);
  const arch = parseArchitectures({
    textEncoder: sd('text_encoder/config.json'),
    unet: sd('unet/config.json'),
    vae: sd('vae/config.json'),
    scheduler: sd('scheduler/scheduler_config.json'),
    ...(controlnet ? { controlnet: controlnet('config.json') } : {}),
  });
  return assembleGraphComponents(
    {
      sd: asAsync(sd),
      ...(controlnet ? { controlnet: asAsync(controlnet) } : {}),
      precision,
      ...(source.attention ? { attention: source.attention } : {}),
      ...(source.compute ? { compute: source.compute } : {}),
    },
    arch,
  );
}
