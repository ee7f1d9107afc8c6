/**
 * PyTorch layers as ONNX op sequences (parameter names are the diffusers/transformers state-dict names).
 *   Linear:     y = x·Wᵀ + b            (W [out, in]; the transpose is an initializer-only op ORT folds)
 *   Conv2d:     ONNX Conv, pads [top, left, bottom, right]
 *   GroupNorm:  x → [B, G, C/G·H·W] → InstanceNormalization (unit scale) → [B, C, H, W] → ·γ + β
 *   LayerNorm:  ONNX LayerNormalization over the last axis
 *   SiLU = x·σ(x), GELU (exact) = 0.5·x·(1 + erf(x/√2)), quick_gelu = x·σ(1.702·x)
 */
import { float, int, ints, type GraphBuilder } from '../graph/ir';
import { WeightError, type WeightStore } from './weights';

export interface Ctx {
  readonly g: GraphBuilder;
  readonly w: WeightStore;
}

export function linear(ctx: Ctx, x: string, prefix: string, bias = true, expected?: [number, number]): string {
  const { g, w } = ctx;
  const weight = g.initializer(`${prefix}.weight`, w.get(`${prefix}.weight`, expected));
  const wt = g.op('Transpose', [weight], { perm: ints([1, 0]) }, `${prefix}.weight_t`);
  let y = g.op('MatMul', [x, wt]);
  if (bias) y = g.op('Add', [y, g.initializer(`${prefix}.bias`, w.get(`${prefix}.bias`))]);
  return y;
}

export interface ConvOptions {
  readonly stride?: number;
  /** [top, left, bottom, right]; default "same" padding for odd kernels. */
  readonly pads?: readonly [number, number, number, number];
}

/** Conv2d; returns the output and its channel count (read from the weight). */
export function conv(ctx: Ctx, x: string, prefix: string, opts: ConvOptions = {}): { y: string; channels: number } {
  const { g, w } = ctx;
  const shape = w.shape(`${prefix}.weight`);
  if (shape.length !== 4)
    throw new WeightError(`"${prefix}.weight" has shape [${shape.join(', ')}]; a Conv2d weight is [out, in, kh, kw].`, {
      tensor: `${prefix}.weight`,
    });
  const [out, , kh, kw] = shape as [number, number, number, number];
  const weight = g.initializer(`${prefix}.weight`, w.get(`${prefix}.weight`));
  const pads = opts.pads ?? [(kh - 1) / 2, (kw - 1) / 2, (kh - 1) / 2, (kw - 1) / 2];
  const inputs = [x, weight];
  if (w.has(`${prefix}.bias`)) inputs.push(g.initializer(`${prefix}.bias`, w.get(`${prefix}.bias`, [out])));
  const y = g.op('Conv', inputs, {
    kernel_shape: ints([kh, kw]),
    strides: ints([opts.stride ?? 1, opts.stride ?? 1]),
    pads: ints(pads),
  });
  return { y, channels: out };
}

/** Output channels of a conv / linear parameter, read from the checkpoint. */
export const outChannels = (ctx: Ctx, prefix: string): number => ctx.w.shape(`${prefix}.weight`)[0]!;

export function groupNorm(
  ctx: Ctx,
  x: string,
  prefix: string,
  groups: number,
  eps: number,
  [c, h, wd]: readonly [number, number, number],
): string {
  const { g, w } = ctx;
  const gamma = g.initializer(`${prefix}.weight`, w.get(`${prefix}.weight`, [c]));
  const beta = g.initializer(`${prefix}.bias`, w.get(`${prefix}.bias`, [c]));
  const grouped = g.op('Reshape', [x, g.constI64([0, groups, -1])]);
  const ones = g.constF32(new Array<number>(groups).fill(1), [groups]);
  const zeros = g.constF32(new Array<number>(groups).fill(0), [groups]);
  const normed = g.op('InstanceNormalization', [grouped, ones, zeros], { epsilon: float(eps) });
  const back = g.op('Reshape', [normed, g.constI64([0, c, h, wd])]);
  const perChannel = g.constI64([c, 1, 1]);
  const scaled = g.op('Mul', [back, g.op('Reshape', [gamma, perChannel], {}, `${prefix}.weight_c11`)]);
  return g.op('Add', [scaled, g.op('Reshape', [beta, perChannel], {}, `${prefix}.bias_c11`)]);
}

export function layerNorm(ctx: Ctx, x: string, prefix: string, eps: number): string {
  const { g, w } = ctx;
  const gamma = g.initializer(`${prefix}.weight`, w.get(`${prefix}.weight`));
  const beta = g.initializer(`${prefix}.bias`, w.get(`${prefix}.bias`));
  return g.op('LayerNormalization', [x, gamma, beta], { axis: int(-1), epsilon: float(eps) });
}

export const silu = (g: GraphBuilder, x: string): string => g.op('Mul', [x, g.op('Sigmoid', [x])]);

export function gelu(g: GraphBuilder, x: string): string {
  const erf = g.op('Erf', [g.op('Mul', [x, g.constF32([Math.SQRT1_2])])]);
  const half = g.op('Mul', [x, g.constF32([0.5])]);
  return g.op('Mul', [half, g.op('Add', [erf, g.constF32([1])])]);
}

export const quickGelu = (g: GraphBuilder, x: string): string =>
  g.op('Mul', [x, g.op('Sigmoid', [g.op('Mul', [x, g.constF32([1.702])])])]);

/** [B, C, H, W] → [B, H·W, C] */
export const toTokens = (g: GraphBuilder, x: string, c: number): string =>
  g.op('Reshape', [g.op('Transpose', [x], { perm: ints([0, 2, 3, 1]) }), g.constI64([0, -1, c])]);

/** [B, H·W, C] → [B, C, H, W] */
export const fromTokens = (g: GraphBuilder, x: string, [c, h, w]: readonly [number, number, number]): string =>
  g.op('Transpose', [g.op('Reshape', [x, g.constI64([0, h, w, c])])], { perm: ints([0, 3, 1, 2]) });
