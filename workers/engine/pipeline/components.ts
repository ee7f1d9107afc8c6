/**
 * The networks an edit runs, behind one interface so the same loop (./edit.ts) drives the Node CPU backend
 * (./components-node.ts: onnxruntime-web wasm + the CPU reference attention) and the WebGPU backend.
 *
 * Tensors are device tensors (../tensors/device-tensor.ts): on WebGPU they stay in GPU buffers between networks and
 * the step kernels of `runtime.ops` (DESIGN §4, §6); on the CPU they are plain arrays. Every tensor a method
 * returns is the caller's to dispose; inputs are never disposed or written.
 *
 * Tensor conventions (row-major, float32):
 * - latents / UNet `sample` [B, 4, h, w], B = cfgHalves · F, CFG halves outer (all unconditional frames, then
 *   all conditional frames) — diffusers' `torch.cat([latents] * 2)` with frames as the inner batch.
 * - text states [T, 77, C]; the UNet's item b reads text item ⌊b / F⌋ (one prompt per CFG half).
 * - images [F, 3, H, W] in [−1, 1] (VAE), ControlNet conditions [F, 3, H, W] in [0, 1].
 * Implementations may compile one network per batch size. They never read an input after the call returns; the
 * cross-attention K/V cache remembers text tensors by identity only.
 */
import type { AttentionCore } from '../graph/ir';
import type { DeviceTensor } from '../tensors/device-tensor';
import type { TensorRuntime } from '../tensors/latent-ops';
import type { ScheduleConfig } from '../../../src/core/schedule/schedule';
import type { FlowPlan } from './flow';
import type { ModulationPlan } from './modulation';

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
  readonly down: readonly DeviceTensor[];
  readonly mid: DeviceTensor;
}

export function disposeResiduals(r: ControlResiduals | undefined): void {
  if (!r) return;
  for (const d of r.down) d.dispose();
  r.mid.dispose();
}

export interface UNetCall {
  /** [B, 4, h, w]. */
  readonly sample: DeviceTensor;
  readonly t: number;
  /** [T, 77, C]; T = B / frames. The cross-attention K/V are cached per text tensor: pass the same one each step. */
  readonly textCond: DeviceTensor;
  /** Frames per sequence (self-attention spans them). */
  readonly frames: number;
  readonly controlResiduals?: ControlResiduals;
  /** ST-Layout modulation of this call; absent = plain attention everywhere. */
  readonly modulation?: ModulationPlan;
  /** Capture attention inputs of this call (see AttentionProbe). */
  readonly probe?: AttentionProbe;
  /** FLATTEN flow attention at its levels (./flow.ts, DESIGN §3.6); absent = none. */
  readonly flow?: FlowPlan;
}

export interface ControlNetCall {
  /** [B, 4, h, w]. */
  readonly sample: DeviceTensor;
  readonly t: number;
  /** [T, 77, C]; item b reads text item ⌊b / (B / T)⌋. */
  readonly textCond: DeviceTensor;
  /** [B, 3, 8h, 8w] in [0, 1]. */
  readonly condition: DeviceTensor;
  readonly scale: number;
}

export interface VaePosterior {
  /** [F, 4, h, w], not scaled by the VAE scaling factor. */
  readonly mean: DeviceTensor;
  readonly std: DeviceTensor;
}

/** The networks a pipeline stage needs; a backend short of memory may drop the others' sessions. */
export type NetworkGroup = 'text' | 'vae-encoder' | 'denoiser' | 'vae-decoder';

export interface Components {
  /** Where the tensors live, uploads/readbacks and the step kernels; shared by every network of these components. */
  readonly runtime: TensorRuntime;
  /** Text-encoder hidden size C. */
  readonly textChannels: number;
  /** VAE latent scaling factor (0.18215 for SD1.5). */
  readonly scalingFactor: number;
  /** The checkpoint's noise schedule (its scheduler_config.json); absent: SD1.5's. */
  readonly schedule?: ScheduleConfig;
  /** `last_hidden_state` of each 77-id prompt, concatenated: [N, 77, C]. */
  encodeText(ids: readonly Int32Array[]): Promise<DeviceTensor>;
  /** ε-prediction [B, 4, h, w]. */
  unet(call: UNetCall): Promise<DeviceTensor>;
  controlnet?(call: ControlNetCall): Promise<ControlResiduals>;
  /** images [F, 3, H, W] in [−1, 1] → latent posterior. */
  vaeEncode(images: DeviceTensor): Promise<VaePosterior>;
  /** unscaled latents [F, 4, h, w] → images [F, 3, 8h, 8w] in about [−1, 1]. */
  vaeDecode(latents: DeviceTensor): Promise<DeviceTensor>;
  /**
   * Tells the components which networks the next calls need. The CPU backend releases the other networks'
   * sessions (they share one wasm heap); on WebGPU every network stays compiled. Optional for fakes.
   */
  focus?(group: NetworkGroup): Promise<void>;
  release(): Promise<void>;
}
