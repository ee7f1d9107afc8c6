/**
 * The denoising loop of an edit (DESIGN §3.2–3.5), diffusers style:
 *
 *   for i, t in enumerate(ddim.timesteps):                  (n = 50: 981, 961, …, 1)
 *     for each CFG half h in (uncond, cond)                 (just cond when guidance = 1)
 *       res_h = controlnet(x, t, [negative, target][h], condition) · scale        (if a ControlNet is used)
 *       ε_h   = unet(x, t, [uncond(""), cond with region substitution][h], res_h, modulation plan of step i, h)
 *     ε     = ε_u + s·(ε_c − ε_u)
 *     x     = ddim.step(ε, t, x)
 *     x     = x·M + add_noise(z0_mean, N(0,1) of stream BLEND_NOISE_STREAM + i, t)·(1 − M)   (§3.5)
 *             or, with `blendWithInversion`, x·M + z_inv(t)·(1 − M)
 *
 * The blend uses the step's own timestep t (not the one x has just been moved to), as the official code.
 *
 * The halves run one after the other by default (`cfgBatch: 'sequential'`): each network call sees F items,
 * so the activation peak is half of diffusers' `torch.cat([x] * 2)` batch — what the engine's memory plan
 * assumes for the DESIGN §6 budgets — and the inversion's batch-F networks are reused. Every op is per item,
 * so both ways compute the same values; `'batched'` runs the 2F batch in one call.
 */
import { blendWithFreshNoise, blendWithInversion, type LatentShape } from '../../../src/core/latents/blend.ts';
import { combineGuidanceBatched } from '../../../src/core/latents/cfg.ts';
import { gaussianNoise } from '../../../src/core/random/gaussian.ts';
import { DdimScheduler } from '../scheduler/ddim.ts';
import type { AttentionProbe, Components } from './components.ts';
import { throwIfCancelled, type LevelLatent } from './invert.ts';
import { modulationPlanFor, type CfgHalf, type ModulationPlan, type PreparedModulation } from './modulation.ts';

/** Noise stream of the posterior sample (encodeWith 'sample'). */
export const POSTERIOR_NOISE_STREAM = 1;
/** Fresh blend noise of denoising step i uses stream BLEND_NOISE_STREAM + i. */
export const BLEND_NOISE_STREAM = 1000;

export interface DenoiseStep {
  readonly index: number;
  readonly t: number;
  readonly latents: Float32Array;
  readonly predOriginalSample: Float32Array;
  /** The step's plan over all its CFG halves (sequential calls each get their half's part). */
  readonly modulation: ModulationPlan | undefined;
}

export interface DenoiseArgs {
  readonly components: Components;
  readonly shape: LatentShape;
  readonly latentsT: Float32Array;
  readonly steps: number;
  readonly guidance: number;
  /** [uncond, cond] [2, 77, C] (cond alone [1, 77, C] is enough when guidance = 1). */
  readonly unetText: Float32Array;
  /** [negative, target] for the ControlNet. */
  readonly controlText: Float32Array;
  readonly control?: { readonly condition: Float32Array; readonly scale: number };
  readonly modulation: PreparedModulation;
  /** M [F·h·w] in {0, 1}. */
  readonly blendMask: Float32Array;
  readonly z0Mean: Float32Array;
  readonly seed: number;
  /** Inverted latents by noise level: `blendWithInversion`. */
  readonly inversionLevels?: readonly LevelLatent[];
  readonly signal?: AbortSignal;
  readonly onStep?: (step: DenoiseStep) => void;
  /** Probes the cond-half UNet call of the last denoising step (per-region attention maps). */
  readonly lastStepProbe?: AttentionProbe;
  /** CFG halves one call each (default) or as one batch. */
  readonly cfgBatch?: 'sequential' | 'batched';
}

/** [x, x, …] once per half. */
function repeatHalves(x: Float32Array, halves: number): Float32Array {
  if (halves === 1) return x;
  const out = new Float32Array(x.length * halves);
  for (let h = 0; h < halves; h++) out.set(x, h * x.length);
  return out;
}

/** Halves [first, first + count) of a buffer holding `total` halves. */
function halvesOf(x: Float32Array, total: number, first: number, count: number): Float32Array {
  const size = x.length / total;
  return count === total ? x : x.subarray(first * size, (first + count) * size);
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The cond half of a [2, …] text buffer. */
const secondHalf = (x: Float32Array): Float32Array => x.subarray(x.length / 2);

export async function denoise(args: DenoiseArgs): Promise<Float32Array> {
  const { components, shape, guidance, control, signal } = args;
  const scheduler = new DdimScheduler();
  scheduler.setTimesteps(args.steps);
  const cfg = guidance !== 1;
  const halves: CfgHalf[] = cfg ? ['uncond', 'cond'] : ['cond'];
  const unetText = cfg ? args.unetText : secondHalf(args.unetText);
  const controlText = cfg ? args.controlText : secondHalf(args.controlText);
  const sequential = (args.cfgBatch ?? 'sequential') === 'sequential';
  const noiseShape = [shape.frames, shape.channels, shape.height, shape.width];
  let x: Float32Array = args.latentsT.slice();
  const timesteps = scheduler.timesteps;
  for (let index = 0; index < timesteps.length; index++) {
    throwIfCancelled(signal);
    const t = timesteps[index]!;
    const last = index === timesteps.length - 1;
    // Each call: the text of its halves, their plan, the probe on the cond half of the last step.
    const call = async (callHalves: readonly CfgHalf[], first: number): Promise<Float32Array> => {
      const n = callHalves.length;
      const sample = repeatHalves(x, n);
      const controlResiduals =
        control && components.controlnet
          ? await components.controlnet({
              sample,
              t,
              textCond: halvesOf(controlText, halves.length, first, n),
              condition: repeatHalves(control.condition, n),
              scale: control.scale,
              height: shape.height,
              width: shape.width,
            })
          : undefined;
      const modulation = modulationPlanFor(args.modulation, index, t, callHalves);
      const probe = last && callHalves.includes('cond') ? args.lastStepProbe : undefined;
      return components.unet({
        sample,
        t,
        textCond: halvesOf(unetText, halves.length, first, n),
        frames: shape.frames,
        height: shape.height,
        width: shape.width,
        ...(controlResiduals ? { controlResiduals } : {}),
        ...(modulation ? { modulation } : {}),
        ...(probe ? { probe } : {}),
      });
    };
    let prediction: Float32Array;
    if (sequential && halves.length > 1) {
      const parts: Float32Array[] = [];
      for (const [h, half] of halves.entries()) parts.push(await call([half], h));
      prediction = concat(parts);
    } else prediction = await call(halves, 0);
    const modulation = modulationPlanFor(args.modulation, index, t, halves);
    throwIfCancelled(signal);
    const eps = cfg ? combineGuidanceBatched(prediction, guidance) : prediction;
    const result = scheduler.step(eps, t, x);
    x = result.prevSample;
    if (args.inversionLevels) {
      const level = args.inversionLevels.find((l) => l.t === t);
      if (!level) throw new Error(`the inversion has no latent at t = ${t} to blend with`);
      blendWithInversion(shape, x, args.blendMask, level.latents, x);
    } else {
      const noise = gaussianNoise(args.seed, noiseShape, BLEND_NOISE_STREAM + index);
      blendWithFreshNoise(shape, x, args.blendMask, args.z0Mean, noise, scheduler.alphasCumprod[t]!, x);
    }
    args.onStep?.({ index, t, latents: x, predOriginalSample: result.predOriginalSample, modulation });
  }
  return x;
}
