/**
 * AutoencoderKL (diffusers `autoencoder_kl.py`, `vae.py`) as IR: the encoder to the latent distribution
 * (quant_conv moments → mean, std = exp(0.5·clamp(logvar, −30, 20))) and the decoder (post_quant_conv →
 * image). No scaling_factor inside (callers multiply/divide by it). Norm eps 1e-6 throughout; the mid-block
 * attention is a single-head Attention with GroupNorm and biased projections, added to its input.
 * Published VAEs may carry diffusers' deprecated attention-block names (`query`, `key`, `value`, `proj_attn`,
 * which diffusers converts on load) and 1×1-conv-shaped [C, C, 1, 1] projection weights: both are read here
 * as `to_q`/`to_k`/`to_v`/`to_out.0` [C, C] (same bytes, a reshape).
 */
import { GraphBuilder, type Graph } from '../graph/ir';
import { attention, downsample, resnet, upsample, type Spatial } from './blocks';
import { parseVaeArch, type VaeArch } from '../../../src/core/models/architecture';
import { conv, fromTokens, groupNorm, silu, toTokens, type Ctx } from './layers';
import type { WeightStore } from './weights';

const EPS = 1e-6;

const DEPRECATED: Readonly<Record<string, string>> = {
  to_q: 'query',
  to_k: 'key',
  to_v: 'value',
  'to_out.0': 'proj_attn',
};
const MID_ATTENTION = /^((?:en|de)coder\.mid_block\.attentions\.0)\.(to_q|to_k|to_v|to_out\.0)\.(weight|bias)$/;
/** A [C, C, 1, 1] conv-shaped linear weight as [C, C]. */
const squeeze1x1 = (s: readonly number[]): readonly number[] =>
  s.length === 4 && s[2] === 1 && s[3] === 1 ? [s[0]!, s[1]!] : s;

/** The VAE's weights with the mid-block attention under either naming (see the header). */
export function vaeWeights(w: WeightStore): WeightStore {
  return w.view((name) => {
    const m = MID_ATTENTION.exec(name);
    if (!m) return undefined;
    const [, block, proj, kind] = m as unknown as [string, string, string, string];
    const old = `${block}.${DEPRECATED[proj]!}.${kind}`;
    const stored = !w.has(name) && w.has(old) ? old : name;
    return kind === 'weight' ? { name: stored, shape: squeeze1x1 } : { name: stored };
  });
}

/** The architecture comes from the loader's own parser (src/core/models/architecture.ts, DESIGN §4). */
export { parseVaeArch, type VaeArch };

function midBlock(ctx: Ctx, x: string, s: Spatial, prefix: string, arch: VaeArch): string {
  const { g } = ctx;
  const opts = { groups: arch.groups, eps: EPS };
  ({ y: x, s } = resnet(ctx, x, s, `${prefix}.resnets.0`, opts));
  if (arch.midAttention) {
    const ap = `${prefix}.attentions.0`;
    const normed = toTokens(g, groupNorm(ctx, x, `${ap}.group_norm`, arch.groups, EPS, [s.c, s.h, s.w]), s.c);
    const tokens = s.h * s.w;
    const a = attention(ctx, normed, undefined, ap, {
      heads: 1,
      kind: 'self',
      frames: 1,
      queryTokens: tokens,
      keyTokens: tokens,
      projBias: true,
    });
    x = g.op('Add', [fromTokens(g, a, [s.c, s.h, s.w]), x]);
  }
  return resnet(ctx, x, s, `${prefix}.resnets.1`, opts).y;
}

export function buildVaeEncoder(
  w: WeightStore,
  arch: VaeArch,
  o: { batch: number; height: number; width: number },
): Graph {
  const g = new GraphBuilder('vae_encoder');
  const ctx: Ctx = { g, w: vaeWeights(w) };
  const image = g.input('image', 'float32', [o.batch, arch.inChannels, o.height, o.width]);
  const c0 = conv(ctx, image, 'encoder.conv_in');
  let x = c0.y;
  let s: Spatial = { c: c0.channels, h: o.height, w: o.width };
  for (let i = 0; i < arch.blocks; i++) {
    for (let j = 0; j < arch.layersPerBlock; j++)
      ({ y: x, s } = resnet(ctx, x, s, `encoder.down_blocks.${i}.resnets.${j}`, { groups: arch.groups, eps: EPS }));
    if (i < arch.blocks - 1) ({ y: x, s } = downsample(ctx, x, s, `encoder.down_blocks.${i}.downsamplers.0`, true));
  }
  x = midBlock(ctx, x, s, 'encoder.mid_block', arch);
  x = silu(g, groupNorm(ctx, x, 'encoder.conv_norm_out', arch.groups, EPS, [s.c, s.h, s.w]));
  let moments = conv(ctx, x, 'encoder.conv_out').y;
  if (arch.quantConv) moments = conv(ctx, moments, 'quant_conv').y;
  const lc = arch.latentChannels;
  const slice = (a: number, b: number) => g.op('Slice', [moments, g.constI64([a]), g.constI64([b]), g.constI64([1])]);
  const logvar = g.op('Clip', [slice(lc, 2 * lc), g.constF32([-30]), g.constF32([20])]);
  const shape = [o.batch, lc, s.h, s.w];
  g.output(slice(0, lc), 'latent_mean', shape);
  g.output(g.op('Exp', [g.op('Mul', [logvar, g.constF32([0.5])])]), 'latent_std', shape);
  return g.build();
}

export function buildVaeDecoder(
  w: WeightStore,
  arch: VaeArch,
  o: { batch: number; height: number; width: number },
): Graph {
  const g = new GraphBuilder('vae_decoder');
  const ctx: Ctx = { g, w: vaeWeights(w) };
  let x = g.input('latent', 'float32', [o.batch, arch.latentChannels, o.height, o.width]);
  if (arch.postQuantConv) x = conv(ctx, x, 'post_quant_conv').y;
  const c0 = conv(ctx, x, 'decoder.conv_in');
  x = c0.y;
  let s: Spatial = { c: c0.channels, h: o.height, w: o.width };
  x = midBlock(ctx, x, s, 'decoder.mid_block', arch);
  for (let i = 0; i < arch.blocks; i++) {
    for (let j = 0; j <= arch.layersPerBlock; j++)
      ({ y: x, s } = resnet(ctx, x, s, `decoder.up_blocks.${i}.resnets.${j}`, { groups: arch.groups, eps: EPS }));
    if (i < arch.blocks - 1) ({ y: x, s } = upsample(ctx, x, s, `decoder.up_blocks.${i}.upsamplers.0`));
  }
  x = silu(g, groupNorm(ctx, x, 'decoder.conv_norm_out', arch.groups, EPS, [s.c, s.h, s.w]));
  const out = conv(ctx, x, 'decoder.conv_out');
  g.output(out.y, 'image', [o.batch, out.channels, s.h, s.w]);
  return g.build();
}
