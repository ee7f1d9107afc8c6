/**
 * The networks an edit runs, behind one interface so the same loop (./edit.ts) drives the Node CPU backend
 * (./components-node.ts: onnxruntime-web wasm + the CPU reference attention) and the WebGPU backend.
 *
 * Tensor conventions (row-major, float32):
 * - latents / UNet `sample` [B, 4, h, w], B = cfgHalves · F, CFG halves outer (all unconditional frames, then
 *   all conditional frames) — diffusers' `torch.cat([latents] * 2)` with frames as the inner batch.
 * - text states [T, 77, C]; the UNet's item b reads text item ⌊b / F⌋ (one prompt per CFG half).
 * - images [F, 3, H, W] in [−1, 1] (VAE), ControlNet conditions [F, 3, H, W] in [0, 1].
 * Implementations may compile one network per batch size; they never keep references to the inputs.
 */
import type { AttentionCore } from '../graph/ir.ts';
import type { ModulationPlan } from './modulation.ts';

/** A core's tensor on the CPU, row-major float32. */
export interface ProbedTensor {
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

/**
 * Reads attention inputs out of one UNet call (per-region attention maps, DESIGN §1 step 5): for every core
 * `wants` accepts, `capture` gets its Q [B, N, H·d] and K [Bk, Nk, H·d] (downloaded from the GPU: use on one
 * call per edit, never every step).
 */
export interface AttentionProbe {
  wants(core: AttentionCore): boolean;
  capture(core: AttentionCore, q: ProbedTensor, k: ProbedTensor): void;
}

/** ControlNet outputs: the 12 down-block residuals and the mid-block residual, already × conditioning scale. */
export interface ControlResiduals {
  readonly down: readonly Float32Array[];
  readonly mid: Float32Array;
}

export interface UNetCall {
  readonly sample: Float32Array;
  readonly t: number;
  /** [T, 77, C]; T = B / frames. */
  readonly textCond: Float32Array;
  /** Frames per sequence (self-attention spans them). */
  readonly frames: number;
  readonly height: number;
  readonly width: number;
  readonly controlResiduals?: ControlResiduals;
  /** ST-Layout modulation of this call; absent = plain attention everywhere. */
  readonly modulation?: ModulationPlan;
  /** Capture attention inputs of this call (see AttentionProbe). */
  readonly probe?: AttentionProbe;
}

export interface ControlNetCall {
  readonly sample: Float32Array;
  readonly t: number;
  /** [T, 77, C]; item b reads text item ⌊b / (B / T)⌋. */
  readonly textCond: Float32Array;
  /** [B, 3, 8h, 8w] in [0, 1]. */
  readonly condition: Float32Array;
  readonly scale: number;
  readonly height: number;
  readonly width: number;
}

export interface VaePosterior {
  /** [F, 4, h, w], not scaled by the VAE scaling factor. */
  readonly mean: Float32Array;
  readonly std: Float32Array;
}

export interface Components {
  /** Text-encoder hidden size C. */
  readonly textChannels: number;
  /** VAE latent scaling factor (0.18215 for SD1.5). */
  readonly scalingFactor: number;
  /** `last_hidden_state` of each 77-id prompt, concatenated: [N, 77, C]. */
  encodeText(ids: readonly Int32Array[]): Promise<Float32Array>;
  /** ε-prediction [B, 4, h, w]. */
  unet(call: UNetCall): Promise<Float32Array>;
  controlnet?(call: ControlNetCall): Promise<ControlResiduals>;
  /** images [F, 3, H, W] in [−1, 1] → latent posterior. */
  vaeEncode(images: Float32Array, frames: number, height: number, width: number): Promise<VaePosterior>;
  /** unscaled latents [F, 4, h, w] → images [F, 3, 8h, 8w] in about [−1, 1]. */
  vaeDecode(latents: Float32Array, frames: number, height: number, width: number): Promise<Float32Array>;
  release(): Promise<void>;
}
