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
};

export interface NodeComponentsSource {
  readonly sd: ModelFileReader;
  /** A ControlNet folder (config.json + diffusion_pytorch_model.safetensors). */
  readonly controlnet?: ModelFileReader;
  readonly precision?: 'fp32' | 'fp16';
  /** Attention backend of the partitioned UNet (default: the CPU reference). */
  readonly attention?: AttentionBackend;
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

export function createNodeComponents(source: NodeComponentsSource): Components {
  const { sd, controlnet } = source;
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
      ...(source.precision ? { precision: source.precision } : {}),
      ...(source.attention ? { attention: source.attention } : {}),
    },
    arch,
  );
}
