/**
 * Transfer accounting of the denoising loop (issue 11, DESIGN §6), at any size, without real networks: the
 * engine's own loop (workers/engine/pipeline/edit-denoise.ts `denoise`) runs with networks that return zero
 * tensors of the real output shapes, on a CPU runtime that counts every byte it would move to or from a device
 * exactly as the WebGPU runtime does (uploads through `upload`, readbacks through `download`/`previewRgba`).
 * The counted path is the one the engine runs; only the networks' arithmetic is skipped, and networks move no
 * bytes between CPU and GPU on the GPU-resident path (their inputs and outputs are device tensors).
 *
 * `before` is the pre-GPU-resident data path of the same loop, from its shapes: each CFG half's ControlNet call
 * uploaded the sample, the text and the condition and read back its 13 residuals; the UNet call uploaded the
 * sample and the residuals and read back `noise_pred` (CFG, the DDIM step and the blend ran on the CPU).
 */
import { denoise } from '../workers/engine/pipeline/edit-denoise';
import type { Components, ControlResiduals } from '../workers/engine/pipeline/components';
import type { PreparedModulation } from '../workers/engine/pipeline/modulation';
import { cpuTensorRuntime } from '../workers/engine/tensors/cpu-ops';
import { cpuTensor, elementCount, TransferCounter } from '../workers/engine/tensors/device-tensor';
import type { TensorRuntime } from '../workers/engine/tensors/latent-ops';

export interface TransferCase {
  readonly frames: number;
  /** Frame size (square); latents are size/8. */
  readonly size: number;
  /** UNet `block_out_channels` and `layers_per_block` (residual shapes). */
  readonly blockOutChannels: readonly number[];
  readonly layersPerBlock: number;
  readonly textChannels: number;
  readonly steps: number;
}

export interface TransferFigures {
  readonly uploadBytesPerDenoiseStep: number;
  readonly readbackBytesPerDenoiseStep: number;
  readonly previewBytesPerStep: number;
  readonly before: { readonly uploadBytesPerDenoiseStep: number; readonly readbackBytesPerDenoiseStep: number };
}

/** Residual shapes of an SD1.5-family UNet per frame: conv_in, layers_per_block per level + downsamplers, mid. */
export function residualShapes(c: TransferCase): number[][] {
  const shapes: number[][] = [];
  let h = c.size / 8;
  shapes.push([c.blockOutChannels[0]!, h, h]);
  c.blockOutChannels.forEach((ch, level) => {
    for (let j = 0; j < c.layersPerBlock; j++) shapes.push([ch, h, h]);
    if (level < c.blockOutChannels.length - 1) {
      h = Math.ceil(h / 2);
      shapes.push([ch, h, h]);
    }
  });
  shapes.push([c.blockOutChannels.at(-1)!, h, h]);
  return shapes;
}

/** A CPU runtime that counts what a device runtime would transfer. */
function countingRuntime(): TensorRuntime {
  const inner = cpuTensorRuntime();
  const transfers = new TransferCounter();
  return {
    ...inner,
    transfers,
    upload(data, dims) {
      transfers.countUpload(data.byteLength);
      return inner.upload(data, dims);
    },
    async download(t) {
      const data = await inner.download(t);
      transfers.countReadback(data.byteLength);
      return data;
    },
    ops: {
      ...inner.ops,
      async previewRgba(latents, frame) {
        const rgba = await inner.ops.previewRgba(latents, frame);
        transfers.countReadback(rgba.byteLength);
        return rgba;
      },
    },
  };
}

function fakeComponents(runtime: TensorRuntime, c: TransferCase): Components {
  const zeros = (dims: number[]) => cpuTensor(new Float32Array(elementCount(dims)), dims);
  const unused = () => Promise.reject(new Error('not used by the denoising loop'));
  return {
    runtime,
    textChannels: c.textChannels,
    scalingFactor: 0.18215,
    encodeText: unused,
    unet: (call) => Promise.resolve(zeros([...call.sample.dims])),
    controlnet: (call) => {
      const batch = call.sample.dims[0]!;
      const shapes = residualShapes(c).map((s) => [batch, ...s]);
      const residuals: ControlResiduals = { down: shapes.slice(0, -1).map(zeros), mid: zeros(shapes.at(-1)!) };
      return Promise.resolve(residuals);
    },
    vaeEncode: unused,
    vaeDecode: unused,
    release: () => Promise.resolve(),
  };
}

const noModulation = (frames: number): PreparedModulation => ({
  frames,
  modulatedCount: 0,
  selfBranch: 'uncond',
  wSelf: 0.3,
  wCross: 1,
  resolutions: [],
});

/** Bytes per denoising step of the engine's loop (CFG 7.5, ControlNet, one preview per step) at this size. */
export async function denoiseTransfers(c: TransferCase): Promise<TransferFigures> {
  const runtime = countingRuntime();
  const components = fakeComponents(runtime, c);
  const h = c.size / 8;
  const latentDims = [c.frames, 4, h, h];
  const { upload } = runtime;
  // Job inputs are uploaded once before the loop (runEdit does it in its own stages).
  runtime.transfers.setStage('setup');
  const text = upload(new Float32Array(2 * 77 * c.textChannels), [2, 77, c.textChannels]);
  const z = upload(new Float32Array(elementCount(latentDims)), latentDims);
  const condition = upload(new Float32Array(c.frames * 3 * c.size * c.size), [c.frames, 3, c.size, c.size]);
  const mask = upload(new Float32Array(c.frames * h * h).fill(1), [c.frames, h, h]);
  runtime.transfers.setStage('denoise');
  const final = await denoise({
    components,
    shape: { frames: c.frames, channels: 4, height: h, width: h },
    latentsT: z,
    steps: c.steps,
    guidance: 7.5,
    unetText: text,
    controlText: text,
    control: { condition, scale: 1 },
    modulation: noModulation(c.frames),
    blendMask: mask,
    z0Mean: z,
    seed: 0,
    onStep: async (step) => {
      runtime.transfers.setStage('preview');
      await runtime.ops.previewRgba(step.predOriginalSample, 0);
      runtime.transfers.setStage('denoise');
    },
  });
  final.dispose();
  const stages = runtime.transfers.stages();
  const perStep = (bytes: number | undefined) => (bytes ?? 0) / c.steps;

  const latentBytes = elementCount(latentDims) * 4;
  const residualBytes = residualShapes(c).reduce((n, s) => n + elementCount(s), 0) * c.frames * 4;
  const conditionBytes = c.frames * 3 * c.size * c.size * 4;
  const halves = 2;
  return {
    uploadBytesPerDenoiseStep: perStep(stages.denoise?.uploadBytes),
    readbackBytesPerDenoiseStep: perStep(stages.denoise?.readbackBytes),
    previewBytesPerStep: perStep(stages.preview?.readbackBytes),
    before: {
      uploadBytesPerDenoiseStep: halves * (2 * latentBytes + 77 * c.textChannels * 4 + conditionBytes + residualBytes),
      readbackBytesPerDenoiseStep: halves * (residualBytes + latentBytes),
    },
  };
}
