/**
 * The text-to-image denoising loop of diffusers' `StableDiffusionPipeline.__call__` with a DDIM scheduler,
 * parameterised by the noise predictor so it runs with the real UNet (engine) or a fake model (tests):
 *
 *   latents = latents_in · init_noise_sigma (= 1 for DDIM)
 *   for t in scheduler.timesteps:                              (n = 4 → 751, 501, 251, 1)
 *     CFG (s > 1):  ε_u, ε_c = predict([latents, latents], t, [uncond ×B, cond ×B]).chunk(2)
 *                   ε = ε_u + s·(ε_c − ε_u)
 *     else:         ε = predict(latents, t, cond ×B)
 *     latents = ddim.step(ε, t, latents, eta = 0).prev_sample
 *
 * `scale_model_input` is the identity for DDIM. Output: final latents (output_type "latent", not divided
 * by the VAE scaling factor) — pipeline.safetensors `latents_out` for prompt "a photo of a cat", negative "",
 * guidance 7.5, 4 steps, latents_in = randn(seed 40).
 */
import { combineGuidanceBatched } from '../../../src/core/latents/cfg';
import { CLIP_TOKENS } from '../../../src/core/pipeline/text-cond';
import { AppError } from '../../../src/core/protocol/errors';
import { DdimScheduler } from '../scheduler/ddim';

/** ε-prediction for a batch `sample` [N, 4, h, w] at timestep t with text states [N, 77, C]. */
export type PredictNoise = (
  sample: Float32Array,
  t: number,
  encoderHiddenStates: Float32Array,
) => Float32Array | Promise<Float32Array>;

export interface Txt2ImgStep {
  readonly index: number;
  readonly t: number;
  readonly latents: Float32Array;
  /** x̂0 of this step (for the live preview). */
  readonly predOriginalSample: Float32Array;
}

export interface Txt2ImgOptions {
  /** Initial latents [B, 4, h, w]; not modified. */
  readonly latents: Float32Array;
  readonly batch?: number;
  /** [2, 77, C]: the negative/unconditional prompt's states, then the prompt's. */
  readonly textCond: Float32Array;
  readonly steps: number;
  readonly guidanceScale: number;
  readonly predictNoise: PredictNoise;
  readonly scheduler?: DdimScheduler;
  readonly onStep?: (step: Txt2ImgStep) => void;
  readonly signal?: AbortSignal;
}

/** [uncond ×B, cond ×B] (diffusers repeats each prompt's states per image). */
function repeatHalves(textCond: Float32Array, batch: number, withUncond: boolean): Float32Array {
  const half = textCond.length / 2;
  const halves = withUncond ? [0, 1] : [1];
  const out = new Float32Array(halves.length * batch * half);
  let o = 0;
  for (const h of halves) {
    for (let b = 0; b < batch; b++, o += half) out.set(textCond.subarray(h * half, (h + 1) * half), o);
  }
  return out;
}

export async function runTxt2Img(options: Txt2ImgOptions): Promise<Float32Array> {
  const { textCond, guidanceScale, predictNoise, onStep, signal } = options;
  const batch = options.batch ?? 1;
  if (textCond.length === 0 || textCond.length % (2 * CLIP_TOKENS) !== 0) {
    throw new RangeError(`textCond must be [2, 77, C], got ${textCond.length} values`);
  }
  if (!Number.isInteger(batch) || batch < 1 || options.latents.length % batch !== 0) {
    throw new RangeError(`latents (${options.latents.length} values) do not split into ${batch} images`);
  }
  const scheduler = options.scheduler ?? new DdimScheduler();
  scheduler.setTimesteps(options.steps);
  const cfg = guidanceScale > 1;
  const encoderStates = repeatHalves(textCond, batch, cfg);
  let latents: Float32Array = options.latents.slice();
  const n = latents.length;
  const timesteps = scheduler.timesteps;
  for (let index = 0; index < timesteps.length; index++) {
    if (signal?.aborted) throw new AppError('CANCELLED', 'Generation cancelled.');
    const t = timesteps[index]!;
    let modelInput: Float32Array = latents;
    if (cfg) {
      modelInput = new Float32Array(2 * n);
      modelInput.set(latents, 0);
      modelInput.set(latents, n);
    }
    const prediction = await predictNoise(modelInput, t, encoderStates);
    if (prediction.length !== modelInput.length) {
      throw new RangeError(`noise prediction has ${prediction.length} values, expected ${modelInput.length}`);
    }
    const eps = cfg ? combineGuidanceBatched(prediction, guidanceScale) : prediction;
    const result = scheduler.step(eps, t, latents);
    latents = result.prevSample;
    onStep?.({ index, t, latents, predOriginalSample: result.predOriginalSample });
  }
  return latents;
}
