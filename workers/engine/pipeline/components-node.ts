/**
 * `Components` on the CPU: the graph builders (../models) run by onnxruntime-web's wasm backend, the UNet
 * partitioned at its attention cores with the CPU reference attention (src/core/attention/reference.ts) so
 * that ST-Layout modulation applies (../onnx/cpu-attention.ts). Used by Node tests and the CLI on tiny
 * models; slow for SD1.5 sizes. One network is compiled per input shape, lazily, and kept until `release()`.
 */
import type { Modulation } from '../../../src/core/attention/types.ts';
import type { AttentionCore, Graph } from '../graph/ir.ts';
import { buildClipText, parseClipArch } from '../models/clip.ts';
import { buildControlNet, buildUNet } from '../models/unet.ts';
import { parseUNetArch } from '../models/unet-config.ts';
import { buildVaeDecoder, buildVaeEncoder, parseVaeArch } from '../models/vae.ts';
import { WeightStore } from '../models/weights.ts';
import { cpuAttentionBackend } from '../onnx/cpu-attention.ts';
import {
  compilePartitioned,
  compileWhole,
  type AttentionBackend,
  type CompiledNetwork,
  type HostTensor,
} from '../onnx/runner.ts';
import type { Components, ControlNetCall, ControlResiduals, UNetCall, VaePosterior } from './components.ts';
import { modulationForCore } from './modulation.ts';

/** Reads a file of a diffusers model folder (relative path, e.g. `unet/config.json`). */
export type ModelFileReader = (relPath: string) => Uint8Array;

export interface NodeComponentsSource {
  readonly sd: ModelFileReader;
  /** A ControlNet folder (config.json + diffusion_pytorch_model.safetensors). */
  readonly controlnet?: ModelFileReader;
  readonly precision?: 'fp32' | 'fp16';
  /** Attention backend of the partitioned UNet (default: the CPU reference). */
  readonly attention?: AttentionBackend;
}

export const CONTROLNET_DOWN_RESIDUALS = 12;

const json = (bytes: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(bytes));
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
      if (!n) nets.set(key, (n = make()));
      return n;
    },
    async release(): Promise<void> {
      const all = [...nets.values()];
      nets.clear();
      await Promise.all(all.map(async (p) => (await p).release()));
    },
  };
}

export function createNodeComponents(source: NodeComponentsSource): Components {
  const { sd } = source;
  const weightFile = (dir: string, base: string) =>
    `${dir}/${base}${source.precision === 'fp16' ? '.fp16' : ''}.safetensors`;
  const store = (read: ModelFileReader, file: string) => new WeightStore(read(file), file);
  const clipArch = parseClipArch(json(sd('text_encoder/config.json')), 'text_encoder/config.json');
  const unetArch = parseUNetArch(json(sd('unet/config.json')), 'unet/config.json');
  const vaeConfig = json(sd('vae/config.json'));
  const vaeArch = parseVaeArch(vaeConfig, 'vae/config.json');
  const scaling = (vaeConfig as { scaling_factor?: unknown }).scaling_factor;
  const cnRead = source.controlnet;
  const cnArch = cnRead ? parseUNetArch(json(cnRead('config.json')), 'controlnet/config.json') : undefined;
  const cnWeights = `diffusion_pytorch_model${source.precision === 'fp16' ? '.fp16' : ''}.safetensors`;
  const cache = networkCache();
  const backend = source.attention ?? cpuAttentionBackend;
  const whole = (g: () => Graph) => compileWhole(g());

  const components: Components = {
    textChannels: clipArch.hidden,
    scalingFactor: typeof scaling === 'number' ? scaling : 0.18215,

    async encodeText(ids) {
      const net = await cache.get('clip', () =>
        whole(() => buildClipText(store(sd, weightFile('text_encoder', 'model')), clipArch, { batch: 1 })),
      );
      const out = new Float32Array(ids.length * 77 * clipArch.hidden);
      for (const [i, prompt] of ids.entries()) {
        const data = BigInt64Array.from(prompt, (v) => BigInt(v));
        const res = await net.run({ input_ids: { dims: [1, 77], data } });
        out.set(host(res, 'last_hidden_state'), i * 77 * clipArch.hidden);
      }
      return out;
    },

    async unet(call: UNetCall) {
      const { sample, frames, height, width, controlResiduals } = call;
      const batch = sample.length / (4 * height * width);
      const residuals = controlResiduals !== undefined;
      const plan = call.modulation;
      // Unmodulated calls run the whole graph (ORT's own attention, faster on the CPU); modulated ones the
      // graph partitioned at its attention cores, so the backend can apply the plan.
      const partitioned = plan !== undefined && plan.cores.length > 0;
      const build = () =>
        buildUNet(store(sd, weightFile('unet', 'diffusion_pytorch_model')), unetArch, {
          batch,
          height,
          width,
          frames,
          residuals,
        });
      const key = `unet:${partitioned ? 'partitioned' : 'whole'}:${batch}:${frames}:${height}x${width}:${residuals}`;
      const net = await cache.get(key, () => (partitioned ? compilePartitioned(build(), backend) : whole(build)));
      const inputs: Record<string, HostTensor> = {
        sample: f32([batch, 4, height, width], sample),
        timestep: f32([1], Float32Array.of(call.t)),
        encoder_hidden_states: f32([call.textCond.length / (77 * clipArch.hidden), 77, clipArch.hidden], call.textCond),
      };
      if (controlResiduals) {
        const shapes = residualShapes(batch, height, width);
        controlResiduals.down.forEach((r, i) => (inputs[`down_block_additional_residuals.${i}`] = f32(shapes[i]!, r)));
        inputs.mid_block_additional_residual = f32(shapes[CONTROLNET_DOWN_RESIDUALS]!, controlResiduals.mid);
      }
      const modulation = partitioned
        ? (core: AttentionCore): Modulation | undefined => modulationForCore(plan, core.attention, core.queryTokens)
        : undefined;
      return host(await net.run(inputs, modulation ? { modulation } : {}), 'noise_pred');
    },

    async vaeEncode(images, frames, height, width): Promise<VaePosterior> {
      const net = await cache.get(`vae-enc:${frames}:${height}x${width}`, () =>
        whole(() =>
          buildVaeEncoder(store(sd, weightFile('vae', 'diffusion_pytorch_model')), vaeArch, {
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
        whole(() =>
          buildVaeDecoder(store(sd, weightFile('vae', 'diffusion_pytorch_model')), vaeArch, {
            batch: frames,
            height,
            width,
          }),
        ),
      );
      return host(await net.run({ latent: f32([frames, 4, height, width], latents) }), 'image');
    },

    release: () => cache.release(),
  };

  if (cnRead && cnArch) {
    components.controlnet = async (call: ControlNetCall): Promise<ControlResiduals> => {
      const { sample, height, width } = call;
      const batch = sample.length / (4 * height * width);
      const textBatch = call.textCond.length / (77 * clipArch.hidden);
      const net = await cache.get(`controlnet:${batch}:${textBatch}:${height}x${width}`, () =>
        whole(() =>
          buildControlNet(store(cnRead, cnWeights), cnArch, {
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
        encoder_hidden_states: f32([textBatch, 77, clipArch.hidden], call.textCond),
        controlnet_cond: f32([batch, 3, height * 8, width * 8], call.condition),
        conditioning_scale: f32([1], Float32Array.of(call.scale)),
      });
      return {
        down: Array.from({ length: CONTROLNET_DOWN_RESIDUALS }, (_, i) => host(out, `down_block_res_samples.${i}`)),
        mid: host(out, 'mid_block_res_sample'),
      };
    };
  }

  /** Residual shapes of SD1.5-family UNets: conv_in, 2 per down block + 1 per downsampler, then the mid block. */
  function residualShapes(batch: number, height: number, width: number): number[][] {
    const shapes: number[][] = [];
    const ch = unetArch.blockOutChannels;
    let h = height;
    let w = width;
    shapes.push([batch, ch[0]!, h, w]);
    ch.forEach((c, level) => {
      for (let j = 0; j < unetArch.layersPerBlock; j++) shapes.push([batch, c, h, w]);
      if (level < ch.length - 1) {
        h = Math.ceil(h / 2);
        w = Math.ceil(w / 2);
        shapes.push([batch, c, h, w]);
      }
    });
    shapes.push([batch, ch[ch.length - 1]!, h, w]);
    return shapes;
  }

  return components;
}
