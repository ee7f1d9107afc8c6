/**
 * The denoising loop of an edit (DESIGN §3.2–3.5), diffusers style:
 *
 *   for i, t in enumerate(ddim.timesteps):                  (n = 50: 981, 961, …, 1)
 *     x_in  = [x, x]                                        (CFG halves; just x when guidance = 1)
 *     res   = controlnet(x_in, t, [negative, target], condition) · scale          (if a ControlNet is used)
 *     ε     = unet(x_in, t, [uncond(""), cond with region substitution], res, modulation plan of step i)
 *     ε     = ε_u + s·(ε_c − ε_u)
 *     x     = ddim.step(ε, t, x)
 *     x     = x·M + add_noise(z0_mean, N(0,1) of stream BLEND_NOISE_STREAM + i, t)·(1 − M)   (§3.5)
 *             or, with `blendWithInversion`, x·M + z_inv(t)·(1 − M)
 *
 * The blend uses the step's own timestep t (not the one x has just been moved to), as the official code.
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
  /** Probes the UNet call of the last denoising step (per-region attention maps). */
  readonly lastStepProbe?: AttentionProbe;
}

/** [x, x, …] once per half. */
function repeatHalves(x: Float32Array, halves: number): Float32Array {
  if (halves === 1) return x;
  const out = new Float32Array(x.length * halves);
  for (let h = 0; h < halves; h++) out.set(x, h * x.length);
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
  const condition = control ? repeatHalves(control.condition, halves.length) : undefined;
  const noiseShape = [shape.frames, shape.channels, shape.height, shape.width];
  let x: Float32Array = args.latentsT.slice();
  const timesteps = scheduler.timesteps;
  for (let index = 0; index < timesteps.length; index++) {
    throwIfCancelled(signal);
    const t = timesteps[index]!;
    const sample = repeatHalves(x, halves.length);
    const controlResiduals =
      control && condition && components.controlnet
        ? await components.controlnet({
            sample,
            t,
            textCond: controlText,
            condition,
            scale: control.scale,
            height: shape.height,
            width: shape.width,
          })
        : undefined;
    const modulation = modulationPlanFor(args.modulation, index, t, halves);
    const probe = index === timesteps.length - 1 ? args.lastStepProbe : undefined;
    const prediction = await components.unet({
      sample,
      t,
      textCond: unetText,
      frames: shape.frames,
      height: shape.height,
      width: shape.width,
      ...(controlResiduals ? { controlResiduals } : {}),
      ...(modulation ? { modulation } : {}),
      ...(probe ? { probe } : {}),
    });
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
