/**
 * The engine's memory plan (DESIGN §6): resident weights plus the peak of live activations per stage, for a
 * model, a frame count and a size, computed without running anything.
 *
 * Method.
 * - Weights: parameter counts from the configs (./params.ts) or, for a given model folder, element counts
 *   from its safetensors headers, × bytes of the plan's precision (fp16 when the adapter has `shader-f16`,
 *   else fp32). All components stay resident for the whole job (DESIGN §6: "weights resident once"); each
 *   compiled UNet/ControlNet shape holds its own copy (`denoiserCopies`: the engine compiles one network per
 *   input shape, so batched CFG keeps F and 2F both).
 * - Activations: each network is walked block by block from its config (./unet-activations.ts,
 *   ./vae-activations.ts). Every ONNX op is assumed to write a fresh output and a tensor to be freed after its
 *   last consumer (no in-place ops; Split/Slice outputs are copies). Held across ops: the UNet skip
 *   connections until the up path consumes them, and the ControlNet residuals until added to their skips.
 *   The peak of a stage is the largest (held + transient) sum over its ops; the worst ops are the GEGLU
 *   feed-forward at the first resolution (8·C inner width over F·h·w/64 tokens) and the self-attention
 *   projections there. Attention is the fused kernel: O(tokens × channels) per tensor, no (F·h·w)² map.
 * - Job state held across stages: text hidden states, the per-layer cross-attention K/V (computed once per
 *   job), the cached ControlNet conditioning embedding, latents (z0, x_T, x_t, both noise predictions; fp32).
 *   With FLATTEN (`flatten`, DESIGN §3.6): the flow attention's key tables (F·h_r·w_r·F u32 per level).
 * - Execution options the engine follows: `cfg: 'sequential'` evaluates the unconditional and conditional
 *   halves one after the other (exact: the halves never exchange data; self-attention spans the frames of one
 *   half); `frameChunk` runs all per-frame work (convs, norms, projections, GEGLU, attention queries) that many
 *   frames at a time (exact: only self-attention keys/values span frames, and they stay whole).
 * Not counted (the figures are the tensors' bytes): ORT's WebGPU buffer pool (freed buffers stay allocated for
 * reuse, sizes rounded to buckets), ORT's scratch and in-place ops, the attention kernels' temporaries, the cached
 * modulation maps, and upload/readback staging buffers. test/gpu/memory-plan.test.ts holds the engine's measured
 * peak (buffer tracker) to this plan: +4 % on the tiny models (stated tolerance there).
 * The engine computes this plan before each edit with the options it executes
 * (workers/engine/edit/memory-check.ts editPlanOptions) and refuses an edit that does not fit.
 */
import type { ControlNetConfig, TextEncoderConfig, UNetConfig, VaeConfig } from '../models/configs';
import { controlNetParams, textEncoderParams, unetParams, vaeParams } from './params';
import type { PassShape } from './pass';
import { PeakTracker } from './tracker';
import { controlEmbeddingPeak, controlNetPass, unetPass } from './unet-activations';
import { vaeDecodePass, vaeEncodePass } from './vae-activations';

export type Precision = 'fp16' | 'fp32';

export interface PlanModel {
  readonly unet: UNetConfig;
  readonly textEncoder: TextEncoderConfig;
  readonly vae: VaeConfig;
  readonly controlnet?: ControlNetConfig;
  /** Parameter counts read from safetensors headers; default: computed from the configs. */
  readonly params?: Partial<Record<Component, number>>;
}

export type Component = 'unet' | 'textEncoder' | 'vae' | 'controlnet';

export interface PlanOptions {
  readonly frames: number;
  readonly height: number;
  readonly width: number;
  readonly precision: Precision;
  readonly controlnet: boolean;
  readonly cfg: 'sequential' | 'batched';
  /** Frames per chunk of per-frame work; null = all frames at once. */
  readonly frameChunk: number | null;
  /** Frames per VAE encode/decode pass. */
  readonly vaeChunk: number;
  /** Prompts encoded per job (uncond, source, target, negative, region prompts). */
  readonly prompts: number;
  /** Prompts per text-encoder pass (default: all `prompts` in one pass; the engine runs 1). */
  readonly textBatch?: number;
  /**
   * Compiled UNet/ControlNet shapes resident at once, each with its own weights (default 1). The engine compiles
   * one network per input shape: with batched CFG, F (inversion) and 2F (denoising) are both resident.
   */
  readonly denoiserCopies?: number;
  /**
   * FLATTEN flow attention (DESIGN §3.6): the official `flatten_res` factors (1 → the H/8 level, 2 → H/16, …);
   * absent or empty = off. Adds the key tables (F·h_r·w_r·F u32 per level, job state) and the flow output.
   */
  readonly flatten?: readonly number[];
}

export const DEFAULT_PLAN_OPTIONS: Omit<PlanOptions, 'frames' | 'height' | 'width'> = {
  precision: 'fp16',
  controlnet: true,
  cfg: 'sequential',
  frameChunk: null,
  vaeChunk: 1,
  prompts: 8,
};

export interface StagePlan {
  /** Activation + job-state bytes at the stage's peak. */
  readonly bytes: number;
  /** The op where the peak happens. */
  readonly at: string;
}

export interface MemoryPlan {
  readonly options: PlanOptions;
  readonly params: Readonly<Record<Component, number>>;
  readonly weights: Readonly<Record<Component, number>>;
  readonly weightsBytes: number;
  readonly jobStateBytes: number;
  readonly stages: Readonly<Record<string, StagePlan>>;
  readonly peakStage: string;
  readonly peakActivationBytes: number;
  readonly peakBytes: number;
  /** The largest single tensor: must fit the adapter's maxBufferSize / maxStorageBufferBindingSize. */
  readonly largestTensorBytes: number;
}

const TEXT_TOKENS = 77;

function crossAttentionLayers(cfg: UNetConfig | ControlNetConfig, up: boolean): { c: number; n: number }[] {
  const out: { c: number; n: number }[] = [];
  const layers = cfg.transformerLayersPerBlock;
  cfg.downBlockTypes.forEach((t, i) => {
    if (t.startsWith('CrossAttn')) out.push({ c: cfg.blockOutChannels[i]!, n: cfg.layersPerBlock * layers });
  });
  out.push({ c: cfg.blockOutChannels[cfg.blockOutChannels.length - 1]!, n: layers });
  if (up && 'upBlockTypes' in cfg) {
    const rev = [...cfg.blockOutChannels].reverse();
    cfg.upBlockTypes.forEach((t, i) => {
      if (t.startsWith('CrossAttn')) out.push({ c: rev[i]!, n: (cfg.layersPerBlock + 1) * layers });
    });
  }
  return out;
}

export function computePlan(model: PlanModel, options: PlanOptions): MemoryPlan {
  const o = options;
  const b = o.precision === 'fp16' ? 2 : 4;
  const withControl = o.controlnet && model.controlnet !== undefined;
  const params: Record<Component, number> = {
    unet: model.params?.unet ?? unetParams(model.unet),
    textEncoder: model.params?.textEncoder ?? textEncoderParams(model.textEncoder),
    vae: model.params?.vae ?? vaeParams(model.vae),
    controlnet: withControl ? (model.params?.controlnet ?? controlNetParams(model.controlnet!)) : 0,
  };
  const copies = o.denoiserCopies ?? 1;
  const weights = Object.fromEntries(
    Object.entries(params).map(([k, v]) => [k, v * b * (k === 'unet' || k === 'controlnet' ? copies : 1)]),
  ) as Record<Component, number>;
  const weightsBytes = Object.values(weights).reduce((a, v) => a + v, 0);

  const h = Math.ceil(o.height / 8);
  const w = Math.ceil(o.width / 8);
  const F = o.frames;
  const latentBytes = F * 4 * h * w * 4;
  const kv = [
    ...crossAttentionLayers(model.unet, true),
    ...(withControl ? crossAttentionLayers(model.controlnet!, false) : []),
  ].reduce((a, l) => a + l.n * 2 * 2 * TEXT_TOKENS * l.c * b, 0);
  const flatten = [...new Set(o.flatten ?? [])];
  const flowKeyBytes = flatten.reduce((a, r) => a + F * Math.ceil(h / r) * Math.ceil(w / r) * F * 4, 0);
  const jobStateBytes =
    flowKeyBytes +
    o.prompts * TEXT_TOKENS * model.textEncoder.hiddenSize * b +
    kv +
    5 * latentBytes +
    Math.ceil(F * h * w * 4 * (4 / 3)) + // region bits per token, all modulated levels
    (withControl ? F * model.controlnet!.blockOutChannels[0]! * h * w * b : 0);

  const largest = new PeakTracker();
  const stages: Record<string, StagePlan> = {};
  const stage = (name: string, bytes: number, at: string) => (stages[name] = { bytes: jobStateBytes + bytes, at });
  const shape = (frames: number, chunk: number | null, height: number, width: number): PassShape => ({
    frames,
    chunk: chunk ?? frames,
    height,
    width,
    elementBytes: b,
    textTokens: TEXT_TOKENS,
    flattenLevels: flatten.map((r) => Math.log2(r)),
  });

  const te = model.textEncoder;
  const textBatch = Math.min(o.textBatch ?? o.prompts, o.prompts);
  stage(
    'text_encode',
    textBatch * TEXT_TOKENS * (6 * te.hiddenSize + 2 * te.intermediateSize) * b +
      textBatch * te.numAttentionHeads * TEXT_TOKENS * TEXT_TOKENS * 4,
    'mlp',
  );

  const vaeChunk = Math.min(o.vaeChunk, F);
  const enc = new PeakTracker();
  vaeEncodePass(enc, model.vae, shape(vaeChunk, null, o.height, o.width));
  stage('vae_encode', enc.peak, enc.peakAt);

  if (withControl) {
    const s = shape(F, o.frameChunk, h, w);
    const chunk = Math.min(o.frameChunk ?? F, F);
    stage(
      'control_embedding',
      controlEmbeddingPeak(model.controlnet!, s, o.height, o.width) + chunk * 3 * o.height * o.width * b,
      'conv',
    );
  }

  const step = (name: string, frames: number) => {
    const t = new PeakTracker();
    if (withControl) controlNetPass(t, model.controlnet!, shape(frames, o.frameChunk, h, w));
    unetPass(t, model.unet, shape(frames, o.frameChunk, h, w), withControl);
    largest.tensor(t.largestTensor);
    stage(name, t.peak, t.peakAt);
  };
  step('inversion_step', F);
  step('denoise_step', o.cfg === 'batched' ? 2 * F : F);

  const dec = new PeakTracker();
  vaeDecodePass(dec, model.vae, shape(vaeChunk, null, o.height, o.width));
  stage('vae_decode', dec.peak, dec.peakAt);
  largest.tensor(Math.max(enc.largestTensor, dec.largestTensor));

  const [peakStage, peak] = Object.entries(stages).reduce((a, e) => (e[1].bytes > a[1].bytes ? e : a));
  return {
    options: o,
    params,
    weights,
    weightsBytes,
    jobStateBytes,
    stages,
    peakStage,
    peakActivationBytes: peak.bytes,
    peakBytes: weightsBytes + peak.bytes,
    largestTensorBytes: largest.largestTensor,
  };
}

/** Budgets of DESIGN §6 (512², with ControlNet): ≤ 16 frames 4 GiB, ≤ 32 frames 6 GiB. */
export function budgetBytes(frames: number): number | null {
  if (frames <= 16) return 4 * 2 ** 30;
  if (frames <= 32) return 6 * 2 ** 30;
  return null;
}
