/**
 * `Components` from the graph builders (../models) run by onnxruntime-web, on either execution target:
 *  - cpu (Node tests, CLI): wasm sessions; the UNet runs as one graph when nothing needs its attention cores
 *    (ORT's own attention is faster there) and partitioned with a CPU AttentionBackend when the call is
 *    modulated or probed;
 *  - webgpu (engine worker): sessions on the engine's device; the UNet is ALWAYS partitioned with the WGSL
 *    attention backend (one compiled network per shape, unmodulated calls just pass no modulation), so its
 *    weights sit on the GPU once; CLIP, VAE and ControlNet run as whole graphs.
 * One network is compiled per input shape, lazily, and kept until `release()`, which also releases the
 * attention backend (GPU: cached modulation maps), so no GPU buffer of ours outlives it.
 * Weights are streamed per tensor when a network is compiled (DESIGN §4): with a reader that can `open` a file
 * for byte ranges, WeightStore reads the header and then only the tensors the network uses, straight into the
 * session's external data, dropped once the session exists; a reader without `open` is read whole.
 */
import type { Modulation } from '../../../src/core/attention/types.ts';
import type { AttentionCore, Graph } from '../graph/ir.ts';
import { buildClipText, parseClipArch, type ClipArch } from '../models/clip.ts';
import { buildControlNet, buildUNet } from '../models/unet.ts';
import { parseUNetArch, type UNetArch } from '../models/unet-config.ts';
import { buildVaeDecoder, buildVaeEncoder, parseVaeArch, type VaeArch } from '../models/vae.ts';
import { WeightStore, type RangeReader } from '../models/weights.ts';
import { cpuAttentionBackend } from '../onnx/cpu-attention.ts';
import type { ExecutionTarget } from '../onnx/ort.ts';
import {
  compilePartitioned,
  compileWhole,
  type AttentionBackend,
  type AttentionProbeHook,
  type CompiledNetwork,
  type GpuAttentionBackend,
  type HostTensor,
  type PromptCache,
  type RunOptions,
} from '../onnx/runner.ts';
import type { Components, ControlNetCall, ControlResiduals, UNetCall, VaePosterior } from './components.ts';
import { modulationForCore } from './modulation.ts';

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
}

/** Parsed configs: what the networks' shapes depend on. */
export interface GraphArchitectures {
  readonly clip: ClipArch;
  readonly unet: UNetArch;
  readonly vae: VaeArch;
  readonly scalingFactor: number;
  readonly controlnet?: UNetArch;
}

export const CONTROLNET_DOWN_RESIDUALS = 12;

export const parseJson = (bytes: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(bytes));

/** The architectures from the configs' bytes (sync or async readers share this). */
export function parseArchitectures(configs: {
  readonly textEncoder: Uint8Array;
  readonly unet: Uint8Array;
  readonly vae: Uint8Array;
  readonly controlnet?: Uint8Array;
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
  };
}

export async function createGraphComponents(source: GraphComponentsSource): Promise<Components> {
  const [textEncoder, unet, vae, controlnet] = await Promise.all([
    source.sd('text_encoder/config.json'),
    source.sd('unet/config.json'),
    source.sd('vae/config.json'),
    source.controlnet?.('config.json'),
  ]);
  return assembleGraphComponents(
    source,
    parseArchitectures({ textEncoder, unet, vae, ...(controlnet ? { controlnet } : {}) }),
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
    async release(): Promise<void> {
      const all = [...nets.values()];
      nets.clear();
      await Promise.all(all.map(async (p) => (await p.catch(() => undefined))?.release()));
    },
  };
}

/**
 * Cross-attention K/V of a partitioned UNet depend only on the text (DESIGN §4): computed once per text and
 * network (the network's prelude) and reused while the same text comes back (every step of a job). Matched by
 * content, so a caller reusing a buffer with new text gets new K/V. A couple per network: inversion and
 * denoising use different networks (batch sizes), re-edits come back to the same texts. An evicted entry is
 * released at once: callers run one UNet call at a time (the pipeline does).
 */
function promptCache() {
  const PER_NETWORK = 2;
  const entries = new Map<string, { text: Float32Array; prompt: Promise<PromptCache> }[]>();
  const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
  const drop = (e: { prompt: Promise<PromptCache> }): Promise<void> =>
    e.prompt.then(
      (p) => p.release(),
      () => undefined,
    );
  return {
    get(key: string, net: CompiledNetwork, text: Float32Array, tensor: HostTensor): Promise<PromptCache | undefined> {
      if (net.lowering !== 'partitioned') return Promise.resolve(undefined);
      const list = entries.get(key) ?? [];
      entries.set(key, list);
      const hit = list.find((e) => same(e.text, text));
      if (hit) return hit.prompt;
      const entry = { text: text.slice(), prompt: net.encodePrompt({ encoder_hidden_states: tensor }) };
      list.push(entry);
      // A failed encode is not kept: the next call with this text tries again.
      entry.prompt.catch(() => list.includes(entry) && list.splice(list.indexOf(entry), 1));
      while (list.length > PER_NETWORK) void drop(list.shift()!);
      return entry.prompt;
    },
    async release(): Promise<void> {
      const all = [...entries.values()].flat();
      entries.clear();
      await Promise.all(all.map(drop));
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
  const compile = { target };
  const whole = async (graph: () => Promise<Graph>) => compileWhole(await graph(), compile);
  const cache = networkCache();
  const prompts = promptCache();
  const C = arch.clip.hidden;

  const components: Components = {
    textChannels: C,
    scalingFactor: arch.scalingFactor,

    async encodeText(ids) {
      const net = await cache.get('clip', () =>
        whole(async () => buildClipText(await store(sd, weightFile('text_encoder', 'model')), arch.clip, { batch: 1 })),
      );
      const out = new Float32Array(ids.length * 77 * C);
      for (const [i, prompt] of ids.entries()) {
        const data = BigInt64Array.from(prompt, (v) => BigInt(v));
        const res = await net.run({ input_ids: { dims: [1, 77], data } });
        out.set(host(res, 'last_hidden_state'), i * 77 * C);
      }
      return out;
    },

    async unet(call: UNetCall) {
      const { sample, frames, height, width, controlResiduals, probe } = call;
      const batch = sample.length / (4 * height * width);
      const residuals = controlResiduals !== undefined;
      const plan = call.modulation;
      // CPU: the whole graph unless the cores are needed (modulation, probe); GPU: always partitioned.
      const partitioned = onGpu || (plan !== undefined && plan.cores.length > 0) || probe !== undefined;
      const build = async () =>
        buildUNet(await store(sd, weightFile('unet', 'diffusion_pytorch_model')), arch.unet, {
          batch,
          height,
          width,
          frames,
          residuals,
        });
      const key = `unet:${partitioned ? 'partitioned' : 'whole'}:${batch}:${frames}:${height}x${width}:${residuals}`;
      const net = await cache.get(key, async () =>
        partitioned ? compilePartitioned(await build(), backend, compile) : whole(build),
      );
      const inputs: Record<string, HostTensor> = {
        sample: f32([batch, 4, height, width], sample),
        timestep: f32([1], Float32Array.of(call.t)),
        encoder_hidden_states: f32([call.textCond.length / (77 * C), 77, C], call.textCond),
      };
      if (controlResiduals) {
        const shapes = residualShapes(arch.unet, batch, height, width);
        controlResiduals.down.forEach((r, i) => (inputs[`down_block_additional_residuals.${i}`] = f32(shapes[i]!, r)));
        inputs.mid_block_additional_residual = f32(shapes[CONTROLNET_DOWN_RESIDUALS]!, controlResiduals.mid);
      }
      const options: RunOptions = {
        ...(plan && plan.cores.length > 0
          ? {
              modulation: (core: AttentionCore): Modulation | undefined =>
                modulationForCore(plan, core.attention, core.queryTokens),
            }
          : {}),
        ...(probe ? { probe: probe satisfies AttentionProbeHook } : {}),
      };
      const prompt = await prompts.get(key, net, call.textCond, inputs.encoder_hidden_states!);
      return host(await net.run(inputs, { ...options, ...(prompt ? { prompt } : {}) }), 'noise_pred');
    },

    async vaeEncode(images, frames, height, width): Promise<VaePosterior> {
      const net = await cache.get(`vae-enc:${frames}:${height}x${width}`, () =>
        whole(async () =>
          buildVaeEncoder(await store(sd, weightFile('vae', 'diffusion_pytorch_model')), arch.vae, {
            batch: frames,
            height,
            width,
          }),
        ),
      );
      const out = await net.run({ image: f32([frames, 3, height, width], images) });
      return { mean: host(out, 'latent_mean'), std: host(out, 'latent_std') };
    },

    async vaeDecode(latents, frames, height, width) {
      const net = await cache.get(`vae-dec:${frames}:${height}x${width}`, () =>
        whole(async () =>
          buildVaeDecoder(await store(sd, weightFile('vae', 'diffusion_pytorch_model')), arch.vae, {
            batch: frames,
            height,
            width,
          }),
        ),
      );
      return host(await net.run({ latent: f32([frames, 4, height, width], latents) }), 'image');
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
      const { sample, height, width } = call;
      const batch = sample.length / (4 * height * width);
      const textBatch = call.textCond.length / (77 * C);
      const net = await cache.get(`controlnet:${batch}:${textBatch}:${height}x${width}`, () =>
        whole(async () =>
          buildControlNet(await store(cnRead, cnWeights), cnArch, {
            batch,
            height,
            width,
            frames: batch / textBatch,
          }),
        ),
      );
      const out = await net.run({
        sample: f32([batch, 4, height, width], sample),
        timestep: f32([1], Float32Array.of(call.t)),
        encoder_hidden_states: f32([textBatch, 77, C], call.textCond),
        controlnet_cond: f32([batch, 3, height * 8, width * 8], call.condition),
        conditioning_scale: f32([1], Float32Array.of(call.scale)),
      });
      return {
        down: Array.from({ length: CONTROLNET_DOWN_RESIDUALS }, (_, i) => host(out, `down_block_res_samples.${i}`)),
        mid: host(out, 'mid_block_res_sample'),
      };
    };
  }

  return components;
}

/** Residual shapes of SD1.5-family UNets: conv_in, 2 per down block + 1 per downsampler, then the mid block. */
function residualShapes(unet: UNetArch, batch: number, height: number, width: number): number[][] {
  const shapes: number[][] = [];
  const ch = unet.blockOutChannels;
  let h = height;
  let w = width;
  shapes.push([batch, ch[0]!, h, w]);
  ch.forEach((c, level) => {
    for (let j = 0; j < unet.layersPerBlock; j++) shapes.push([batch, c, h, w]);
    if (level < ch.length - 1) {
      h = Math.ceil(h / 2);
      w = Math.ceil(w / 2);
      shapes.push([batch, c, h, w]);
    }
  });
  shapes.push([batch, ch[ch.length - 1]!, h, w]);
  return shapes;
}
