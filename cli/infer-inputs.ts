/**
 * `videograin infer` inputs checked against the model's config.json before onnxruntime sees them (issue 13):
 * onnxruntime's own errors name no input ("Got invalid dimensions for input: … index: 1"), wrap negative ids
 * and round fractional ones silently. Every failure here is a CliUsageError (exit 2) naming the inputs file
 * and the tensor.
 *
 * - input_ids: [B, L], L ≤ max_position_embeddings (77), integer values in [0, vocab_size);
 * - sample/latent: [B, in_channels | latent_channels, h, w], h and w divisible by the network's downsampling;
 * - encoder_hidden_states: [B, L ≤ 77, cross_attention_dim];
 * - controlnet_cond: [B, conditioning_channels, h·k, w·k] with k = 2^(len(conditioning_embedding_out_channels)−1);
 * - image: [B, in_channels, H, W], H and W divisible by 2^(len(block_out_channels)−1);
 * - every float input finite.
 */
import { CliUsageError } from './command';
import {
  parseControlNetConfig,
  parseTextEncoderConfig,
  parseUNetConfig,
  parseVaeConfig,
} from '../src/core/models/configs';
import type { Component } from '../workers/engine/models/components';

export interface InferInput {
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array;
}

/** The CLIP text encoder's context: no SD1.5 prompt is longer (DESIGN §3.3). */
export const MAX_TOKENS = 77;

/** Token ids from float32 values: integers ≥ 0 only (no silent rounding or wrap-around); vocab is checked later. */
export function tokenIds(values: Float32Array, file: string): BigInt64Array {
  const out = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v)) throw new CliUsageError(`${file}: "input_ids"[${i}] = ${v} is not an integer token id`);
    if (v < 0) throw new CliUsageError(`${file}: "input_ids"[${i}] = ${v} is negative; token ids are ≥ 0`);
    out[i] = BigInt(v);
  }
  return out;
}

function shapeOf(t: InferInput): string {
  return `[${t.dims.join(', ')}]`;
}

/** Checks the inputs of `component` against its parsed config; throws CliUsageError naming the tensor. */
export function checkInferInputs(
  component: Component,
  inputs: ReadonlyMap<string, InferInput>,
  rawConfig: unknown,
  configFile: string,
  file: string,
): void {
  const bad = (name: string, why: string): never => {
    throw new CliUsageError(`${file}: "${name}" ${why}`);
  };
  const rank = (name: string, r: number, meaning: string) => {
    const t = inputs.get(name);
    if (!t) return undefined;
    if (t.dims.length !== r) bad(name, `has shape ${shapeOf(t)}; ${component} needs ${meaning}`);
    if (t.dims.some((d) => d < 1)) bad(name, `has shape ${shapeOf(t)} with an empty dimension`);
    return t.dims;
  };
  for (const [name, t] of inputs)
    if (t.data instanceof Float32Array) {
      const i = t.data.findIndex((v) => !Number.isFinite(v));
      if (i >= 0) bad(name, `holds a non-finite value (${t.data[i]}) at element ${i}`);
    }

  if (component === 'text_encoder') {
    const cfg = parseTextEncoderConfig(rawConfig, configFile);
    const ids = inputs.get('input_ids');
    const dims = rank('input_ids', 2, '[batch, tokens]');
    if (!ids || !dims) return;
    const limit = Math.min(MAX_TOKENS, cfg.maxPositionEmbeddings);
    if (dims[1]! > limit) bad('input_ids', `has ${dims[1]} tokens per prompt; at most ${limit} are allowed`);
    const data = ids.data as BigInt64Array;
    for (let i = 0; i < data.length; i++)
      if (data[i]! < 0n || data[i]! >= BigInt(cfg.vocabSize))
        bad('input_ids', `[${i}] = ${data[i]} is outside the vocabulary [0, ${cfg.vocabSize})`);
    return;
  }
  if (component === 'unet' || component === 'controlnet') {
    const cfg =
      component === 'unet' ? parseUNetConfig(rawConfig, configFile) : parseControlNetConfig(rawConfig, configFile);
    const sample = rank('sample', 4, `[batch, ${cfg.inChannels}, h, w]`);
    const down = 2 ** (cfg.blockOutChannels.length - 1);
    if (sample) {
      if (sample[1] !== cfg.inChannels)
        bad(
          'sample',
          `has ${sample[1]} channels (shape [${sample.join(', ')}]); the model's in_channels is ${cfg.inChannels}`,
        );
      if (sample[2]! % down !== 0 || sample[3]! % down !== 0)
        bad('sample', `has size ${sample[2]}×${sample[3]}; this model needs multiples of ${down}`);
    }
    const ehs = rank('encoder_hidden_states', 3, `[batch, tokens, ${cfg.crossAttentionDim}]`);
    if (ehs) {
      if (ehs[2] !== cfg.crossAttentionDim)
        bad(
          'encoder_hidden_states',
          `has width ${ehs[2]}; the model's cross_attention_dim is ${cfg.crossAttentionDim}`,
        );
      if (ehs[1]! > MAX_TOKENS) bad('encoder_hidden_states', `has ${ehs[1]} tokens; at most ${MAX_TOKENS}`);
    }
    if (sample && ehs && sample[0]! % ehs[0]! !== 0 && ehs[0]! % sample[0]! !== 0)
      bad('encoder_hidden_states', `has batch ${ehs[0]}, which does not divide the sample batch ${sample[0]}`);
    if (component === 'controlnet') {
      const cn = cfg as ReturnType<typeof parseControlNetConfig>;
      const k = 2 ** (cn.conditioningEmbeddingOutChannels.length - 1);
      const cond = rank('controlnet_cond', 4, `[batch, ${cn.conditioningChannels}, H, W]`);
      if (cond) {
        if (cond[1] !== cn.conditioningChannels)
          bad(
            'controlnet_cond',
            `has ${cond[1]} channels; the model's conditioning_channels is ${cn.conditioningChannels}`,
          );
        if (sample && (cond[2] !== sample[2]! * k || cond[3] !== sample[3]! * k))
          bad(
            'controlnet_cond',
            `is ${cond[2]}×${cond[3]}; with sample ${sample[2]}×${sample[3]} it must be ${sample[2]! * k}×${sample[3]! * k}`,
          );
      }
    }
    return;
  }
  const cfg = parseVaeConfig(rawConfig, configFile);
  const down = 2 ** (cfg.blockOutChannels.length - 1);
  if (component === 'vae_encoder') {
    const image = rank('image', 4, `[batch, ${cfg.inChannels}, H, W]`);
    if (image && image[1] !== cfg.inChannels)
      bad('image', `has ${image[1]} channels; the model's in_channels is ${cfg.inChannels}`);
    if (image && (image[2]! % down !== 0 || image[3]! % down !== 0))
      bad('image', `is ${image[2]}×${image[3]}; this VAE needs multiples of ${down}`);
  } else {
    const latent = rank('latent', 4, `[batch, ${cfg.latentChannels}, h, w]`);
    if (latent && latent[1] !== cfg.latentChannels)
      bad('latent', `has ${latent[1]} channels; the model's latent_channels is ${cfg.latentChannels}`);
  }
}
