/**
 * The one parser of model architectures (DESIGN §4: "the loader and the graph builders share one parser, so a
 * model that loads also builds"). config.json is untrusted JSON: every field the builders depend on is checked,
 * and a value they do not implement is refused with the field named (MODEL_ARCHITECTURE; malformed values:
 * MODEL_CONFIG_INVALID). The loader (./validate.ts through ./configs.ts) and the graph builders
 * (workers/engine/models/) both call these functions. Defaults are diffusers 0.40's / transformers'
 * constructor defaults. Pure code: workers import it, it imports nothing from workers.
 */
import { ModelError, type ModelErrorCode } from './errors';

type ConfigErrorCode = Extract<ModelErrorCode, 'MODEL_ARCHITECTURE' | 'MODEL_CONFIG_INVALID'>;

export class ModelConfigError extends ModelError {
  constructor(code: ConfigErrorCode, message: string, details: Readonly<Record<string, string | number | boolean>>) {
    super(code, message, details);
    this.name = 'ModelConfigError';
  }
}

export type Json = Readonly<Record<string, unknown>>;

export class ConfigReader {
  readonly json: Json;
  constructor(
    json: unknown,
    readonly file: string,
  ) {
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw new ModelConfigError('MODEL_CONFIG_INVALID', `${file} is not a JSON object.`, { file });
    this.json = json as Json;
  }

  private value(field: string, fallback: unknown): unknown {
    return field in this.json && this.json[field] !== undefined ? this.json[field] : fallback;
  }

  invalid(field: string, why: string): never {
    throw new ModelConfigError('MODEL_CONFIG_INVALID', `${this.file}: "${field}" ${why}.`, { file: this.file, field });
  }

  unsupported(field: string, value: unknown, supported: string): never {
    throw new ModelConfigError(
      'MODEL_ARCHITECTURE',
      `${this.file}: "${field}" = ${JSON.stringify(value)} is not supported (supported: ${supported}); only Stable Diffusion 1.5-family models can be built.`,
      { file: this.file, field },
    );
  }

  int(field: string, fallback?: number): number {
    const v = this.value(field, fallback);
    if (!Number.isSafeInteger(v)) this.invalid(field, `must be an integer (got ${JSON.stringify(v)})`);
    return v as number;
  }

  positive(field: string, fallback?: number): number {
    const v = this.int(field, fallback);
    if (v <= 0) this.invalid(field, `must be positive (got ${v})`);
    return v;
  }

  number(field: string, fallback?: number): number {
    const v = this.value(field, fallback);
    if (typeof v !== 'number' || !Number.isFinite(v))
      this.invalid(field, `must be a number (got ${JSON.stringify(v)})`);
    return v;
  }

  bool(field: string, fallback?: boolean): boolean {
    const v = this.value(field, fallback);
    if (typeof v !== 'boolean') this.invalid(field, `must be true or false (got ${JSON.stringify(v)})`);
    return v;
  }

  string(field: string, fallback?: string): string {
    const v = this.value(field, fallback);
    if (typeof v !== 'string') this.invalid(field, `must be a string (got ${JSON.stringify(v)})`);
    return v;
  }

  positiveList(field: string, fallback?: number[]): number[] {
    const v = this.value(field, fallback);
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => Number.isSafeInteger(x) && x > 0))
      this.invalid(field, 'must be a non-empty list of positive integers');
    return v as number[];
  }

  stringList(field: string, fallback?: string[]): string[] {
    const v = this.value(field, fallback);
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string'))
      this.invalid(field, 'must be a non-empty list of strings');
    return v as string[];
  }

  /** An int, or a list whose entries are all equal to one int (per-block lists are allowed when uniform). */
  uniformInt(field: string, fallback: number): number {
    const v = this.value(field, fallback);
    if (Array.isArray(v)) {
      if (v.length === 0 || !v.every((x) => x === v[0])) this.unsupported(field, v, 'one value for every block');
      return new ConfigReader({ [field]: v[0] }, this.file).positive(field);
    }
    return this.positive(field, fallback);
  }

  /** Refuses any value other than the allowed ones (absent fields take `fallback`). */
  only(field: string, allowed: readonly unknown[], fallback: unknown = allowed[0]): void {
    const v = this.value(field, fallback);
    if (!allowed.some((a) => a === v)) this.unsupported(field, v, allowed.map((a) => JSON.stringify(a)).join(', '));
  }
}

// UNet2DConditionModel / ControlNetModel (diffusers).

export interface UNetArch {
  readonly kind: 'unet' | 'controlnet';
  readonly blockOutChannels: readonly number[];
  readonly downBlockTypes: readonly ('CrossAttnDownBlock2D' | 'DownBlock2D')[];
  readonly upBlockTypes: readonly ('CrossAttnUpBlock2D' | 'UpBlock2D')[];
  readonly layersPerBlock: number;
  /** Heads per down block (mid uses the last, up blocks the reverse). */
  readonly heads: readonly number[];
  readonly groups: number;
  readonly eps: number;
  readonly flipSinToCos: boolean;
  readonly freqShift: number;
  readonly linearProjection: boolean;
  readonly inChannels: number;
  /** UNet only (0 for a ControlNet). */
  readonly outChannels: number;
  readonly crossAttentionDim: number;
  /** ControlNet only (0 / empty for a UNet). */
  readonly conditioningChannels: number;
  readonly conditioningEmbeddingOutChannels: readonly number[];
}

export function parseUNetArch(json: unknown, file: string): UNetArch {
  const r = new ConfigReader(json, file);
  const cls = r.string('_class_name', 'UNet2DConditionModel');
  if (cls !== 'UNet2DConditionModel' && cls !== 'ControlNetModel')
    r.unsupported('_class_name', cls, '"UNet2DConditionModel", "ControlNetModel"');
  const kind = cls === 'ControlNetModel' ? 'controlnet' : 'unet';
  r.only('act_fn', ['silu']);
  for (const f of [
    'addition_embed_type',
    'class_embed_type',
    'encoder_hid_dim',
    'encoder_hid_dim_type',
    'num_class_embeds',
    'time_cond_proj_dim',
    'timestep_post_act',
    'time_embedding_act_fn',
    'cross_attention_norm',
    'projection_class_embeddings_input_dim',
    'addition_time_embed_dim',
  ])
    r.only(f, [null]);
  r.only('time_embedding_type', ['positional']);
  r.only('resnet_time_scale_shift', ['default']);
  r.only('mid_block_type', ['UNetMidBlock2DCrossAttn']);
  r.only('mid_block_scale_factor', [1]);
  r.only('only_cross_attention', [false]);
  r.only('dual_cross_attention', [false]);
  r.only('downsample_padding', [1]);
  r.only('transformer_layers_per_block', [1]);
  r.only('upcast_attention', [false, true], false); // fp32 compute: upcasting changes nothing
  if (kind === 'unet') {
    r.only('attention_type', ['default']);
    r.only('center_input_sample', [false]);
    r.only('conv_in_kernel', [3]);
    r.only('conv_out_kernel', [3]);
    r.only('resnet_skip_time_act', [false]);
    r.only('resnet_out_scale_factor', [1]);
    r.only('class_embeddings_concat', [false]);
    r.only('reverse_transformer_layers_per_block', [null]);
  } else {
    r.only('controlnet_conditioning_channel_order', ['rgb']);
    r.only('global_pool_conditions', [false]);
  }
  const blockOut = r.positiveList('block_out_channels', [320, 640, 1280, 1280]);
  const down = r.stringList('down_block_types');
  down.forEach((t, i) => {
    if (t !== 'CrossAttnDownBlock2D' && t !== 'DownBlock2D')
      r.unsupported(`down_block_types[${i}]`, t, '"CrossAttnDownBlock2D", "DownBlock2D"');
  });
  if (down.length !== blockOut.length) r.invalid('down_block_types', 'must have one entry per block_out_channels');
  const up = kind === 'unet' ? r.stringList('up_block_types') : [];
  up.forEach((t, i) => {
    if (t !== 'CrossAttnUpBlock2D' && t !== 'UpBlock2D')
      r.unsupported(`up_block_types[${i}]`, t, '"CrossAttnUpBlock2D", "UpBlock2D"');
  });
  if (kind === 'unet' && up.length !== blockOut.length)
    r.invalid('up_block_types', 'must have one entry per block_out_channels');

  const headsField = r.json.num_attention_heads != null ? 'num_attention_heads' : 'attention_head_dim';
  const rawHeads = r.json[headsField] ?? 8;
  const heads = Array.isArray(rawHeads) ? rawHeads : blockOut.map(() => rawHeads);
  if (heads.length !== blockOut.length || !heads.every((h) => Number.isSafeInteger(h) && (h as number) > 0))
    r.invalid(headsField, 'must be a positive integer or one per block');
  const flip = r.bool('flip_sin_to_cos', true);
  return {
    kind,
    blockOutChannels: blockOut,
    downBlockTypes: down as UNetArch['downBlockTypes'],
    upBlockTypes: up as UNetArch['upBlockTypes'],
    layersPerBlock: r.uniformInt('layers_per_block', 2),
    heads: heads as number[],
    groups: r.positive('norm_num_groups', 32),
    eps: r.number('norm_eps', 1e-5),
    flipSinToCos: flip,
    freqShift: r.int('freq_shift', 0),
    linearProjection: r.bool('use_linear_projection', false),
    inChannels: r.positive('in_channels', 4),
    outChannels: kind === 'unet' ? r.positive('out_channels', 4) : 0,
    crossAttentionDim: r.positive('cross_attention_dim', 1280),
    conditioningChannels: kind === 'controlnet' ? r.positive('conditioning_channels', 3) : 0,
    conditioningEmbeddingOutChannels:
      kind === 'controlnet' ? r.positiveList('conditioning_embedding_out_channels', [16, 32, 96, 256]) : [],
  };
}

// CLIPTextModel (transformers).

export interface ClipArch {
  readonly hidden: number;
  readonly heads: number;
  readonly layers: number;
  readonly positions: number;
  readonly eps: number;
  readonly act: 'quick_gelu' | 'gelu';
}

export function parseClipArch(json: unknown, file: string): ClipArch {
  const r = new ConfigReader(json, file);
  const arch = r.json.architectures;
  if (
    Array.isArray(arch)
      ? !arch.includes('CLIPTextModel') && !arch.includes('CLIPTextModelWithProjection')
      : r.json.model_type !== 'clip_text_model'
  )
    r.unsupported('architectures', arch, '["CLIPTextModel"]');
  r.only('hidden_act', ['quick_gelu', 'gelu']);
  const hidden = r.positive('hidden_size');
  const heads = r.positive('num_attention_heads');
  if (hidden % heads) r.invalid('num_attention_heads', `must divide hidden_size ${hidden}`);
  return {
    hidden,
    heads,
    layers: r.positive('num_hidden_layers'),
    positions: r.positive('max_position_embeddings', 77),
    eps: r.number('layer_norm_eps', 1e-5),
    act: r.string('hidden_act', 'quick_gelu') as ClipArch['act'],
  };
}

// AutoencoderKL (diffusers).

export interface VaeArch {
  readonly blocks: number;
  readonly blockOutChannels: readonly number[];
  readonly outChannels: number;
  readonly layersPerBlock: number;
  readonly groups: number;
  readonly latentChannels: number;
  readonly inChannels: number;
  readonly midAttention: boolean;
  readonly quantConv: boolean;
  readonly postQuantConv: boolean;
}

export function parseVaeArch(json: unknown, file: string): VaeArch {
  const r = new ConfigReader(json, file);
  r.only('_class_name', ['AutoencoderKL']);
  r.only('act_fn', ['silu']);
  const blockOut = r.positiveList('block_out_channels', [64]);
  r.stringList('down_block_types').forEach((t, i) => {
    if (t !== 'DownEncoderBlock2D') r.unsupported(`down_block_types[${i}]`, t, '"DownEncoderBlock2D"');
  });
  r.stringList('up_block_types').forEach((t, i) => {
    if (t !== 'UpDecoderBlock2D') r.unsupported(`up_block_types[${i}]`, t, '"UpDecoderBlock2D"');
  });
  r.only('latents_mean', [null]);
  r.only('latents_std', [null]);
  r.only('shift_factor', [null, 0]);
  return {
    blocks: blockOut.length,
    blockOutChannels: blockOut,
    outChannels: r.positive('out_channels', 3),
    layersPerBlock: r.positive('layers_per_block', 1),
    groups: r.positive('norm_num_groups', 32),
    latentChannels: r.positive('latent_channels', 4),
    inChannels: r.positive('in_channels', 3),
    midAttention: r.bool('mid_block_add_attention', true),
    quantConv: r.bool('use_quant_conv', true),
    postQuantConv: r.bool('use_post_quant_conv', true),
  };
}
