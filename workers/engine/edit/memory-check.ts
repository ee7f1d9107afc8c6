/**
 * The engine's use of the memory plan (DESIGN §6; src/core/plan): before an edit runs, the plan is computed for
 * the loaded models' configs and the request exactly as the engine will execute it, and an edit that cannot fit
 * is refused with EDIT_TOO_LARGE naming the planned figure and what to lower; after the edit, the plan's peak is
 * returned beside the buffer tracker's measured high-water mark (EditResultData.memory).
 *
 * How the engine executes an edit (what `editPlanOptions` tells the plan):
 * - precision fp32: on adapters without shader-f16 the graphs are fp32 and fp16 files are widened on load. With
 *   shader-f16 the networks compute in fp16 (../graph/fp16-graph.ts), but their inputs/outputs and the attention
 *   kernels between segments stay fp32, which the plan's fp16 figures do not model; until that path is measured
 *   on such a GPU the check keeps the fp32 plan, an upper bound of it;
 * - CFG halves as `settings.cfgBatch` says (default sequential); guidance 1 has one half, so one batch of F;
 * - no frame chunking: every network call sees all F frames of its half(s);
 * - the VAE encodes and decodes VAE_FRAMES_PER_CALL frames per call (pipeline/components-graph.ts);
 * - the text encoder runs one prompt at a time over 4 + regions prompts;
 * - one network compiled per input shape, kept between edits: batched CFG compiles the UNet and ControlNet at
 *   F (inversion) and 2F (denoising), so their weights are resident twice.
 *
 * The rule (WebGPU cannot tell a device's total memory): the planned peak (weights + activations) must be at
 * most a budget (`EditMemoryLimits.budgetBytes`, an engine option), and the plan's largest single tensor must
 * fit the device's `maxBufferSize` and `maxStorageBufferBindingSize` (a tensor is one buffer, bound whole).
 */
import type { EditRequest } from '../../../src/core/protocol/edit';
import { AppError } from '../../../src/core/protocol/errors';
import { formatBytes } from '../../../src/core/models/errors';
import {
  computePlan,
  DEFAULT_PLAN_OPTIONS,
  type MemoryPlan,
  type PlanModel,
  type PlanOptions,
  type Precision,
} from '../../../src/core/plan/plan';
import type { PeakWatch } from '../gpu/buffer-tracker';
import { VAE_FRAMES_PER_CALL } from '../pipeline/components-graph';

/** The precision the engine's graphs run at today (see the header). */
export const ENGINE_PRECISION: Precision = 'fp32';

/**
 * Default planning budget: 8 GiB. WebGPU has no total-memory query; 8 GiB is the memory of a common consumer
 * GPU. The fp32 engine with SD1.5 + ControlNet (VAE one frame per call) plans 5.3 GiB of weights and a peak of
 * 6.1 GiB at 2 frames of 512², 6.3 GiB at 8 and 7.2 GiB at 16 (sequential CFG; the denoising step is the peak
 * stage from 8 frames on), so 16 frames fit this budget; DESIGN §6's 4 GiB at 16 frames is the fp16 target.
 * Engines on larger GPUs
 * pass their own (EngineDeps.memoryBudgetBytes).
 */
export const DEFAULT_MEMORY_BUDGET_BYTES = 8 * 2 ** 30;

export interface EditMemoryLimits {
  /** GPUSupportedLimits of the engine's device. */
  readonly maxBufferSize: number;
  readonly maxStorageBufferBindingSize: number;
  /** Most bytes an edit may plan for in all (weights + activations). */
  readonly budgetBytes: number;
}

/** What the edit service needs to check and measure an edit's memory (absent: no check, e.g. CPU components). */
export interface EditMemoryDeps<M> {
  /** The plan's model of the models an edit runs on (configs + header parameter counts). */
  planModel(sd: M, controlnet: M | undefined): PlanModel;
  /** The device's limits and a peak watch on its buffers; undefined when there is no device. */
  device(): Promise<{ readonly limits: EditMemoryLimits; watchPeak(): PeakWatch } | undefined>;
  /** Default ENGINE_PRECISION. */
  readonly precision?: Precision;
}

/** The plan options of a request as the engine executes it (see the header). */
export function editPlanOptions(request: EditRequest, model: PlanModel, precision: Precision): PlanOptions {
  const F = request.frames.length;
  const { settings } = request;
  // As pipeline/edit-denoise.ts decides: anything but sequential (the default) is one batch of both halves.
  const cfg =
    settings.guidance === 1 || (settings.cfgBatch ?? 'sequential') === 'sequential' ? 'sequential' : 'batched';
  return {
    ...DEFAULT_PLAN_OPTIONS,
    frames: F,
    height: request.height,
    width: request.width,
    precision,
    controlnet: settings.condition.kind !== 'none' && model.controlnet !== undefined,
    cfg,
    frameChunk: null,
    vaeChunk: VAE_FRAMES_PER_CALL,
    prompts: 4 + request.regions.length,
    textBatch: 1,
    denoiserCopies: cfg === 'batched' ? 2 : 1,
    ...(settings.flatten ? { flatten: settings.flatten.resolutions } : {}),
  };
}

/** Why a plan does not fit, or undefined when it does. */
function overLimit(plan: MemoryPlan, limits: EditMemoryLimits): string | undefined {
  const binding = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  if (plan.largestTensorBytes > binding)
    return (
      `its largest tensor needs ${formatBytes(plan.largestTensorBytes)}, over this GPU's largest buffer ` +
      `(${formatBytes(binding)}, maxBufferSize/maxStorageBufferBindingSize)`
    );
  if (plan.peakBytes > limits.budgetBytes)
    return (
      `it needs about ${formatBytes(plan.peakBytes)} of GPU memory (weights ${formatBytes(plan.weightsBytes)} + ` +
      `${formatBytes(plan.peakActivationBytes)} at ${plan.peakStage}), over the engine's budget of ` +
      `${formatBytes(limits.budgetBytes)}`
    );
  return undefined;
}

/** Refuses a plan over the limits with EDIT_TOO_LARGE, suggesting the most frames that fit at this size. */
export function checkEditMemory(plan: MemoryPlan, model: PlanModel, limits: EditMemoryLimits): void {
  const why = overLimit(plan, limits);
  if (why === undefined) return;
  const o = plan.options;
  let fits = 0;
  for (let f = o.frames - 1; f >= 1 && fits === 0; f--) {
    const vaeChunk = o.vaeChunk >= o.frames ? f : Math.min(o.vaeChunk, f); // all frames stays all frames
    const smaller = computePlan(model, { ...o, frames: f, vaeChunk });
    if (overLimit(smaller, limits) === undefined) fits = f;
  }
  const lower =
    fits > 0
      ? `lower the frames to ${fits} or fewer, or the frame size`
      : `lower the frame size (${o.width}×${o.height} now; even 1 frame does not fit)`;
  throw new AppError(
    'EDIT_TOO_LARGE',
    `This edit (${o.frames} frames at ${o.width}×${o.height}) cannot run on this GPU: ${why}. To fit, ${lower}.`,
  );
}

/** One edit's memory: its plan (checked), and the measured peak from the watch started before any allocation. */
export interface EditMemoryRun {
  readonly plan: MemoryPlan;
  /** Stops the watch and returns the figures for EditResultData.memory. */
  finish(): { planPeakBytes: number; measuredPeakBytes: number; weightsBytes: number };
  /** Stops the watch (a failed edit). */
  stop(): void;
}

/** Plans and checks an edit (throws EDIT_TOO_LARGE); undefined when there is no device to check against. */
export async function beginEditMemory<M>(
  deps: EditMemoryDeps<M>,
  sd: M,
  controlnet: M | undefined,
  request: EditRequest,
): Promise<EditMemoryRun | undefined> {
  const device = await deps.device();
  if (!device) return undefined;
  const model = deps.planModel(sd, controlnet);
  const plan = computePlan(model, editPlanOptions(request, model, deps.precision ?? ENGINE_PRECISION));
  checkEditMemory(plan, model, device.limits);
  const watch = device.watchPeak();
  return {
    plan,
    finish() {
      watch.stop();
      return { planPeakBytes: plan.peakBytes, measuredPeakBytes: watch.peakBytes(), weightsBytes: plan.weightsBytes };
    },
    stop: () => watch.stop(),
  };
}
