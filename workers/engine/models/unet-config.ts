/**
 * UNet2DConditionModel / ControlNetModel config.json → what the builder needs; anything outside SD1.5's
 * architecture is refused with the field named. Defaults are diffusers 0.40's constructor defaults.
 */
import { ConfigReader } from './config.ts';

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
  readonly crossAttentionDim: number;
  readonly conditioningChannels: number;
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
    crossAttentionDim: r.positive('cross_attention_dim', 1280),
    conditioningChannels: kind === 'controlnet' ? r.positive('conditioning_channels', 3) : 0,
  };
}
