/**
 * UNet2DConditionModel and ControlNetModel (diffusers 0.40 `unet_2d_condition.py`, `controlnet.py`) as IR.
 *
 * Batch layout: B = cfg·F items, frame-major inside each CFG half. Self-attention (attn1) of the UNet attends
 * over all tokens of its F frames (DESIGN §3.1); the ControlNet's is per frame. Cross-attention reads the text
 * of its CFG half: encoder_hidden_states is [B/F, 77, C_text] (with F = 1 exactly diffusers' contract).
 * Time embedding (`get_timestep_embedding`): freqs_i = exp(−ln(10000)·i/(half − freq_shift)), emb = t·freqs,
 * [sin, cos] (or [cos, sin] with flip_sin_to_cos) → linear_1 → SiLU → linear_2. Frequencies are computed
 * with float32 rounding at each step, as torch does.
 */
import { GraphBuilder, float32Data, type Graph } from '../graph/ir';
import { concatChannels, downsample, resnet, transformer2d, upsample, type Spatial } from './blocks';
import { ModelConfigError } from './config';
import { conv, groupNorm, linear, silu, type Ctx } from './layers';
import type { UNetArch } from './unet-config';
import type { WeightStore } from './weights';

export interface UNetBuildOptions {
  /** Batch items of `sample` (cfg·frames). */
  readonly batch: number;
  /** Latent height/width. */
  readonly height: number;
  readonly width: number;
  readonly frames?: number;
  readonly textTokens?: number;
  /** UNet: take ControlNet residual inputs. */
  readonly residuals?: boolean;
  /** Expose every tapped module output (diffusers module paths) as graph outputs. */
  readonly taps?: boolean;
}

export function timestepFrequencies(half: number, shift: number): Float32Array {
  const out = new Float32Array(half);
  const negLog = Math.fround(-Math.log(10000));
  for (let i = 0; i < half; i++) out[i] = Math.fround(Math.exp(Math.fround(Math.fround(negLog * i) / (half - shift))));
  return out;
}

function timeEmbedding(ctx: Ctx, arch: UNetArch): string {
  const { g, w } = ctx;
  const t = g.input('timestep', 'float32', [1]);
  const projDim = w.shape('time_embedding.linear_1.weight')[1]!;
  const half = projDim / 2;
  const freqs = g.initializer('time_proj.freqs', float32Data(timestepFrequencies(half, arch.freqShift), [1, half]));
  const args = g.op('Mul', [g.op('Reshape', [t, g.constI64([1, 1])]), freqs]);
  const sin = g.op('Sin', [args]);
  const cos = g.op('Cos', [args]);
  const proj = g.tap(
    'time_proj.out',
    g.op('Concat', arch.flipSinToCos ? [cos, sin] : [sin, cos], { axis: { int: -1 } }),
  );
  const emb = linear(ctx, silu(g, linear(ctx, proj, 'time_embedding.linear_1')), 'time_embedding.linear_2');
  return g.tap('time_embedding.out', emb);
}

function checkSize(arch: UNetArch, o: UNetBuildOptions): void {
  const factor = 2 ** (arch.blockOutChannels.length - 1);
  const frames = o.frames ?? 1;
  if (o.height % factor || o.width % factor)
    throw new ModelConfigError(
      'MODEL_CONFIG_INVALID',
      `latent size ${o.height}×${o.width} must be a multiple of ${factor}.`,
      { field: 'sample' },
    );
  if (o.batch % frames)
    throw new ModelConfigError(
      'MODEL_CONFIG_INVALID',
      `batch ${o.batch} is not a multiple of the frame count ${frames}.`,
      { field: 'sample' },
    );
}

interface Encoded {
  readonly x: string;
  readonly s: Spatial;
  readonly residuals: { v: string; s: Spatial }[];
}

/** conv_in output → down blocks → (residual hook) → mid block. Shared by the UNet and the ControlNet. */
function encoder(
  ctx: Ctx,
  arch: UNetArch,
  x: string,
  s: Spatial,
  tembAct: string,
  ehs: string,
  o: UNetBuildOptions,
  addResiduals: boolean,
): Encoded {
  const { g } = ctx;
  const frames = o.frames ?? 1;
  const tOpts = {
    groups: arch.groups,
    linearProjection: arch.linearProjection,
    selfFrames: arch.kind === 'unet' ? frames : 1,
    crossFrames: frames,
    textTokens: o.textTokens ?? 77,
  };
  const rOpts = { groups: arch.groups, eps: arch.eps, tembAct };
  const residuals = [{ v: x, s }];
  arch.downBlockTypes.forEach((type, i) => {
    const p = `down_blocks.${i}`;
    for (let j = 0; j < arch.layersPerBlock; j++) {
      ({ y: x, s } = resnet(ctx, x, s, `${p}.resnets.${j}`, rOpts));
      if (type === 'CrossAttnDownBlock2D')
        x = transformer2d(ctx, x, s, ehs, `${p}.attentions.${j}`, { ...tOpts, heads: arch.heads[i]! });
      residuals.push({ v: g.tap(`${p}.res_samples.${j}`, x), s });
    }
    if (i < arch.downBlockTypes.length - 1) {
      ({ y: x, s } = downsample(ctx, x, s, `${p}.downsamplers.0`, false));
      residuals.push({ v: g.tap(`${p}.res_samples.${arch.layersPerBlock}`, x), s });
    }
    g.tap(`${p}.hidden_states`, x);
  });
  if (addResiduals)
    residuals.forEach((r, i) => {
      const extra = g.input(`down_block_additional_residuals.${i}`, 'float32', [o.batch, r.s.c, r.s.h, r.s.w]);
      r.v = g.op('Add', [r.v, extra]);
    });
  const heads = arch.heads[arch.heads.length - 1]!;
  ({ y: x, s } = resnet(ctx, x, s, 'mid_block.resnets.0', rOpts));
  x = transformer2d(ctx, x, s, ehs, 'mid_block.attentions.0', { ...tOpts, heads });
  ({ y: x, s } = resnet(ctx, x, s, 'mid_block.resnets.1', rOpts));
  g.tap('mid_block.out', x);
  return { x, s, residuals };
}

function commonInputs(ctx: Ctx, arch: UNetArch, o: UNetBuildOptions) {
  const { g } = ctx;
  checkSize(arch, o);
  const frames = o.frames ?? 1;
  const sample = g.input('sample', 'float32', [o.batch, arch.inChannels, o.height, o.width]);
  const tembAct = silu(g, timeEmbedding(ctx, arch));
  const ehs = g.input('encoder_hidden_states', 'float32', [
    o.batch / frames,
    o.textTokens ?? 77,
    arch.crossAttentionDim,
  ]);
  const { y: x, channels } = conv(ctx, sample, 'conv_in');
  return { x: g.tap('conv_in.out', x), s: { c: channels, h: o.height, w: o.width }, tembAct, ehs };
}

function finish(ctx: Ctx, taps: boolean): Graph {
  if (taps) for (const [path, value] of ctx.g.taps) ctx.g.output(value, path);
  return ctx.g.build();
}

export function buildUNet(w: WeightStore, arch: UNetArch, o: UNetBuildOptions): Graph {
  const ctx: Ctx = { g: new GraphBuilder('unet'), w };
  const { g } = ctx;
  const frames = o.frames ?? 1;
  const input = commonInputs(ctx, arch, o);
  const { tembAct, ehs } = input;
  const enc = encoder(ctx, arch, input.x, input.s, tembAct, ehs, o, o.residuals ?? false);
  let { x, s } = enc;
  if (o.residuals) x = g.op('Add', [x, g.input('mid_block_additional_residual', 'float32', [o.batch, s.c, s.h, s.w])]);
  const stack = enc.residuals;
  const reversedHeads = [...arch.heads].reverse();
  const tOpts = {
    groups: arch.groups,
    linearProjection: arch.linearProjection,
    selfFrames: frames,
    crossFrames: frames,
    textTokens: o.textTokens ?? 77,
  };
  arch.upBlockTypes.forEach((type, i) => {
    const p = `up_blocks.${i}`;
    for (let j = 0; j <= arch.layersPerBlock; j++) {
      const skip = stack.pop()!;
      x = concatChannels(ctx, x, skip.v);
      ({ y: x, s } = resnet(ctx, x, { ...s, c: s.c + skip.s.c }, `${p}.resnets.${j}`, {
        groups: arch.groups,
        eps: arch.eps,
        tembAct,
      }));
      if (type === 'CrossAttnUpBlock2D')
        x = transformer2d(ctx, x, s, ehs, `${p}.attentions.${j}`, { ...tOpts, heads: reversedHeads[i]! });
    }
    if (i < arch.upBlockTypes.length - 1) ({ y: x, s } = upsample(ctx, x, s, `${p}.upsamplers.0`));
    g.tap(`${p}.out`, x);
  });
  x = g.tap('conv_norm_out.out', groupNorm(ctx, x, 'conv_norm_out', arch.groups, arch.eps, [s.c, s.h, s.w]));
  x = g.tap('conv_act.out', silu(g, x));
  const out = conv(ctx, x, 'conv_out');
  g.output(g.tap('conv_out.out', out.y), 'noise_pred', [o.batch, out.channels, o.height, o.width]);
  return finish(ctx, o.taps ?? false);
}

/** ControlNetModel: outputs down_block_res_samples.{i} and mid_block_res_sample, already × conditioning_scale. */
export function buildControlNet(w: WeightStore, arch: UNetArch, o: UNetBuildOptions): Graph {
  const ctx: Ctx = { g: new GraphBuilder('controlnet'), w };
  const { g } = ctx;
  const { x, s, tembAct, ehs } = commonInputs(ctx, arch, o);
  const cond = g.input('controlnet_cond', 'float32', [o.batch, arch.conditioningChannels, o.height * 8, o.width * 8]);
  const scale = g.input('conditioning_scale', 'float32', [1]);
  // ControlNetConditioningEmbedding: conv_in → SiLU → (conv → SiLU → conv(stride 2) → SiLU)* → conv_out.
  const pre = 'controlnet_cond_embedding';
  let c = silu(g, conv(ctx, cond, `${pre}.conv_in`).y);
  for (let j = 0; w.has(`${pre}.blocks.${j}.weight`); j++)
    c = silu(g, conv(ctx, c, `${pre}.blocks.${j}`, { stride: j % 2 === 1 ? 2 : 1 }).y);
  c = conv(ctx, c, `${pre}.conv_out`).y;
  const enc = encoder(ctx, arch, g.op('Add', [x, c]), s, tembAct, ehs, o, false);
  enc.residuals.forEach((r, i) => {
    const y = g.op('Mul', [conv(ctx, r.v, `controlnet_down_blocks.${i}`).y, scale]);
    g.output(y, `down_block_res_samples.${i}`, [o.batch, r.s.c, r.s.h, r.s.w]);
  });
  const mid = g.op('Mul', [conv(ctx, enc.x, 'controlnet_mid_block').y, scale]);
  g.output(mid, 'mid_block_res_sample', [o.batch, enc.s.c, enc.s.h, enc.s.w]);
  return finish(ctx, o.taps ?? false);
}
