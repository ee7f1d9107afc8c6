/**
 * Parameter counts of SD1.5-family components computed from their configs, following the module structure
 * of diffusers 0.40 (UNet2DConditionModel, ControlNetModel, AutoencoderKL) and transformers (CLIPTextModel):
 * conv k×k: cin·cout·k² + cout; linear: cin·cout (+ cout with bias); GroupNorm/LayerNorm: 2·c.
 * SD1.5 gives UNet 859,520,964, text encoder 123,060,480, VAE 83,653,863, ControlNet v1.1 361,279,120 (the tiny golden models match their
 * safetensors headers exactly).
 */
import type { ControlNetConfig, TextEncoderConfig, UNetConfig, VaeConfig } from '../models/configs';

const conv = (cin: number, cout: number, k = 3) => cin * cout * k * k + cout;
const linear = (cin: number, cout: number, bias = true) => cin * cout + (bias ? cout : 0);
const norm = (c: number) => 2 * c;

/** Time embedding width of the UNet (4 × the first block's channels). */
export const timeEmbedDim = (blockOut: readonly number[]) => 4 * blockOut[0]!;

function resnet(cin: number, cout: number, temb: number | null): number {
  return (
    norm(cin) +
    conv(cin, cout) +
    (temb ? linear(temb, cout) : 0) +
    norm(cout) +
    conv(cout, cout) +
    (cin !== cout ? conv(cin, cout, 1) : 0)
  );
}

/** Transformer2DModel (conv proj_in/proj_out, as SD1.5) with BasicTransformerBlocks and a GEGLU feed-forward. */
function transformer(c: number, crossDim: number, layers: number): number {
  const block =
    norm(c) +
    3 * linear(c, c, false) +
    linear(c, c) + // attn1
    norm(c) +
    linear(c, c, false) +
    2 * linear(crossDim, c, false) +
    linear(c, c) + // attn2
    norm(c) +
    linear(c, 8 * c) +
    linear(4 * c, c); // GEGLU ff
  return norm(c) + conv(c, c, 1) + layers * block + conv(c, c, 1);
}

interface Encoder {
  readonly blockOutChannels: readonly number[];
  readonly downBlockTypes: readonly string[];
  readonly layersPerBlock: number;
  readonly crossAttentionDim: number;
  readonly transformerLayersPerBlock: number;
  readonly inChannels: number;
}

/** conv_in + time embedding + down blocks + mid block: the part UNet and ControlNet share. */
function encoderParams(cfg: Encoder): { params: number; skipChannels: number[] } {
  const ch = cfg.blockOutChannels;
  const temb = timeEmbedDim(ch);
  let p = conv(cfg.inChannels, ch[0]!) + linear(ch[0]!, temb) + linear(temb, temb);
  const skips = [ch[0]!];
  let cin = ch[0]!;
  cfg.downBlockTypes.forEach((type, i) => {
    const cout = ch[i]!;
    for (let l = 0; l < cfg.layersPerBlock; l++) {
      p += resnet(l === 0 ? cin : cout, cout, temb);
      if (type === 'CrossAttnDownBlock2D') p += transformer(cout, cfg.crossAttentionDim, cfg.transformerLayersPerBlock);
      skips.push(cout);
    }
    if (i < ch.length - 1) {
      p += conv(cout, cout);
      skips.push(cout);
    }
    cin = cout;
  });
  const mid = ch[ch.length - 1]!;
  p += 2 * resnet(mid, mid, temb) + transformer(mid, cfg.crossAttentionDim, cfg.transformerLayersPerBlock);
  return { params: p, skipChannels: skips };
}

export function unetParams(cfg: UNetConfig): number {
  const { params, skipChannels } = encoderParams(cfg);
  const ch = cfg.blockOutChannels;
  const temb = timeEmbedDim(ch);
  const rev = [...ch].reverse();
  const skips = [...skipChannels];
  let p = params;
  let prev = rev[0]!;
  cfg.upBlockTypes.forEach((type, i) => {
    const cout = rev[i]!;
    for (let l = 0; l <= cfg.layersPerBlock; l++) {
      const skip = skips.pop()!;
      p += resnet((l === 0 ? prev : cout) + skip, cout, temb);
      if (type === 'CrossAttnUpBlock2D') p += transformer(cout, cfg.crossAttentionDim, cfg.transformerLayersPerBlock);
    }
    if (i < ch.length - 1) p += conv(cout, cout);
    prev = cout;
  });
  return p + norm(ch[0]!) + conv(ch[0]!, cfg.outChannels);
}

export function controlNetParams(cfg: ControlNetConfig): number {
  const { params, skipChannels } = encoderParams(cfg);
  const emb = cfg.conditioningEmbeddingOutChannels;
  let p = params + conv(cfg.conditioningChannels, emb[0]!);
  for (let i = 0; i < emb.length - 1; i++) p += conv(emb[i]!, emb[i]!) + conv(emb[i]!, emb[i + 1]!);
  p += conv(emb[emb.length - 1]!, cfg.blockOutChannels[0]!);
  // Zero convs: one 1×1 per skip connection, one for the mid block.
  for (const c of skipChannels) p += conv(c, c, 1);
  const mid = cfg.blockOutChannels[cfg.blockOutChannels.length - 1]!;
  return p + conv(mid, mid, 1);
}

export function textEncoderParams(cfg: TextEncoderConfig): number {
  const d = cfg.hiddenSize;
  const layer =
    norm(d) + 4 * linear(d, d) + norm(d) + linear(d, cfg.intermediateSize) + linear(cfg.intermediateSize, d);
  return cfg.vocabSize * d + cfg.maxPositionEmbeddings * d + cfg.numHiddenLayers * layer + norm(d);
}

function vaeMid(c: number, attention: boolean): number {
  return 2 * resnet(c, c, null) + (attention ? norm(c) + 4 * linear(c, c) : 0);
}

export function vaeEncoderParams(cfg: VaeConfig): number {
  const ch = cfg.blockOutChannels;
  let p = conv(cfg.inChannels, ch[0]!);
  let cin = ch[0]!;
  ch.forEach((cout, i) => {
    for (let l = 0; l < cfg.layersPerBlock; l++) p += resnet(l === 0 ? cin : cout, cout, null);
    if (i < ch.length - 1) p += conv(cout, cout);
    cin = cout;
  });
  const top = ch[ch.length - 1]!;
  p += vaeMid(top, cfg.midBlockAddAttention) + norm(top) + conv(top, 2 * cfg.latentChannels);
  return p + conv(2 * cfg.latentChannels, 2 * cfg.latentChannels, 1); // quant_conv
}

export function vaeDecoderParams(cfg: VaeConfig): number {
  const rev = [...cfg.blockOutChannels].reverse();
  let p = conv(cfg.latentChannels, cfg.latentChannels, 1); // post_quant_conv
  p += conv(cfg.latentChannels, rev[0]!) + vaeMid(rev[0]!, cfg.midBlockAddAttention);
  let prev = rev[0]!;
  rev.forEach((cout, i) => {
    for (let l = 0; l <= cfg.layersPerBlock; l++) p += resnet(l === 0 ? prev : cout, cout, null);
    if (i < rev.length - 1) p += conv(cout, cout);
    prev = cout;
  });
  const last = rev[rev.length - 1]!;
  return p + norm(last) + conv(last, cfg.outChannels);
}

export const vaeParams = (cfg: VaeConfig) => vaeEncoderParams(cfg) + vaeDecoderParams(cfg);
