/**
 * The config.json fields that the loader and the memory plan read, parsed from untrusted JSON with the field
 * named on failure. Only the SD1.5 family is accepted (DESIGN §4): `_class_name` and block types are checked
 * here (MODEL_ARCHITECTURE); the finer architecture checks belong to the graph builder.
 */
import { ModelError } from './errors';

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

type Json = Record<string, unknown>;

const DOWN_TYPES = ['CrossAttnDownBlock2D', 'DownBlock2D'];
const UP_TYPES = ['CrossAttnUpBlock2D', 'UpBlock2D'];

class Fields {
  constructor(
    private readonly json: Json,
    private readonly file: string,
  ) {}

  fail(code: 'MODEL_CONFIG_INVALID' | 'MODEL_ARCHITECTURE', field: string, why: string): never {
    throw new ModelError(
      code,
      `${this.file}: ${field} ${why}. This app runs Stable Diffusion 1.5-family models only.`,
      {
        file: this.file,
        field,
      },
    );
  }

  int(field: string, fallback?: number): number {
    const v = this.json[field] ?? fallback;
    if (!Number.isSafeInteger(v) || (v as number) <= 0)
      this.fail('MODEL_CONFIG_INVALID', field, `must be a positive integer (got ${JSON.stringify(v)})`);
    return v as number;
  }

  ints(field: string, fallback?: number[]): number[] {
    const v = this.json[field] ?? fallback;
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => Number.isSafeInteger(x) && x > 0))
      this.fail('MODEL_CONFIG_INVALID', field, 'must be a non-empty list of positive integers');
    return v as number[];
  }

  /** An int, or the single value of a list (diffusers allows per-block lists; we need them uniform). */
  uniformInt(field: string, fallback: number): number {
    const v = this.json[field];
    if (Array.isArray(v)) {
      if (!v.every((x) => x === v[0])) this.fail('MODEL_ARCHITECTURE', field, 'must be the same for every block');
      return new Fields({ [field]: v[0] }, this.file).int(field);
    }
    return this.int(field, fallback);
  }

  oneOf(field: string, allowed: readonly (string | boolean | null)[], fallback?: string | boolean | null): void {
    const v = field in this.json ? this.json[field] : fallback;
    if (!allowed.includes(v as string | boolean | null))
      this.fail(
        'MODEL_ARCHITECTURE',
        field,
        `= ${JSON.stringify(v)} is not supported (supported: ${allowed.map((a) => JSON.stringify(a)).join(', ')})`,
      );
  }

  blockTypes(field: string, allowed: readonly string[]): string[] {
    const v = this.json[field];
    if (!Array.isArray(v) || v.length === 0) this.fail('MODEL_CONFIG_INVALID', field, 'must be a non-empty list');
    v.forEach((t, i) => {
      if (!allowed.includes(t as string))
        this.fail(
          'MODEL_ARCHITECTURE',
          `${field}[${i}]`,
          `= ${JSON.stringify(t)} is not supported (supported: ${allowed.join(', ')})`,
        );
    });
    return v as string[];
  }
}

function asObject(json: unknown, file: string): Json {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new ModelError('MODEL_CONFIG_INVALID', `${file} is not a JSON object`, { file });
  return json as Json;
}

function unetCommon(obj: Json, f: Fields, blockOut: number[]) {
  const heads =
    obj.num_attention_heads != null ? f.uniformInt('num_attention_heads', 8) : f.uniformInt('attention_head_dim', 8);
  return {
    inChannels: f.int('in_channels', 4),
    blockOutChannels: blockOut,
    layersPerBlock: f.uniformInt('layers_per_block', 2),
    crossAttentionDim: f.int('cross_attention_dim', 768),
    attentionHeads: heads,
    transformerLayersPerBlock: f.uniformInt('transformer_layers_per_block', 1),
  };
}

export function parseUNetConfig(json: unknown, file = 'unet/config.json'): UNetConfig {
  const obj = asObject(json, file);
  const f = new Fields(obj, file);
  f.oneOf('_class_name', ['UNet2DConditionModel']);
  f.oneOf('mid_block_type', ['UNetMidBlock2DCrossAttn'], 'UNetMidBlock2DCrossAttn');
  f.oneOf('addition_embed_type', [null], null);
  f.oneOf('class_embed_type', [null], null);
  const blockOut = f.ints('block_out_channels');
  const down = f.blockTypes('down_block_types', DOWN_TYPES);
  const up = f.blockTypes('up_block_types', UP_TYPES);
  if (down.length !== blockOut.length || up.length !== blockOut.length)
    f.fail('MODEL_ARCHITECTURE', 'down_block_types', 'and up_block_types must have one entry per block_out_channels');
  return {
    ...unetCommon(obj, f, blockOut),
    outChannels: f.int('out_channels', 4),
    downBlockTypes: down,
    upBlockTypes: up,
  };
}

export function parseControlNetConfig(json: unknown, file = 'config.json'): ControlNetConfig {
  const obj = asObject(json, file);
  const f = new Fields(obj, file);
  f.oneOf('_class_name', ['ControlNetModel']);
  f.oneOf('mid_block_type', ['UNetMidBlock2DCrossAttn'], 'UNetMidBlock2DCrossAttn');
  f.oneOf('class_embed_type', [null], null);
  f.oneOf('global_pool_conditions', [false], false);
  const blockOut = f.ints('block_out_channels');
  const down = f.blockTypes('down_block_types', DOWN_TYPES);
  if (down.length !== blockOut.length)
    f.fail('MODEL_ARCHITECTURE', 'down_block_types', 'must have one entry per block_out_channels');
  return {
    ...unetCommon(obj, f, blockOut),
    downBlockTypes: down,
    conditioningChannels: f.int('conditioning_channels', 3),
    conditioningEmbeddingOutChannels: f.ints('conditioning_embedding_out_channels', [16, 32, 96, 256]),
  };
}

export function parseTextEncoderConfig(json: unknown, file = 'text_encoder/config.json'): TextEncoderConfig {
  const obj = asObject(json, file);
  const f = new Fields(obj, file);
  const arch = obj.architectures;
  if (Array.isArray(arch) ? !arch.includes('CLIPTextModel') : obj.model_type !== 'clip_text_model')
    f.fail(
      'MODEL_ARCHITECTURE',
      'architectures',
      `= ${JSON.stringify(arch)} is not supported (supported: ["CLIPTextModel"])`,
    );
  f.oneOf('hidden_act', ['quick_gelu', 'gelu'], 'quick_gelu');
  return {
    vocabSize: f.int('vocab_size'),
    hiddenSize: f.int('hidden_size'),
    intermediateSize: f.int('intermediate_size'),
    numHiddenLayers: f.int('num_hidden_layers'),
    numAttentionHeads: f.int('num_attention_heads'),
    maxPositionEmbeddings: f.int('max_position_embeddings', 77),
  };
}

export function parseVaeConfig(json: unknown, file = 'vae/config.json'): VaeConfig {
  const obj = asObject(json, file);
  const f = new Fields(obj, file);
  f.oneOf('_class_name', ['AutoencoderKL']);
  const blockOut = f.ints('block_out_channels');
  f.blockTypes('down_block_types', ['DownEncoderBlock2D']);
  f.blockTypes('up_block_types', ['UpDecoderBlock2D']);
  const add: unknown = obj.mid_block_add_attention ?? true;
  if (typeof add !== 'boolean') return f.fail('MODEL_CONFIG_INVALID', 'mid_block_add_attention', 'must be a boolean');
  return {
    inChannels: f.int('in_channels', 3),
    outChannels: f.int('out_channels', 3),
    latentChannels: f.int('latent_channels', 4),
    blockOutChannels: blockOut,
    layersPerBlock: f.int('layers_per_block', 1),
    midBlockAddAttention: add,
  };
}
