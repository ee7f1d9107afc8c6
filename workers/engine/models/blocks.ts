/**
 * diffusers building blocks (diffusers 0.40 `models/resnet.py`, `attention_processor.py`, `attention.py`,
 * `transformers/transformer_2d.py`) as IR: ResnetBlock2D, Attention (projections around an AttentionCore),
 * BasicTransformerBlock (self-attn, cross-attn, GEGLU feed-forward) and Transformer2DModel.
 */
import { WeightError } from './weights';
import { conv, fromTokens, gelu, groupNorm, layerNorm, linear, outChannels, silu, toTokens, type Ctx } from './layers';

export interface Spatial {
  readonly c: number;
  readonly h: number;
  readonly w: number;
}

export interface ResnetOptions {
  readonly groups: number;
  readonly eps: number;
  /** silu(time embedding) [1, T], or undefined for the VAE's resnets. */
  readonly tembAct?: string;
}

/** ResnetBlock2D: norm1 → silu → conv1 (+ time_emb_proj) → norm2 → silu → conv2, plus (shortcut) input. */
export function resnet(ctx: Ctx, x: string, s: Spatial, prefix: string, o: ResnetOptions): { y: string; s: Spatial } {
  const { g } = ctx;
  let h = silu(g, groupNorm(ctx, x, `${prefix}.norm1`, o.groups, o.eps, [s.c, s.h, s.w]));
  const c1 = conv(ctx, h, `${prefix}.conv1`);
  h = c1.y;
  const out = c1.channels;
  if (o.tembAct) {
    const t = linear(ctx, o.tembAct, `${prefix}.time_emb_proj`);
    h = g.op('Add', [h, g.op('Reshape', [t, g.constI64([-1, out, 1, 1])])]);
  }
  h = silu(g, groupNorm(ctx, h, `${prefix}.norm2`, o.groups, o.eps, [out, s.h, s.w]));
  h = conv(ctx, h, `${prefix}.conv2`).y;
  const shortcut = ctx.w.has(`${prefix}.conv_shortcut.weight`) ? conv(ctx, x, `${prefix}.conv_shortcut`).y : x;
  const y = g.tap(`${prefix}.out`, g.op('Add', [shortcut, h]));
  return { y, s: { c: out, h: s.h, w: s.w } };
}

export interface AttentionOptions {
  readonly heads: number;
  readonly kind: 'self' | 'cross';
  /** Batch items per token sequence (see AttentionCore.frames). */
  readonly frames: number;
  readonly queryTokens: number;
  readonly keyTokens: number;
  readonly projBias: boolean;
  readonly causal?: boolean;
  /** Parameter names of the q/k/v/out projections (diffusers: to_q, to_k, to_v, to_out.0). */
  readonly names?: readonly [string, string, string, string];
}

/** Attention module: projections around one AttentionCore. Returns the to_out output (no residual). */
export function attention(
  ctx: Ctx,
  x: string,
  context: string | undefined,
  prefix: string,
  o: AttentionOptions,
): string {
  const { g } = ctx;
  const [qn, kn, vn, on] = o.names ?? ['to_q', 'to_k', 'to_v', 'to_out.0'];
  const inner = outChannels(ctx, `${prefix}.${qn}`);
  if (inner % o.heads !== 0)
    throw new WeightError(`${prefix}.${qn} has ${inner} channels, not divisible by ${o.heads} heads (config).`, {
      tensor: `${prefix}.${qn}.weight`,
    });
  const kv = context ?? x;
  g.tap(`${prefix}.in_hidden_states`, x);
  const q = g.tap(`${prefix}.to_q`, linear(ctx, x, `${prefix}.${qn}`, o.projBias));
  const k = g.tap(`${prefix}.to_k`, linear(ctx, kv, `${prefix}.${kn}`, o.projBias));
  const v = g.tap(`${prefix}.to_v`, linear(ctx, kv, `${prefix}.${vn}`, o.projBias));
  const core = g.attention({
    name: prefix,
    attention: o.kind,
    heads: o.heads,
    headDim: inner / o.heads,
    frames: o.frames,
    queryTokens: o.queryTokens,
    keyTokens: o.keyTokens,
    causal: o.causal ?? false,
    q,
    k,
    v,
  });
  g.tap(`${prefix}.attn_core_out`, core);
  return g.tap(`${prefix}.out`, linear(ctx, core, `${prefix}.${on}`));
}

export interface TransformerOptions {
  readonly heads: number;
  readonly groups: number;
  readonly linearProjection: boolean;
  /** Self-attention frames (UNet: all frames of a sequence attend jointly; ControlNet: 1). */
  readonly selfFrames: number;
  /** Q items per text item in cross-attention. */
  readonly crossFrames: number;
  readonly textTokens: number;
}

/** BasicTransformerBlock (norm_type layer_norm, GEGLU). x: [B, N, C]. */
function basicBlock(ctx: Ctx, x: string, ehs: string, prefix: string, tokens: number, o: TransformerOptions): string {
  const { g } = ctx;
  const common = { heads: o.heads, queryTokens: tokens, projBias: false };
  const a1 = attention(ctx, layerNorm(ctx, x, `${prefix}.norm1`, 1e-5), undefined, `${prefix}.attn1`, {
    ...common,
    kind: 'self',
    frames: o.selfFrames,
    keyTokens: tokens,
  });
  x = g.op('Add', [a1, x]);
  const a2 = attention(ctx, layerNorm(ctx, x, `${prefix}.norm2`, 1e-5), ehs, `${prefix}.attn2`, {
    ...common,
    kind: 'cross',
    frames: o.crossFrames,
    keyTokens: o.textTokens,
  });
  x = g.op('Add', [a2, x]);
  const n3 = layerNorm(ctx, x, `${prefix}.norm3`, 1e-5);
  const proj = linear(ctx, n3, `${prefix}.ff.net.0.proj`);
  const inner = outChannels(ctx, `${prefix}.ff.net.0.proj`) / 2;
  const half = (start: number) =>
    g.op('Slice', [proj, g.constI64([start]), g.constI64([start + inner]), g.constI64([-1])]);
  const geglu = g.op('Mul', [half(0), gelu(g, half(inner))]);
  const ff = linear(ctx, geglu, `${prefix}.ff.net.2`);
  return g.op('Add', [ff, x]);
}

/** Transformer2DModel (continuous input): GroupNorm(eps 1e-6) → proj_in → blocks → proj_out, + input. */
export function transformer2d(
  ctx: Ctx,
  x: string,
  s: Spatial,
  ehs: string,
  prefix: string,
  o: TransformerOptions,
): string {
  const { g } = ctx;
  const inner = outChannels(ctx, `${prefix}.proj_in`);
  let h = groupNorm(ctx, x, `${prefix}.norm`, o.groups, 1e-6, [s.c, s.h, s.w]);
  if (o.linearProjection) {
    ctx.w.get(`${prefix}.proj_in.weight`, [inner, s.c]);
    h = linear(ctx, toTokens(g, h, s.c), `${prefix}.proj_in`);
  } else {
    h = toTokens(g, conv(ctx, h, `${prefix}.proj_in`).y, inner);
  }
  const tokens = s.h * s.w;
  for (let j = 0; ctx.w.has(`${prefix}.transformer_blocks.${j}.norm1.weight`); j++)
    h = basicBlock(ctx, h, ehs, `${prefix}.transformer_blocks.${j}`, tokens, o);
  if (o.linearProjection) {
    h = fromTokens(g, linear(ctx, h, `${prefix}.proj_out`), [s.c, s.h, s.w]);
  } else {
    h = conv(ctx, fromTokens(g, h, [inner, s.h, s.w]), `${prefix}.proj_out`).y;
  }
  return g.tap(`${prefix}.out`, g.op('Add', [h, x]));
}

/** Downsample2D with a conv: stride 2, symmetric padding `pad` (UNet: 1) or the VAE's (0, 1, 0, 1) pad. */
export function downsample(
  ctx: Ctx,
  x: string,
  s: Spatial,
  prefix: string,
  asymmetric: boolean,
): { y: string; s: Spatial } {
  const pads: [number, number, number, number] = asymmetric ? [0, 0, 1, 1] : [1, 1, 1, 1];
  const { y, channels } = conv(ctx, x, `${prefix}.conv`, { stride: 2, pads });
  return { y: ctx.g.tap(`${prefix}.out`, y), s: { c: channels, h: Math.floor(s.h / 2), w: Math.floor(s.w / 2) } };
}

/** Upsample2D: nearest ×2 (torch `interpolate(scale_factor=2, mode="nearest")`) then a 3×3 conv. */
export function upsample(ctx: Ctx, x: string, s: Spatial, prefix: string): { y: string; s: Spatial } {
  const { g } = ctx;
  const up = g.op('Resize', [x, '', g.constF32([1, 1, 2, 2], [4])], {
    mode: { string: 'nearest' },
    coordinate_transformation_mode: { string: 'asymmetric' },
    nearest_mode: { string: 'floor' },
  });
  const { y, channels } = conv(ctx, up, `${prefix}.conv`);
  return { y: g.tap(`${prefix}.out`, y), s: { c: channels, h: s.h * 2, w: s.w * 2 } };
}

export const concatChannels = (ctx: Ctx, a: string, b: string): string =>
  ctx.g.op('Concat', [a, b], { axis: { int: 1 } });
