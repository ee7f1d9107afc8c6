/**
 * The element-wise arithmetic of the edit loop between network calls (DESIGN §3.2, §3.5), as ops on device
 * tensors, so a WebGPU edit keeps its latents on the GPU (./gpu-ops.ts, WGSL kernels) and the Node backend runs
 * the very same loop on the CPU (./cpu-ops.ts, the src/core references, which are the oracles of the kernels).
 *
 * Every op returns a new tensor owned by the caller and never disposes or writes its inputs. Shapes are
 * checked; an op on tensors of another location throws.
 */
import type { NoiseCoefficients } from '../../../src/core/latents/add-noise';
import type { LatentShape } from '../../../src/core/latents/blend';
import type { StepCoefficients } from '../scheduler/step';
import type { DeviceTensor, TransferCounter } from './device-tensor';

export interface DdimStepResult {
  /** The sample at the destination timestep. */
  readonly prev: DeviceTensor;
  /** x̂0, only when asked for (previews). */
  readonly x0?: DeviceTensor;
}

export interface LatentOps {
  /** Classifier-free guidance ε = u + s·(c − u) (src/core/latents/cfg.ts). */
  guidance(uncond: DeviceTensor, cond: DeviceTensor, scale: number): DeviceTensor;
  /**
   * One DDIM update with the scheduler's float32 coefficients (workers/engine/scheduler/step.ts): the sampling
   * step and the 0.19 inverse step are the same formula with other ᾱ.
   */
  ddimStep(c: StepCoefficients, eps: DeviceTensor, x: DeviceTensor, withX0: boolean): DdimStepResult;
  /**
   * Reference blend (src/core/latents/blend.ts): x·M + (√ᾱ·z0 + √(1 − ᾱ)·noise)·(1 − M); M [F, h, w] is broadcast
   * over channels. Without `noise`, the background is `z0` itself (`blendWithInversion`).
   */
  blend(
    shape: LatentShape,
    x: DeviceTensor,
    mask: DeviceTensor,
    z0: DeviceTensor,
    noise?: { readonly noise: DeviceTensor; readonly coefficients: NoiseCoefficients },
  ): DeviceTensor;
  /** x · s, each product rounded to float32. */
  scale(x: DeviceTensor, s: number): DeviceTensor;
  /** (mean + std·eps) · s: the scaled posterior sample. */
  posteriorSample(mean: DeviceTensor, std: DeviceTensor, eps: DeviceTensor, s: number): DeviceTensor;
  /** Concatenation along the first axis (the other axes must agree). */
  concat(parts: readonly DeviceTensor[]): DeviceTensor;
  /** Items [first, first + count) along the first axis, as a new tensor. */
  slice(x: DeviceTensor, first: number, count: number): DeviceTensor;
  /**
   * One frame of a [F, 4, h, w] latent as preview RGBA bytes [h, w, 4] (src/core/latents/preview.ts); only that
   * frame's h·w·4 bytes are read back.
   */
  previewRgba(latents: DeviceTensor, frame: number): Promise<Uint8ClampedArray>;
}

/** Where tensors live, how they get there and back, and the ops on them: one per backend. */
export interface TensorRuntime {
  readonly location: DeviceTensor['location'];
  readonly ops: LatentOps;
  /** Counts every upload and readback made through this runtime (and by the components that share it). */
  readonly transfers: TransferCounter;
  /** A device tensor holding a copy of `data` (counted as an upload on the GPU). */
  upload(data: Float32Array, dims: readonly number[]): DeviceTensor;
  /** The tensor's values on the CPU (a copy; counted as a readback on the GPU). */
  download(t: DeviceTensor): Promise<Float32Array>;
  /** Frees what the runtime holds itself (pipelines, staging buffers); live tensors stay their owners'. */
  release(): void;
}
