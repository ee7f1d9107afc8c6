/**
 * `Components` from the graph builders (../models) run by onnxruntime-web, on either execution target:
 *  - cpu (Node tests, CLI): wasm sessions, the CPU AttentionBackend between segments, CPU tensors;
 *  - webgpu (engine worker): sessions on the engine's device, the WGSL attention backend, GPU tensors that stay
 *    on the device between networks (`runOnDevice`; the runtime's step kernels work on them).
 * The UNet and the ControlNet are ALWAYS partitioned at their attention cores (DESIGN §4): their space-time
 * self-attention spans every frame, and ORT's standard ops would materialise the N×N scores (at 4 frames of 512²
 * that overflows ORT's int sizes on the CPU). One compiled network per shape serves modulated and plain calls.
 * CLIP (causal, 77 tokens) and the VAE (per-frame attention) run as whole graphs.
 * One network is compiled per input shape, lazily, and kept until `release()` (which also releases the
 * attention backend: GPU cached modulation maps) or, on the CPU, until `focus` moves to another stage's networks
 * (they share one wasm heap).
 * Weights are streamed per tensor when a network is compiled (DESIGN §4): with a reader that can `open` a file
 * for byte ranges, WeightStore reads the header and then only the tensors the network uses, straight into the
 * session's external data, dropped once the session exists; a reader without `open` is read whole.
 */
import type { Modulation } from '../../../src/core/attention/types';
import type { AttentionCore, Graph } from '../graph/ir';
import { buildClipText, parseClipArch, type ClipArch } from '../models/clip';
import { buildControlNet, buildUNet } from '../models/unet';
import { parseUNetArch, type UNetArch } from '../models/unet-config';
import { parseSchedulerConfig } from '../../../src/core/schedule/config';
import type { ScheduleConfig } from '../../../src/core/schedule/schedule';
import { buildVaeDecoder, buildVaeEncoder, parseVaeArch, type VaeArch } from '../models/vae';
import { WeightStore, type RangeReader } from '../models/weights';
import { cpuAttentionBackend } from '../onnx/cpu-attention';
import type { ExecutionTarget } from '../onnx/ort';
import {
  compilePartitioned,
  compileWhole,
  type AttentionBackend,
  type AttentionProbeHook,
  type CompiledNetwork,
  type GpuAttentionBackend,
  type HostTensor,
  type NetworkInput,
  type PromptCache,
  type RunOptions,
} from '../onnx/runner';
import { cpuTensorRuntime } from '../tensors/cpu-ops';
import type { DeviceTensor } from '../tensors/device-tensor';
import type { TensorRuntime } from '../tensors/latent-ops';
import type { Components, ControlNetCall, ControlResiduals, NetworkGroup, UNetCall, VaePosterior } from './components';
import { flowForCore } from './flow';
import { modulationForCore } from './modulation';

/** Reads a file of a diffusers model folder (relative path, e.g. `unet/config.json`). */
export type AsyncModelFileReader = ((relPath: string) => Promise<Uint8Array>) & {
  /** Opens a (weights) file for byte-range reads: streamed weights, no whole-file buffer. */
  readonly open?: (relPath: string) => Promise<RangeReader>;
};

export interface GraphComponentsSource {
  readonly sd: AsyncModelFileReader;
  /** A ControlNet folder (config.json + diffusion_pytorch_model.safetensors). */
  readonly controlnet?: AsyncModelFileReader;
  /** Which weight file names are asked for (the reader may map them). Default fp32 names. */
  readonly precision?: 'fp32' | 'fp16';
  /** Default: the wasm CPU backend. */
  readonly target?: ExecutionTarget;
  /** CPU target: a CPU backend (default the reference); WebGPU target: a GPU backend (required). */
  readonly attention?: AttentionBackend | GpuAttentionBackend;
  /** Tensors, transfers and step kernels: default CPU tensors; the WebGPU target needs the device's runtime. */
  readonly runtime?: TensorRuntime;
  /**
   * What the networks compute in (default fp32): 'fp16' compiles binary16 graphs with fp32 islands
   * (../graph/fp16-graph.ts), for WebGPU devices with shader-f16; their inputs and outputs stay fp32.
   */
  readonly compute?: 'fp32' | 'fp16';
}

/** Parsed configs: what the networks' shapes depend on. */
export interface GraphArchitectures {
  readonly clip: ClipArch;
  readonly unet: UNetArch;
  readonly vae: VaeArch;
  readonly scalingFactor: number;
  readonly controlnet?: UNetArch;
  /** The checkpoint's scheduler_config.json (absent: SD1.5's schedule). */
  readonly schedule?: ScheduleConfig;
}

export const CONTROLNET_DOWN_RESIDUALS = 12;

/** Frames per VAE encoder/decoder call (the memory plan's `vaeChunk`). */
export const VAE_FRAMES_PER_CALL = 1;

export const parseJson = (bytes: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(bytes));

/** The architectures from the configs' bytes (sync or async readers share this). */
export function parseArchitectures(configs: {
  readonly textEncoder: Uint8Array;
  readonly unet: Uint8Array;
  readonly vae: Uint8Array;
  readonly controlnet?: Uint8Array;
  readonly scheduler?: Uint8Array;
}): GraphArchitectures {
  const vaeConfig = parseJson(configs.vae);
  const scaling = (vaeConfig as { scaling_factor?: unknown }).scaling_factor;
  return {
    clip: parseClipArch(parseJson(configs.textEncoder), 'text_encoder/config.json'),
    unet: parseUNetArch(parseJson(configs.unet), 'unet/config.json'),
    vae: parseVaeArch(vaeConfig, 'vae/config.json'),
    scalingFactor: typeof scaling === 'number' ? scaling : 0.18215,
    ...(configs.controlnet
      ? { controlnet: parseUNetArch(parseJson(configs.controlnet), 'controlnet/config.json') }
      : {}),
    ...(configs.scheduler ? { schedule: parseSchedulerConfig(parseJson(configs.scheduler)) } : {}),
  };
}

export async function createGraphComponents(source: GraphComponentsSource): Promise<Components> {
  const [textEncoder, unet, vae, controlnet, scheduler] = await Promise.all([
    source.sd('text_encoder/config.json'),
    source.sd('unet/config.json'),
    source.sd('vae/config.json'),
    source.controlnet?.('config.json'),
    source.sd('scheduler/scheduler_config.json'),
  ]);
  return assembleGraphComponents(
    source,
    parseArchitectures({ textEncoder, unet, vae, scheduler, ...(controlnet ? { controlnet } : {}) }),
  );
}

const f32 = (dims: readonly number[], data: Float32Array): HostTensor => ({ dims, data });

function host(out: Map<string, HostTensor>, name: string): Float32Array {
  const t = out.get(name);
  if (!t || !(t.data instanceof Float32Array)) throw new Error(`network output "${name}" is missing`);
  return t.data;
}

/** Compiles each distinct shape once; `release()` frees every session. */
function networkCache() {
  const nets = new Map<string, Promise<CompiledNetwork>>();
  return {
    get(key: string, make: () => Promise<CompiledNetwork>): Promise<CompiledNetwork> {
      let n = nets.get(key);
      if (!n) {
        n = make();
        nets.set(key, n);
        // A failed compile is not cached: the next call tries again.
        n.catch(() => nets.get(key) === n && nets.delete(key));
      }
      return n;
    },
    /** Releases the networks whose key `drop` accepts (all when omitted). */
    async release(dropKey: (key: string) => boolean = () => true): Promise<void> {
      const gone = [...nets].filter(([key]) => dropKey(key));
      for (const [key] of gone) nets.delete(key);
      await Promise.all(gone.map(async ([, p]) => (await p.catch(() => undefined))?.release()));
    },
  };
}

/**
 * Cross-attention K/V of a partitioned network depend only on the text (DESIGN §4): computed once per text tensor
 * and network (the network's prelude) and reused while the same tensor comes back (every step of a job: the
 * pipeline keeps its text tensors for the whole job). Matched by tensor identity — device tensors are immutable —
 * so no values are read back. A couple per network: inversion and denoising use different texts. An evicted entry
 * is released at once: callers run one network call at a time (the pipeline does).
 */
function promptCache() {
  const PER_NETWORK = 2;
  const entries = new Map<string, { text: DeviceTensor; prompt: Promise<PromptCache> }[]>();
  const drop = (e: { prompt: Promise<PromptCache> }): Promise<void> =>
    e.prompt.then(
      (p) => p.release(),
      () => undefined,
    );
  return {
    get(key: string, net: CompiledNetwork, text: DeviceTensor): Promise<PromptCache | undefined> {
      if (net.lowering !== 'partitioned') return Promise.resolve(undefined);
      const list = entries.get(key) ?? [];
      entries.set(key, list);
      const hit = list.find((e) => e.text === text);
      if (hit) return hit.prompt;
      const entry = { text, prompt: net.encodePrompt({ encoder_hidden_states: text }) };
      list.push(entry);
      // A failed encode is not kept: the next call with this text tries again.
      entry.prompt.catch(() => list.includes(entry) && list.splice(list.indexOf(entry), 1));
      while (list.length > PER_NETWORK) void drop(list.shift()!);
      return entry.prompt;
    },
    /** Releases the entries of the networks whose key `drop` accepts (all when omitted). */
    async release(dropKey: (key: string) => boolean = () => true): Promise<void> {
      const gone = [...entries].filter(([key]) => dropKey(key));
      for (const [key] of gone) entries.delete(key);
      await Promise.all(gone.flatMap(([, list]) => list.map(drop)));
    },
  };
}

/** Components over parsed architectures (createNodeComponents parses configs synchronously, then calls this). */
export function assembleGraphComponents(source: GraphComponentsSource, arch: GraphArchitectures): Components {
  const { sd } = source;
  const target: ExecutionTarget = source.target ?? { kind: 'cpu' };
  const onGpu = target.kind === 'webgpu';
  const backend = source.attention ?? (onGpu ? undefined : cpuAttentionBackend);
  const backendOnGpu = backend !== undefined && 'location' in backend;
  if (!backend || backendOnGpu !== onGpu)
    throw new Error(
      onGpu
        ? 'WebGPU components need a GPU attention backend (gpuAttentionBackend(device))'
        : 'CPU components need a CPU attention backend',
    );
  const suffix = source.precision === 'fp16' ? '.fp16' : '';
  const weightFile = (dir: string, base: string) => `${dir}/${base}${suffix}.safetensors`;
  const store = async (read: AsyncModelFileReader, file: string) =>
    read.open ? WeightStore.open(await read.open(file), file) : new WeightStore(await read(file), file);
  const runtime = source.runtime ?? cpuTensorRuntime();
  if (runtime.location !== (onGpu ? 'gpu-buffer' : 'cpu'))
    throw new Error(`${target.kind} components need a ${onGpu ? 'GPU' : 'CPU'} tensor runtime`);
  const compile = {
    target,
    transfers: runtime.transfers,
    ...(source.compute === 'fp16' ? { precision: 'fp16' as const } : {}),
  };
  const whole = async (graph: () => Promise<Graph>) => compileWhole(await graph(), compile);
  const cache = networkCache();
  const prompts = promptCache();
  const C = arch.clip.hidden;

  /** The network group of a cache key (its prefix): what `focus` keeps. */
  const groupOf = (key: string): NetworkGroup => {
    const kind = key.slice(0, key.indexOf(':'));
    return kind === 'clip'
      ? 'text'
      : kind === 'vae-enc'
        ? 'vae-encoder'
        : kind === 'vae-dec'
          ? 'vae-decoder'
          : 'denoiser';
  };
  const out = (outputs: Map<string, DeviceTensor>, name: string): DeviceTensor => {
    const t = outputs.get(name);
    if (!t) throw new Error(`network output "${name}" is missing`);
    return t;
  };
  const itemsOf = (t: DeviceTensor): number => t.dims[0]!;
  /**
   * Runs `run` on each VAE_FRAMES_PER_CALL-frame slice of `x` and concatenates each of its outputs over the slices
   * (every intermediate slice and part is freed on the way, also on failure).
   */
  const perFrameChunks = async (
    x: DeviceTensor,
    run: (chunk: DeviceTensor) => Promise<DeviceTensor[]>,
  ): Promise<DeviceTensor[]> => {
    const { ops } = runtime;
    const frames = itemsOf(x);
    const parts: DeviceTensor[][] = [];
    try {
      for (let f = 0; f < frames; f += VAE_FRAMES_PER_CALL) {
        const chunk = frames === VAE_FRAMES_PER_CALL ? x : ops.slice(x, f, Math.min(VAE_FRAMES_PER_CALL, frames - f));
        try {
          parts.push(await run(chunk));
        } finally {
          if (chunk !== x) chunk.dispose();
        }
      }
      if (parts.length === 1) return parts.pop()!;
      return parts[0]!.map((_, k) => ops.concat(parts.map((p) => p[k]!)));
    } finally {
      for (const p of parts) for (const t of p) t.dispose();
    }
  };

  const components: Components = {
    runtime,
    textChannels: C,
    scalingFactor: arch.scalingFactor,
    ...(arch.schedule ? { schedule: arch.schedule } : {}),

    async encodeText(ids) {
      const net = await cache.get('clip:1', () =>
        whole(async () => buildClipText(await store(sd, weightFile('text_encoder', 'model')), arch.clip, { batch: 1 })),
      );
      const states = new Float32Array(ids.length * 77 * C);
      for (const [i, prompt] of ids.entries()) {
        const data = BigInt64Array.from(prompt, (v) => BigInt(v));
        // Prompts are few and tiny (77·C values): read back once per job, never per step.
        const res = await net.run({ input_ids: { dims: [1, 77], data } });
        states.set(host(res, 'last_hidden_state'), i * 77 * C);
      }
      return runtime.upload(states, [ids.length, 77, C]);
    },

    async unet(call: UNetCall) {
      const { sample, frames, controlResiduals, probe } = call;
      const [batch, , height, width] = sample.dims as [number, number, number, number];
      const residuals = controlResiduals !== undefined;
      const plan = call.modulation;
      const key = `unet:${batch}:${frames}:${height}x${width}:${residuals}`;
      // Always partitioned (DESIGN §4): the space-time cores never run as N×N ORT ops, on either target.
      const net = await cache.get(key, async () =>
        compilePartitioned(
          await buildUNet(await store(sd, weightFile('unet', 'diffusion_pytorch_model')), arch.unet, {
            batch,
            height,
            width,
            frames,
            residuals,
          }),
          backend,
          compile,
        ),
      );
      const inputs: Record<string, NetworkInput> = {
        sample,
        timestep: f32([1], Float32Array.of(call.t)),
        encoder_hidden_states: call.textCond,
      };
      if (controlResiduals) {
        controlResiduals.down.forEach((r, i) => (inputs[`down_block_additional_residuals.${i}`] = r));
        inputs.mid_block_additional_residual = controlResiduals.mid;
      }
      const options: RunOptions = {
        ...(plan && plan.cores.length > 0
          ? {
              modulation: (core: AttentionCore): Modulation | undefined =>
                modulationForCore(plan, core.attention, core.queryTokens),
            }
          : {}),
        ...(probe ? { probe: probe satisfies AttentionProbeHook } : {}),
        ...(call.flow ? { flow: (core: AttentionCore) => flowForCore(call.flow, core) } : {}),
      };
      const prompt = await prompts.get(key, net, call.textCond);
      return out(await net.runOnDevice(inputs, { ...options, ...(prompt ? { prompt } : {}) }), 'noise_pred');
    },

    // The VAE runs one frame per call (VAE_FRAMES_PER_CALL): its activations at full resolution are the largest
    // tensors of an edit (256 channels × 512² per frame), and it is per frame anyway (the memory plan's vaeChunk).
    async vaeEncode(images): Promise<VaePosterior> {
      const [, , height, width] = images.dims as [number, number, number, number];
      const net = await cache.get(`vae-enc:${VAE_FRAMES_PER_CALL}:${height}x${width}`, () =>
        whole(async () =>
          buildVaeEncoder(await store(sd, weightFile('vae', 'diffusion_pytorch_model')), arch.vae, {
            batch: VAE_FRAMES_PER_CALL,
            height,
            width,
          }),
        ),
      );
      const parts = await perFrameChunks(images, async (chunk) => {
        const outputs = await net.runOnDevice({ image: chunk });
        return [out(outputs, 'latent_mean'), out(outputs, 'latent_std')];
      });
      return { mean: parts[0]!, std: parts[1]! };
    },

    async vaeDecode(latents) {
      const [, , height, width] = latents.dims as [number, number, number, number];
      const net = await cache.get(`vae-dec:${VAE_FRAMES_PER_CALL}:${height}x${width}`, () =>
        whole(async () =>
          buildVaeDecoder(await store(sd, weightFile('vae', 'diffusion_pytorch_model')), arch.vae, {
            batch: VAE_FRAMES_PER_CALL,
            height,
            width,
          }),
        ),
      );
      const [images] = await perFrameChunks(latents, async (chunk) => [
        out(await net.runOnDevice({ latent: chunk }), 'image'),
      ]);
      return images!;
    },

    async focus(group) {
      // One wasm heap holds every CPU session: keep only the stage's networks. GPU sessions stay compiled.
      if (onGpu) return;
      const other = (key: string) => groupOf(key) !== group;
      await prompts.release(other);
      await cache.release(other);
    },

    async release() {
      await prompts.release();
      await cache.release();
      backend.release?.();
    },
  };

  const cnRead = source.controlnet;
  const cnArch = arch.controlnet;
  if (cnRead && cnArch) {
    const cnWeights = `diffusion_pytorch_model${suffix}.safetensors`;
    components.controlnet = async (call: ControlNetCall): Promise<ControlResiduals> => {
      const { sample, textCond, condition } = call;
      const [batch, , height, width] = sample.dims as [number, number, number, number];
      const textBatch = itemsOf(textCond);
      const key = `controlnet:${batch}:${textBatch}:${height}x${width}`;
      // Partitioned like the UNet: its self-attention spans the frames too.
      const net = await cache.get(key, async () =>
        compilePartitioned(
          await buildControlNet(await store(cnRead, cnWeights), cnArch, {
            batch,
            height,
            width,
            frames: batch / textBatch,
          }),
          backend,
          compile,
        ),
      );
      const prompt = await prompts.get(key, net, textCond);
      const outputs = await net.runOnDevice(
        {
          sample,
          timestep: f32([1], Float32Array.of(call.t)),
          encoder_hidden_states: textCond,
          controlnet_cond: condition,
          conditioning_scale: f32([1], Float32Array.of(call.scale)),
        },
        prompt ? { prompt } : {},
      );
      return {
        down: Array.from({ length: CONTROLNET_DOWN_RESIDUALS }, (_, i) => out(outputs, `down_block_res_samples.${i}`)),
        mid: out(outputs, 'mid_block_res_sample'),
      };
    };
  }

  return components;
}
