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
 *
 * Everything stays on the device (DESIGN §6): the networks exchange device tensors, CFG, the DDIM step and the
 * blend run as `runtime.ops` kernels, and per step only the seeded blend noise is uploaded (generated on the CPU
 * so both backends use the same noise). Nothing is read back unless `onStep` reads a preview.
 */
import { noiseCoefficients } from '../../../src/core/latents/add-noise';
import type { LatentShape } from '../../../src/core/latents/blend';
import { gaussianNoise } from '../../../src/core/random/gaussian';
import { DdimScheduler } from '../scheduler/ddim';
import type { DeviceTensor } from '../tensors/device-tensor';
import { TensorScope } from '../tensors/scope';
import { disposeResiduals, type AttentionProbe, type Components } from './components';
import type { FlowPlan } from './flow';
import { throwIfCancelled, type LevelLatent } from './invert';
import { modulationPlanFor, type CfgHalf, type ModulationPlan, type PreparedModulation } from './modulation';

/** Noise stream of the posterior sample (encodeWith 'sample'). */
export const POSTERIOR_NOISE_STREAM = 1;
/** Fresh blend noise of denoising step i uses stream BLEND_NOISE_STREAM + i. */
export const BLEND_NOISE_STREAM = 1000;

/**
 * One finished denoising step. Its tensors are valid only until the `onStep` promise settles (the loop disposes
 * them then): read what you need (a preview frame) inside the callback.
 */
export interface DenoiseStep {
  readonly index: number;
  readonly t: number;
  readonly latents: DeviceTensor;
  readonly predOriginalSample: DeviceTensor;
  /** The step's plan over all its CFG halves (sequential calls each get their half's part). */
  readonly modulation: ModulationPlan | undefined;
}

export interface DenoiseArgs {
  readonly components: Components;
  readonly shape: LatentShape;
  /** x_T (not disposed). */
  readonly latentsT: DeviceTensor;
  readonly steps: number;
  readonly guidance: number;
  /** [uncond, cond] [2, 77, C] (cond alone [1, 77, C] is enough when guidance = 1). */
  readonly unetText: DeviceTensor;
  /** [negative, target] for the ControlNet. */
  readonly controlText: DeviceTensor;
  readonly control?: { readonly condition: DeviceTensor; readonly scale: number };
  readonly modulation: PreparedModulation;
  /** M [F, h, w] in {0, 1}. */
  readonly blendMask: DeviceTensor;
  readonly z0Mean: DeviceTensor;
  readonly seed: number;
  /** Inverted latents by noise level: `blendWithInversion` (uploaded one per step). */
  readonly inversionLevels?: readonly LevelLatent[];
  /** FLATTEN flow attention in every UNet call (DESIGN §3.6). */
  readonly flow?: FlowPlan;
  readonly signal?: AbortSignal;
  readonly onStep?: (step: DenoiseStep) => void | Promise<void>;
  /** Probes the cond-half UNet call of the last denoising step (per-region attention maps). */
  readonly lastStepProbe?: AttentionProbe;
  /** CFG halves one call each (default) or as one batch. */
  readonly cfgBatch?: 'sequential' | 'batched';
}

/** The final latents [F, 4, h, w]; the caller disposes them. */
export async function denoise(args: DenoiseArgs): Promise<DeviceTensor> {
  const { components, shape, guidance, control, signal } = args;
  const { ops, upload } = components.runtime;
  const scheduler = new DdimScheduler(components.schedule);
  scheduler.setTimesteps(args.steps);
  const cfg = guidance !== 1;
  const halves: CfgHalf[] = cfg ? ['uncond', 'cond'] : ['cond'];
  const sequential = (args.cfgBatch ?? 'sequential') === 'sequential';
  const noiseShape = [shape.frames, shape.channels, shape.height, shape.width];
  const job = new TensorScope();
  // The text tensors of each call shape, made once: the networks cache cross-attention K/V per text tensor.
  const textItems = (t: DeviceTensor, first: number, count: number): DeviceTensor =>
    job.keep(ops.slice(t, cfg ? first : t.dims[0]! - 1, count));
  const unetText =
    sequential && cfg
      ? halves.map((_, h) => textItems(args.unetText, h, 1))
      : [textItems(args.unetText, 0, halves.length)];
  const controlText =
    sequential && cfg
      ? halves.map((_, h) => textItems(args.controlText, h, 1))
      : [textItems(args.controlText, 0, halves.length)];
  const batchedCondition =
    control && !sequential && cfg ? job.keep(ops.concat([control.condition, control.condition])) : undefined;
  let x = ops.slice(args.latentsT, 0, shape.frames);
  try {
    const timesteps = scheduler.timesteps;
    for (let index = 0; index < timesteps.length; index++) {
      throwIfCancelled(signal);
      const t = timesteps[index]!;
      const last = index === timesteps.length - 1;
      // One network call over some CFG halves: the ControlNet, then the UNet with its residuals.
      const call = async (callHalves: readonly CfgHalf[], slot: number): Promise<DeviceTensor> => {
        const sample = callHalves.length === 1 ? x : ops.concat(callHalves.map(() => x));
        try {
          const controlResiduals =
            control && components.controlnet
              ? await components.controlnet({
                  sample,
                  t,
                  textCond: controlText[slot]!,
                  condition: batchedCondition ?? control.condition,
                  scale: control.scale,
                })
              : undefined;
          const modulation = modulationPlanFor(args.modulation, index, t, callHalves);
          const probe = last && callHalves.includes('cond') ? args.lastStepProbe : undefined;
          try {
            return await components.unet({
              sample,
              t,
              textCond: unetText[slot]!,
              frames: shape.frames,
              ...(controlResiduals ? { controlResiduals } : {}),
              ...(modulation ? { modulation } : {}),
              ...(probe ? { probe } : {}),
              ...(args.flow ? { flow: args.flow } : {}),
            });
          } finally {
            disposeResiduals(controlResiduals);
          }
        } finally {
          if (sample !== x) sample.dispose();
        }
      };
      let eps: DeviceTensor;
      if (!cfg) eps = await call(halves, 0);
      else {
        let uncond: DeviceTensor;
        let cond: DeviceTensor;
        if (sequential) {
          uncond = await call(['uncond'], 0);
          try {
            cond = await call(['cond'], 1);
          } catch (e) {
            uncond.dispose();
            throw e;
          }
        } else {
          const both = await call(halves, 0);
          uncond = ops.slice(both, 0, shape.frames);
          cond = ops.slice(both, shape.frames, shape.frames);
          both.dispose();
        }
        eps = ops.guidance(uncond, cond, guidance);
        uncond.dispose();
        cond.dispose();
      }
      const step = ops.ddimStep(scheduler.stepCoefficients(t), eps, x, args.onStep !== undefined);
      eps.dispose();
      const stepScope = new TensorScope();
      try {
        stepScope.keep(step.prev);
        if (step.x0) stepScope.keep(step.x0);
        let blended: DeviceTensor;
        if (args.inversionLevels) {
          const level = args.inversionLevels.find((l) => l.t === t);
          if (!level) throw new Error(`the inversion has no latent at t = ${t} to blend with`);
          const inverted = stepScope.keep(upload(level.latents, noiseShape));
          blended = ops.blend(shape, step.prev, args.blendMask, inverted);
        } else {
          const noise = stepScope.keep(
            upload(gaussianNoise(args.seed, noiseShape, BLEND_NOISE_STREAM + index), noiseShape),
          );
          blended = ops.blend(shape, step.prev, args.blendMask, args.z0Mean, {
            noise,
            coefficients: noiseCoefficients(scheduler.alphasCumprod[t]!),
          });
        }
        x.dispose();
        x = blended;
        const modulation = modulationPlanFor(args.modulation, index, t, halves);
        if (args.onStep && step.x0)
          await args.onStep({ index, t, latents: x, predOriginalSample: step.x0, modulation });
      } finally {
        stepScope.dispose();
      }
    }
    return x;
  } catch (e) {
    x.dispose();
    throw e;
  } finally {
    job.dispose();
  }
}
