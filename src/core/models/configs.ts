/**
 * The config.json fields that the loader and the memory plan read. Every config goes through the graph
 * builders' own architecture parser (./architecture.ts) first, so a model the loader calls ready is one the
 * builders build (DESIGN §4, §7): an unsupported value, including builder-only fields such as `act_fn` or
 * `resnet_time_scale_shift`, is refused at load with the field named.
 */
import {
  ConfigReader,
  ModelConfigError,
  parseClipArch,
  parseUNetArch,
  parseVaeArch,
  type UNetArch,
} from './architecture';

export interface UNetConfig {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly blockOutChannels: readonly number[];
  readonly downBlockTypes: readonly string[];
  readonly upBlockTypes: readonly string[];
  readonly layersPerBlock: number;
  readonly crossAttentionDim: number;
  /** Heads per transformer (diffusers' legacy `attention_head_dim` is a head count in SD1.5). */
  readonly attentionHeads: number;
  readonly transformerLayersPerBlock: number;
}

export interface ControlNetConfig extends Omit<UNetConfig, 'upBlockTypes' | 'outChannels'> {
  readonly conditioningChannels: number;
  readonly conditioningEmbeddingOutChannels: readonly number[];
}

export interface TextEncoderConfig {
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numHiddenLayers: number;
  readonly numAttentionHeads: number;
  readonly maxPositionEmbeddings: number;
}

export interface VaeConfig {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly latentChannels: number;
  readonly blockOutChannels: readonly number[];
  readonly layersPerBlock: number;
  readonly midBlockAddAttention: boolean;
}

/** A loader slot's class check: the architecture parser accepts both UNet and ControlNet configs. */
function expectKind(arch: UNetArch, kind: UNetArch['kind'], file: string): void {
  if (arch.kind !== kind)
    throw new ModelConfigError(
      'MODEL_ARCHITECTURE',
      `${file}: "_class_name" is ${kind === 'unet' ? '"ControlNetModel"' : '"UNet2DConditionModel"'}; this slot needs ${kind === 'unet' ? '"UNet2DConditionModel"' : '"ControlNetModel"'}.`,
      { file, field: '_class_name' },
    );
}

/** The plan's view of a UNet/ControlNet: heads as one count (the largest; SD1.5 has 8 in every block). */
function unetCommon(arch: UNetArch) {
  return {
    inChannels: arch.inChannels,
    blockOutChannels: arch.blockOutChannels,
    downBlockTypes: arch.downBlockTypes,
    layersPerBlock: arch.layersPerBlock,
    crossAttentionDim: arch.crossAttentionDim,
    attentionHeads: Math.max(...arch.heads),
    // The architecture parser accepts only 1 (DESIGN §4: what the builder implements).
    transformerLayersPerBlock: 1,
  };
}

export function parseUNetConfig(json: unknown, file = 'unet/config.json'): UNetConfig {
  const arch = parseUNetArch(json, file);
  expectKind(arch, 'unet', file);
  return { ...unetCommon(arch), outChannels: arch.outChannels, upBlockTypes: arch.upBlockTypes };
}

export function parseControlNetConfig(json: unknown, file = 'config.json'): ControlNetConfig {
  const arch = parseUNetArch(json, file);
  expectKind(arch, 'controlnet', file);
  return {
    ...unetCommon(arch),
    conditioningChannels: arch.conditioningChannels,
    conditioningEmbeddingOutChannels: arch.conditioningEmbeddingOutChannels,
  };
}

export function parseTextEncoderConfig(json: unknown, file = 'text_encoder/config.json'): TextEncoderConfig {
  const arch = parseClipArch(json, file);
  // Sizes the plan counts parameters with (the builder reads them from the weights' shapes).
  const r = new ConfigReader(json, file);
  return {
    vocabSize: r.positive('vocab_size'),
    hiddenSize: arch.hidden,
    intermediateSize: r.positive('intermediate_size'),
    numHiddenLayers: arch.layers,
    numAttentionHeads: arch.heads,
    maxPositionEmbeddings: arch.positions,
  };
}

export function parseVaeConfig(json: unknown, file = 'vae/config.json'): VaeConfig {
  const arch = parseVaeArch(json, file);
  return {
    inChannels: arch.inChannels,
    outChannels: arch.outChannels,
    latentChannels: arch.latentChannels,
    blockOutChannels: arch.blockOutChannels,
    layersPerBlock: arch.layersPerBlock,
    midBlockAddAttention: arch.midAttention,
  };
}
