/**
 * Live activation bytes of the VAE encoder and decoder (AutoencoderKL) for one chunk of frames, walked from
 * the config with the op formulas of ./pass.ts. The image is level 0; the latent is level len(blocks) − 1.
 * Encoder downsamples pad (0, 1, 0, 1) first (diffusers), which is one more copy of the input.
 * The mid-block attention (one head over h/8·w/8 tokens) is the fused kernel: no score map.
 */
import type { VaeConfig } from '../models/configs';
import { Pass, type PassShape } from './pass';
import type { PeakTracker } from './tracker';

function midBlock(p: Pass, c: number, level: number, attention: boolean): void {
  p.resnet('mid.resnet0', c, c, level, 0);
  if (attention) p.op('mid.attn', 6 * p.t(c, level) + p.s.frames * p.tokens(level) * 16, 0);
  p.resnet('mid.resnet1', c, c, level, 0);
}

export function vaeEncodePass(tracker: PeakTracker, cfg: VaeConfig, shape: PassShape): void {
  const p = new Pass(tracker, shape, 'vae_encoder.');
  const ch = cfg.blockOutChannels;
  p.op('conv_in', p.t(cfg.inChannels, 0) + p.t(ch[0]!, 0), 0);
  let cin = ch[0]!;
  ch.forEach((cout, i) => {
    for (let l = 0; l < cfg.layersPerBlock; l++) p.resnet(`down${i}.resnet${l}`, l === 0 ? cin : cout, cout, i, 0);
    if (i < ch.length - 1) p.op(`down${i}.downsample`, 2 * p.t(cout, i) + p.t(cout, i + 1), 0);
    cin = cout;
  });
  const top = ch.length - 1;
  midBlock(p, ch[top]!, top, cfg.midBlockAddAttention);
  p.op('conv_out', 4 * p.t(ch[top]!, top) + 2 * p.t(2 * cfg.latentChannels, top), 0);
}

export function vaeDecodePass(tracker: PeakTracker, cfg: VaeConfig, shape: PassShape): void {
  const p = new Pass(tracker, shape, 'vae_decoder.');
  const rev = [...cfg.blockOutChannels].reverse();
  const top = rev.length - 1;
  p.op('conv_in', 2 * p.t(cfg.latentChannels, top) + p.t(rev[0]!, top), 0);
  midBlock(p, rev[0]!, top, cfg.midBlockAddAttention);
  let prev = rev[0]!;
  rev.forEach((cout, i) => {
    const level = top - i;
    for (let l = 0; l <= cfg.layersPerBlock; l++) p.resnet(`up${i}.resnet${l}`, l === 0 ? prev : cout, cout, level, 0);
    if (i < rev.length - 1) p.upsample(`up${i}.upsample`, cout, level);
    prev = cout;
  });
  p.op('conv_out', 4 * p.t(rev[top]!, 0) + p.t(cfg.outChannels, 0), 0);
}
