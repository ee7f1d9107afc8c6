/**
 * The VideoGrain edit (DESIGN §3, reference mode), written out as one loop over `Components`:
 *
 *   1. layout: masks + prompts → region bits / size_reg per modulated resolution, text-token bits, spans,
 *      blend mask M (src/core/layout)
 *   2. text: uncond "", source, target, negative and each region prompt through the text encoder;
 *      cond = target with each owned span replaced by its region prompt's states (src/core/pipeline/text-cond)
 *   3. encode: frames → [−1, 1] → VAE posterior; z0 = (sample | mean) · 0.18215, z0_mean = mean · 0.18215
 *   4. invert: DDIM inversion (0.19), source prompt, guidance 1, ControlNet, no modulation (./invert.ts) —
 *      skipped entirely when a cached `InversionResult` for the same inversion key is given
 *   5. denoise: CFG, region-substituted text, ST-Layout modulation for the first steps, blend (./edit-denoise.ts)
 *   6. decode: latents / 0.18215 → VAE → (x/2 + 0.5) clamped → RGBA
 *
 * Randomness is Philox noise from `seed` (src/core/random): stream POSTERIOR_NOISE_STREAM for the posterior
 * sample, BLEND_NOISE_STREAM + i for the fresh blend noise of denoising step i.
 *
 * Tensors stay on the components' device (DESIGN §6). What crosses to the CPU, once per job: the prompts' states
 * (for the span substitution), x_T / z0 / z0_mean at the end of the inversion (the reusable `InversionResult`),
 * the final latents and the decoded frames. Uploads: frames, condition, blend mask, text, and the blend noise of
 * each step. `runtime.transfers` counts them per stage.
 */
import { compileLayout } from '../../../src/core/layout/compile';
import type { CompiledLayout, RegionMaskSet } from '../../../src/core/layout/types';
import { buildTextCond, substituteRegionSpans } from '../../../src/core/pipeline/text-cond';
import { AppError } from '../../../src/core/protocol/errors';
import { gaussianNoise } from '../../../src/core/random/gaussian';
import type { ClipTokenizer } from '../../../src/core/tokenizer/clip';
import type { DeviceTensor } from '../tensors/device-tensor';
import { TensorScope } from '../tensors/scope';
import type { AttentionProbe, Components } from './components';
import { POSTERIOR_NOISE_STREAM, denoise, type DenoiseStep } from './edit-denoise';
import { invertLatents, throwIfCancelled, type InversionResult } from './invert';
import type { FlowPlan } from './flow';
import { prepareModulation, type ModulationOptions } from './modulation';

export type EditStage = 'text' | 'encode' | 'invert' | 'denoise' | 'decode';

export interface EditProgress {
  readonly stage: EditStage;
  readonly step: number;
  readonly total: number;
}

export interface EditInput {
  /** RGBA frames, `width`·`height`·4 bytes each; width and height multiples of 64. */
  readonly frames: readonly Uint8Array[];
  readonly width: number;
  readonly height: number;
  readonly masks: RegionMaskSet;
  readonly tokenizer: ClipTokenizer;
  readonly sourcePrompt: string;
  readonly targetPrompt: string;
  readonly regionPrompts: readonly string[];
  readonly negativePrompt?: string;
}

export interface EditOptions extends ModulationOptions {
  readonly steps?: number;
  readonly guidance?: number;
  readonly seed?: number;
  readonly encodeWith?: 'sample' | 'mean';
  /** ControlNet condition frames [F, 3, H, W] in [0, 1] (e.g. src/core/conditions/canny.ts) and scale. */
  readonly condition?: { readonly frames: Float32Array; readonly scale: number };
  readonly modulateAllResolutions?: boolean;
  readonly blendWithInversion?: boolean;
  /** A previous inversion with the same inversion key (src/core/pipeline/inversion-key.ts): no inversion work. */
  readonly inversion?: InversionResult;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: EditProgress) => void;
  /** After each denoising step; its tensors are valid until the returned promise settles (see DenoiseStep). */
  readonly onStep?: (step: DenoiseStep) => void | Promise<void>;
  /** Probes the cond-half UNet call of the last denoising step (per-region attention maps). */
  readonly lastStepProbe?: AttentionProbe;
  /** Called once the inversion is done (before denoising): callers may cache it even if denoising is cancelled. */
  readonly onInversion?: (inversion: InversionResult) => void;
  /** CFG halves one network call each (default; half the activation memory) or as one batch. */
  readonly cfgBatch?: 'sequential' | 'batched';
  /**
   * FLATTEN flow attention (./flow.ts, DESIGN §3.6) in every UNet call of the inversion and of denoising.
   * A given `inversion` that carries its own plan runs with that one (the trajectories it was inverted with).
   */
  readonly flow?: FlowPlan;
}

export interface EditResult {
  /** RGBA frames, like the input. */
  readonly frames: Uint8ClampedArray[];
  /** Final latents [F, 4, h, w] (scaled, before decoding). */
  readonly latents: Float32Array;
  /** Reusable for re-edits (with the trajectory when `blendWithInversion` was on). */
  readonly inversion: InversionResult;
  readonly layout: CompiledLayout;
}

function framesToImages(input: EditInput): Float32Array {
  const { width, height, frames } = input;
  const plane = width * height;
  const out = new Float32Array(frames.length * 3 * plane);
  frames.forEach((rgba, f) => {
    if (rgba.length !== plane * 4)
      throw new AppError('EDIT_INPUT_INVALID', `frame ${f} is not ${width}×${height} RGBA`);
    for (let c = 0; c < 3; c++)
      for (let p = 0; p < plane; p++) out[(f * 3 + c) * plane + p] = rgba[p * 4 + c]! / 127.5 - 1;
  });
  return out;
}

function imagesToRgba(images: Float32Array, frames: number, width: number, height: number): Uint8ClampedArray[] {
  const plane = width * height;
  return Array.from({ length: frames }, (_, f) => {
    const rgba = new Uint8ClampedArray(plane * 4);
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) {
        const v = Math.min(1, Math.max(0, images[(f * 3 + c) * plane + p]! / 2 + 0.5));
        rgba[p * 4 + c] = Math.round(v * 255);
      }
      rgba[p * 4 + 3] = 255;
    }
    return rgba;
  });
}

function checkInput(input: EditInput, options: EditOptions, components: Components): void {
  const { width, height, frames, masks } = input;
  const bad = (m: string): never => {
    throw new AppError('EDIT_INPUT_INVALID', m);
  };
  if (frames.length === 0) bad('an edit needs at least one frame');
  // Three 2× downsamplings of the H/8 latent: frames must be multiples of 64 (SD1.5 at 512² → 64² latents).
  if (width % 64 !== 0 || height % 64 !== 0 || width < 64 || height < 64)
    bad(`frame size ${width}×${height} must be a multiple of 64 in both directions; crop or resize the clip`);
  if (masks.frames !== frames.length || masks.width !== width || masks.height !== height)
    bad(`masks are ${masks.frames} × ${masks.width}×${masks.height}, frames ${frames.length} × ${width}×${height}`);
  const cond = options.condition;
  if (cond) {
    if (!components.controlnet) bad('condition frames were given but no ControlNet is loaded');
    if (cond.frames.length !== frames.length * 3 * width * height)
      bad(`condition frames must be [${frames.length}, 3, ${height}, ${width}]`);
  }
}

export async function runEdit(
  components: Components,
  input: EditInput,
  options: EditOptions = {},
): Promise<EditResult> {
  checkInput(input, options, components);
  const { runtime } = components;
  const { ops } = runtime;
  const { signal } = options;
  const steps = options.steps ?? 50;
  const seed = options.seed ?? 0;
  const F = input.frames.length;
  const shape = { frames: F, channels: 4, height: input.height / 8, width: input.width / 8 };
  const latentDims = [F, 4, shape.height, shape.width];
  const latentSize = F * 4 * shape.height * shape.width;
  const sf = Math.fround(components.scalingFactor);
  const onProgress = (p: EditProgress) => {
    runtime.transfers.setStage(p.stage);
    options.onProgress?.(p);
  };

  const layout = compileLayout({
    masks: input.masks,
    tokenizer: input.tokenizer,
    targetPrompt: input.targetPrompt,
    regionPrompts: input.regionPrompts,
    ...(options.modulateAllResolutions ? { modulateAllResolutions: true } : {}),
  });
  const errors = layout.issues.filter((i) => i.severity === 'error');
  if (errors.length > 0) throw new AppError('LAYOUT_INVALID', errors.map((e) => e.message).join('; '));

  // Every device tensor of the job, freed however the job ends.
  const job = new TensorScope();
  const keep = <T extends DeviceTensor>(t: T): T => job.keep(t);
  try {
    // Text: one encoder pass over every prompt the job needs.
    onProgress({ stage: 'text', step: 0, total: 1 });
    await components.focus?.('text');
    const ids = [
      input.tokenizer.encode('').ids,
      input.tokenizer.encode(input.sourcePrompt).ids,
      layout.prompts.targetIds,
      input.tokenizer.encode(input.negativePrompt ?? '').ids,
      ...layout.prompts.substitutions.map((s) => s.regionIds),
    ];
    const C = components.textChannels;
    const encoded = await components.encodeText(ids);
    const states = await runtime.download(encoded);
    encoded.dispose();
    const prompt = (i: number) => states.subarray(i * 77 * C, (i + 1) * 77 * C);
    const cond = substituteRegionSpans(
      prompt(2),
      layout.prompts.substitutions.map((s, i) => ({
        span: { start: s.start, length: s.length },
        hidden: prompt(4 + i),
      })),
      C,
    );
    const textDims = (n: number) => [n, 77, C];
    const unetText = keep(runtime.upload(buildTextCond(prompt(0), cond), textDims(2)));
    const controlText = keep(runtime.upload(buildTextCond(prompt(3), prompt(2)), textDims(2)));
    throwIfCancelled(signal);
    const control = options.condition
      ? {
          condition: keep(runtime.upload(options.condition.frames, [F, 3, input.height, input.width])),
          scale: options.condition.scale,
        }
      : undefined;

    let inversion = options.inversion;
    const flow = inversion ? inversion.flow : options.flow;
    if (inversion && (inversion.flow === undefined) !== (options.flow === undefined))
      throw new AppError(
        'INVERSION_MISMATCH',
        'the cached inversion was run with different flow attention settings; run the inversion again',
      );
    let latentsT: DeviceTensor;
    let z0Mean: DeviceTensor;
    if (inversion) {
      const ok =
        inversion.steps === steps &&
        inversion.latentsT.length === latentSize &&
        inversion.z0Mean.length === latentSize &&
        (!options.blendWithInversion || inversion.trajectory !== undefined);
      if (!ok)
        throw new AppError(
          'INVERSION_MISMATCH',
          'the cached inversion does not fit this edit (frames, size, steps or trajectory); run the inversion again',
        );
      latentsT = keep(runtime.upload(inversion.latentsT, latentDims));
      z0Mean = keep(runtime.upload(inversion.z0Mean, latentDims));
    } else {
      onProgress({ stage: 'encode', step: 0, total: 1 });
      await components.focus?.('vae-encoder');
      const images = keep(runtime.upload(framesToImages(input), [F, 3, input.height, input.width]));
      const posterior = await components.vaeEncode(images);
      keep(posterior.mean);
      keep(posterior.std);
      z0Mean = keep(ops.scale(posterior.mean, sf));
      let z0 = z0Mean;
      if ((options.encodeWith ?? 'sample') === 'sample') {
        const eps = keep(runtime.upload(gaussianNoise(seed, latentDims, POSTERIOR_NOISE_STREAM), latentDims));
        z0 = keep(ops.posteriorSample(posterior.mean, posterior.std, eps, sf));
      }
      throwIfCancelled(signal);
      onProgress({ stage: 'invert', step: 0, total: steps - 1 });
      await components.focus?.('denoiser');
      const sourceCond = keep(runtime.upload(prompt(1), textDims(1)));
      const inverted = await invertLatents({
        components,
        z0,
        frames: F,
        sourceCond,
        steps,
        ...(control ? { control } : {}),
        keepTrajectory: options.blendWithInversion ?? false,
        ...(flow ? { flow } : {}),
        ...(signal ? { signal } : {}),
        onStep: (step, total) => onProgress({ stage: 'invert', step, total }),
      });
      latentsT = keep(inverted.latentsT);
      // The reusable result of the inversion, on the CPU (a re-edit uploads it again): read back once per job.
      inversion = {
        steps,
        frames: F,
        height: shape.height,
        width: shape.width,
        latentsT: await runtime.download(latentsT),
        z0: await runtime.download(z0),
        z0Mean: await runtime.download(z0Mean),
        ...(inverted.trajectory ? { trajectory: inverted.trajectory } : {}),
        ...(flow ? { flow } : {}),
      };
      options.onInversion?.(inversion);
    }

    const blendMask = keep(runtime.upload(Float32Array.from(layout.blendMask), [F, shape.height, shape.width]));
    onProgress({ stage: 'denoise', step: 0, total: steps });
    await components.focus?.('denoiser');
    const final = keep(
      await denoise({
        components,
        shape,
        latentsT,
        steps,
        guidance: options.guidance ?? 7.5,
        unetText,
        controlText,
        ...(control ? { control } : {}),
        modulation: prepareModulation(layout, steps, options),
        blendMask,
        z0Mean,
        seed,
        ...(options.blendWithInversion && inversion.trajectory ? { inversionLevels: inversion.trajectory } : {}),
        ...(signal ? { signal } : {}),
        ...(options.lastStepProbe ? { lastStepProbe: options.lastStepProbe } : {}),
        ...(options.cfgBatch ? { cfgBatch: options.cfgBatch } : {}),
        ...(flow ? { flow } : {}),
        onStep: async (step) => {
          onProgress({ stage: 'denoise', step: step.index + 1, total: steps });
          await options.onStep?.(step);
        },
      }),
    );

    onProgress({ stage: 'decode', step: 0, total: 1 });
    const latents = await runtime.download(final);
    await components.focus?.('vae-decoder');
    const decoded = keep(await components.vaeDecode(keep(ops.scale(final, 1 / sf))));
    const images = await runtime.download(decoded);
    onProgress({ stage: 'decode', step: 1, total: 1 });
    return { frames: imagesToRgba(images, F, input.width, input.height), latents, inversion, layout };
  } finally {
    job.dispose();
  }
}
