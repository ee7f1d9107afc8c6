/**
 * A PlanModel from validated model folders (src/core/models/validate.ts): the parsed configs, and parameter
 * counts from the safetensors headers (exact, whatever the file's dtype). One function for `videograin plan
 * --model` and the engine's check before each edit (workers/engine/edit/memory-check.ts), so both plan the
 * same model the same way.
 */
import type { ModelConfigs } from '../models/validate';
import type { SafetensorsHeader } from '../tensors/safetensors';
import type { Component, PlanModel } from './plan';

/** What the plan reads of a validated model. */
export interface PlanSource {
  readonly configs: ModelConfigs;
  readonly headers: ReadonlyMap<string, SafetensorsHeader>;
}

/** Parameters in a weights file: every floating-point tensor's elements (buffers like position_ids are ints). */
export function headerParams(h: SafetensorsHeader | undefined): number | undefined {
  if (!h) return undefined;
  let n = 0;
  for (const t of h.tensors.values()) if (/^(F|BF)/.test(t.dtype)) n += t.shape.reduce((a, d) => a * d, 1);
  return n;
}

const missing = (what: string): never => {
  throw new Error(`the memory plan needs the ${what} config of the loaded model`);
};

/** The plan's model: SD configs + header counts, and the ControlNet's when one is given. */
export function planModelOf(sd: PlanSource, controlnet?: PlanSource): PlanModel {
  const params: Partial<Record<Component, number>> = {};
  const set = (k: Component, n: number | undefined) => {
    if (n !== undefined) params[k] = n;
  };
  set('unet', headerParams(sd.headers.get('unet.weights')));
  set('textEncoder', headerParams(sd.headers.get('text_encoder.weights')));
  set('vae', headerParams(sd.headers.get('vae.weights')));
  if (controlnet) set('controlnet', headerParams(controlnet.headers.get('controlnet.weights')));
  return {
    unet: sd.configs.unet ?? missing('UNet'),
    textEncoder: sd.configs.textEncoder ?? missing('text encoder'),
    vae: sd.configs.vae ?? missing('VAE'),
    ...(controlnet ? { controlnet: controlnet.configs.controlnet ?? missing('ControlNet') } : {}),
    params,
  };
}
