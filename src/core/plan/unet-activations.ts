/**
 * Live activation bytes of one UNet (+ ControlNet) evaluation, walked block by block from the config
 * (diffusers UNet2DConditionModel / ControlNetModel structure; see ./plan.ts for the method and assumptions).
 *
 * Units: `t(C, level)` = bytes of one [n, C, h/2^level, w/2^level] tensor for the n frames of the pass.
 * Transient bytes of each op, unchunked (k = 1) or with the per-frame work done c frames at a time:
 *   resnet  Cin→Cout  : Cin + 4·Cout                 (x kept for the residual + GN out, sigmoid, SiLU out, conv out)
 *                chunked: full Cin + Cout, chunk Cin + 4·Cout
 *   up resnet (concat): prev + skip + max(Cin, …)    chunked: concat gathered per chunk, never whole
 *   transformer C     : self-attn 6·C (x_in, h, LN out, q, k, v → o), FF 18·C (x_in, h, GEGLU proj 8·C,
 *                       its two halves 4·C + 4·C as Split copies); chunked: full x_in, h, h_next (+ K, V for
 *                       self-attention, whose keys span all frames) and chunk 4·C (attn) / 17·C (FF)
 *   attention core    : fused (DESIGN §3.4, §5): no score maps, 4 floats of row statistics per query and head.
 *   flow attention    : at FLATTEN levels (UNet only, DESIGN §3.6) + 1·C (its output beside the core output;
 *                       Q/K are the projections already counted; ≤ F scores per query stay in registers).
 */
import type { ControlNetConfig, UNetConfig } from '../models/configs';
import { Pass, type PassShape } from './pass';
import type { PeakTracker } from './tracker';

type Encoder = Pick<
  UNetConfig,
  'blockOutChannels' | 'downBlockTypes' | 'layersPerBlock' | 'attentionHeads' | 'inChannels'
>;

/**
 * conv_in, down blocks, mid block. `onSkip(i, C, level)` is called for each skip connection as it is produced
 * (UNet: hold it for the up path; ControlNet: zero-conv it into a held residual).
 */
function encoder(p: Pass, cfg: Encoder, onSkip: (i: number, c: number, level: number) => boolean): void {
  const ch = cfg.blockOutChannels;
  let skips = 0;
  // Returns the bytes of the hidden state that are held (as a skip) and so not transient for the next op.
  const skip = (c: number, level: number) => (onSkip(skips++, c, level) ? p.t(c, level) : 0);
  p.op('conv_in', p.t(cfg.inChannels, 0) + p.t(ch[0]!, 0), 0);
  let held = skip(ch[0]!, 0);
  let cin = ch[0]!;
  cfg.downBlockTypes.forEach((type, i) => {
    const cout = ch[i]!;
    for (let l = 0; l < cfg.layersPerBlock; l++) {
      p.resnet(`down${i}.resnet${l}`, l === 0 ? cin : cout, cout, i, held);
      held = 0;
      if (type === 'CrossAttnDownBlock2D') p.transformer(`down${i}.attn${l}`, cout, i, cfg.attentionHeads, 0);
      held = skip(cout, i);
    }
    if (i < ch.length - 1) {
      p.downsample(`down${i}.downsample`, cout, i, held);
      held = skip(cout, i + 1);
    }
    cin = cout;
  });
  const mid = ch[ch.length - 1]!;
  const level = ch.length - 1;
  p.resnet('mid.resnet0', mid, mid, level, held);
  p.transformer('mid.attn', mid, level, cfg.attentionHeads, 0);
  p.resnet('mid.resnet1', mid, mid, level, 0);
}

/** Skip connection channels and levels, in production order. */
function skipShapes(cfg: Encoder): { c: number; level: number }[] {
  const ch = cfg.blockOutChannels;
  const out = [{ c: ch[0]!, level: 0 }];
  ch.forEach((c, i) => {
    for (let l = 0; l < cfg.layersPerBlock; l++) out.push({ c, level: i });
    if (i < ch.length - 1) out.push({ c, level: i + 1 });
  });
  return out;
}

/** ControlNet pass: leaves its residuals (one per skip + the mid block) held as `cn.res.*`. */
export function controlNetPass(tracker: PeakTracker, cfg: ControlNetConfig, shape: PassShape): void {
  // The ControlNet has no flow attention (the official controlnet_attention.py has no flatten branch).
  const p = new Pass(tracker, { ...shape, flattenLevels: [] }, 'controlnet.');
  encoder(p, cfg, (i, c, level) => {
    p.op(`zero_conv${i}`, p.t(c, level), 0);
    tracker.hold(`cn.res.${i}`, p.t(c, level));
    return false;
  });
  const mid = cfg.blockOutChannels[cfg.blockOutChannels.length - 1]!;
  tracker.hold('cn.res.mid', p.t(mid, cfg.blockOutChannels.length - 1));
}

/**
 * UNet pass. With `withControl`, the ControlNet residuals are held on entry; each is added to its skip as
 * the skip is produced (the same sum diffusers forms after the down path) and released.
 */
export function unetPass(tracker: PeakTracker, cfg: UNetConfig, shape: PassShape, withControl: boolean): void {
  const p = new Pass(tracker, shape, 'unet.');
  const shapes = skipShapes(cfg);
  encoder(p, cfg, (i, c, level) => {
    tracker.hold(`unet.skip.${i}`, p.t(c, level));
    if (withControl) {
      p.op(`skip${i}+control`, p.t(c, level), 0);
      tracker.release(`cn.res.${i}`);
    }
    return true;
  });
  const ch = cfg.blockOutChannels;
  const rev = [...ch].reverse();
  const top = ch.length - 1;
  if (withControl) {
    p.op('mid+control', p.t(rev[0]!, top), 0);
    tracker.release('cn.res.mid');
  }
  let next = shapes.length - 1;
  let prev = rev[0]!;
  cfg.upBlockTypes.forEach((type, i) => {
    const cout = rev[i]!;
    const level = top - i;
    for (let l = 0; l <= cfg.layersPerBlock; l++) {
      const s = shapes[next]!;
      tracker.release(`unet.skip.${next--}`);
      p.resnet(`up${i}.resnet${l}`, (l === 0 ? prev : cout) + s.c, cout, level, 0, s.c);
      if (type === 'CrossAttnUpBlock2D') p.transformer(`up${i}.attn${l}`, cout, level, cfg.attentionHeads, 0);
    }
    if (i < ch.length - 1) p.upsample(`up${i}.upsample`, cout, level);
    prev = cout;
  });
  // conv_norm_out + SiLU + conv_out.
  p.op('conv_out', 4 * p.t(ch[0]!, 0) + p.t(cfg.outChannels, 0), 0);
}

/**
 * ControlNet conditioning embedding (full-resolution convs on the control image), computed once per job and
 * cached at [F, C0, h, w]; run `chunk` frames at a time.
 */
export function controlEmbeddingPeak(
  cfg: ControlNetConfig,
  shape: PassShape,
  imageHeight: number,
  imageWidth: number,
): number {
  const emb = cfg.conditioningEmbeddingOutChannels;
  const frames = Math.min(shape.chunk, shape.frames);
  let peak = 0;
  let res = imageHeight * imageWidth;
  let cin = cfg.conditioningChannels;
  const conv = (a: number, b: number, resIn: number, resOut: number) => {
    // input, conv out, sigmoid, SiLU out
    peak = Math.max(peak, frames * shape.elementBytes * (a * resIn + 3 * b * resOut));
  };
  conv(cin, emb[0]!, res, res);
  cin = emb[0]!;
  for (let i = 0; i < emb.length - 1; i++) {
    conv(cin, cin, res, res);
    conv(cin, emb[i + 1]!, res, res / 4);
    res /= 4;
    cin = emb[i + 1]!;
  }
  conv(cin, cfg.blockOutChannels[0]!, res, res);
  return peak;
}
