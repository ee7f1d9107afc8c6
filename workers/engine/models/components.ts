/**
 * One entry point per network: config.json + safetensors bytes + the shapes of the given inputs → IR graph.
 * Used by `videograin infer` and by the engine; takes bytes only (no fs), so it runs in the worker too.
 * Tensor names follow diffusers' argument names (DESIGN §9).
 */
import type { Graph } from '../graph/ir';
import { buildClipText, parseClipArch } from './clip';
import { ModelConfigError } from './config';
import { buildControlNet, buildUNet } from './unet';
import { parseUNetArch } from './unet-config';
import { buildVaeDecoder, buildVaeEncoder, parseVaeArch } from './vae';
import { WeightStore } from './weights';

export const COMPONENTS = ['text_encoder', 'unet', 'controlnet', 'vae_encoder', 'vae_decoder'] as const;
export type Component = (typeof COMPONENTS)[number];

/** Input names each component reads (optional ones marked by the builder from what is given). */
export const COMPONENT_INPUTS: Record<Component, readonly string[]> = {
  text_encoder: ['input_ids'],
  unet: ['sample', 'timestep', 'encoder_hidden_states'],
  controlnet: ['sample', 'timestep', 'encoder_hidden_states', 'controlnet_cond'],
  vae_encoder: ['image'],
  vae_decoder: ['latent'],
};

export interface ComponentRequest {
  readonly component: Component;
  readonly config: unknown;
  readonly configFile: string;
  /** The weights file in memory, or a store that streams it (WeightStore.open). */
  readonly weights: Uint8Array | WeightStore;
  readonly weightsFile: string;
  /** Shapes of the inputs that will be fed, by name. */
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  /** UNet: frames per CFG half (self-attention spans them); default 1. */
  readonly frames?: number;
  readonly taps?: boolean;
}

function bad(message: string, field: string): never {
  throw new ModelConfigError('MODEL_CONFIG_INVALID', message, { field });
}

function dims(r: ComponentRequest, name: string, rank: number): readonly number[] {
  const d = r.shapes.get(name);
  if (!d) bad(`${r.component} needs an input tensor "${name}".`, name);
  if (d.length !== rank) bad(`"${name}" must have ${rank} dimensions, got [${d.join(', ')}].`, name);
  return d;
}

export function buildComponent(r: ComponentRequest): Graph {
  const w = r.weights instanceof WeightStore ? r.weights : new WeightStore(r.weights, r.weightsFile);
  switch (r.component) {
    case 'text_encoder': {
      const [batch, tokens] = dims(r, 'input_ids', 2) as [number, number];
      return buildClipText(w, parseClipArch(r.config, r.configFile), { batch, tokens });
    }
    case 'vae_encoder': {
      const [batch, , height, width] = dims(r, 'image', 4) as number[] as [number, number, number, number];
      return buildVaeEncoder(w, parseVaeArch(r.config, r.configFile), { batch, height, width });
    }
    case 'vae_decoder': {
      const [batch, , height, width] = dims(r, 'latent', 4) as number[] as [number, number, number, number];
      return buildVaeDecoder(w, parseVaeArch(r.config, r.configFile), { batch, height, width });
    }
    case 'unet':
    case 'controlnet': {
      const arch = parseUNetArch(r.config, r.configFile);
      if (arch.kind !== (r.component === 'unet' ? 'unet' : 'controlnet'))
        bad(`${r.configFile} describes a ${arch.kind}, not a ${r.component}.`, '_class_name');
      const [batch, , height, width] = dims(r, 'sample', 4) as [number, number, number, number];
      const [textBatch, textTokens] = dims(r, 'encoder_hidden_states', 3) as [number, number];
      // The ControlNet is per frame; its cross-attention reads the text of the item's CFG half.
      const frames = r.component === 'unet' ? (r.frames ?? 1) : batch / textBatch;
      if (!Number.isInteger(frames) || textBatch * frames !== batch)
        bad(
          `encoder_hidden_states has ${textBatch} items; with ${frames} frame(s) per sequence "sample" (${batch} items) needs ${batch / frames}.`,
          'encoder_hidden_states',
        );
      const options = { batch, height, width, frames, textTokens, taps: r.taps ?? false };
      if (r.component === 'controlnet') return buildControlNet(w, arch, options);
      return buildUNet(w, arch, { ...options, residuals: r.shapes.has('down_block_additional_residuals.0') });
    }
  }
}
