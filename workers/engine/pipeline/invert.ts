/**
 * DDIM inversion of the source latents (DESIGN §3.2), diffusers 0.19 `DDIMInverseScheduler` as VideoGrain's
 * `prepare_latents_ddim_inverted` runs it:
 *
 *   x = z0 (the clean latent, treated as the sample at t = 1)
 *   for t in inverse.timesteps[1:]            (n = 50: t = 1, 21, …, 961 → 49 UNet calls)
 *     ε = unet(x, t, source prompt, ControlNet residuals on the source prompt)     guidance 1: cond only
 *     x = inverse.step(ε, t, x)                (ᾱ[t] → ᾱ[t + 1000/n])
 *   x_T = x                                    (the sample at the first denoising timestep, 981)
 *
 * No region substitution, no modulation. x stays a device tensor; the step runs as a kernel (`runtime.ops`).
 * With `keepTrajectory` every intermediate latent is read back, labelled with its noise level, for the
 * `blendWithInversion` option (the only per-step readback of the inversion, and only with that option).
 */
import { AppError } from '../../../src/core/protocol/errors';
import { DdimInverseScheduler } from '../scheduler/ddim-inverse';
import type { DeviceTensor } from '../tensors/device-tensor';
import { disposeResiduals, type Components } from './components';
import type { FlowPlan } from './flow';

/** A latent at a given noise level (the timestep whose ᾱ it carries). */
export interface LevelLatent {
  readonly t: number;
  readonly latents: Float32Array;
}

/** What an edit keeps of its inversion; reusable for any edit with the same inversion key. */
export interface InversionResult {
  readonly steps: number;
  readonly frames: number;
  readonly height: number;
  readonly width: number;
  /** x_T [F, 4, h, w]: the start of denoising. */
  readonly latentsT: Float32Array;
  /** The scaled latent that was inverted (posterior sample or mean). */
  readonly z0: Float32Array;
  /** The scaled posterior mean (latent blending). */
  readonly z0Mean: Float32Array;
  /** Ascending noise levels, z0 (t = 1) first, x_T last; only with `keepTrajectory`. */
  readonly trajectory?: readonly LevelLatent[];
  /** The FLATTEN trajectories the inversion ran with (they depend only on the frames' flow): reused by re-edits. */
  readonly flow?: FlowPlan;
}

export interface InvertArgs {
  readonly components: Components;
  /** Scaled latent [F, 4, h, w] (not disposed). */
  readonly z0: DeviceTensor;
  readonly frames: number;
  /** The source prompt's hidden states [1, 77, C]. */
  readonly sourceCond: DeviceTensor;
  readonly steps: number;
  /** FLATTEN flow attention in every UNet call (DESIGN §3.6). */
  readonly flow?: FlowPlan;
  /** ControlNet condition [F, 3, 8h, 8w] in [0, 1] and its scale. */
  readonly control?: { readonly condition: DeviceTensor; readonly scale: number };
  readonly keepTrajectory?: boolean;
  readonly signal?: AbortSignal;
  readonly onStep?: (step: number, total: number) => void;
}

export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AppError('CANCELLED', 'The edit was cancelled.');
}

/** The inverted latent x_T (the caller's to dispose) and, with `keepTrajectory`, every level on the CPU. */
export interface Inverted {
  readonly latentsT: DeviceTensor;
  readonly trajectory?: readonly LevelLatent[];
}

export async function invertLatents(args: InvertArgs): Promise<Inverted> {
  const { components, frames, sourceCond, control, signal } = args;
  const { ops } = components.runtime;
  const scheduler = new DdimInverseScheduler('v0.19', components.schedule);
  scheduler.setTimesteps(args.steps);
  const ts = scheduler.loopTimesteps;
  const ratio = Math.floor(scheduler.config.numTrainTimesteps / args.steps);
  const trajectory: LevelLatent[] | undefined = args.keepTrajectory
    ? [{ t: ts[0]!, latents: await components.runtime.download(args.z0) }]
    : undefined;
  let x = ops.slice(args.z0, 0, frames);
  try {
    for (let i = 0; i < ts.length; i++) {
      throwIfCancelled(signal);
      const t = ts[i]!;
      const controlResiduals =
        control && components.controlnet
          ? await components.controlnet({
              sample: x,
              t,
              textCond: sourceCond,
              condition: control.condition,
              scale: control.scale,
            })
          : undefined;
      let eps: DeviceTensor;
      try {
        eps = await components.unet({
          sample: x,
          t,
          textCond: sourceCond,
          frames,
          ...(controlResiduals ? { controlResiduals } : {}),
          ...(args.flow ? { flow: args.flow } : {}),
        });
      } finally {
        disposeResiduals(controlResiduals);
      }
      const next = ops.ddimStep(scheduler.stepCoefficients(t), eps, x, false).prev;
      eps.dispose();
      x.dispose();
      x = next;
      if (trajectory) trajectory.push({ t: t + ratio, latents: await components.runtime.download(x) });
      args.onStep?.(i + 1, ts.length);
    }
    return { latentsT: x, ...(trajectory ? { trajectory } : {}) };
  } catch (e) {
    x.dispose();
    throw e;
  }
}
