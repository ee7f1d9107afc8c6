/**
 * The fp16 path's numerics without fp16 hardware (issue 12): every component of the tiny golden models run with
 * the fp16-emulation lowering (workers/engine/graph/precision.ts: binary16 rounding of weights and of every float
 * tensor between ops, fp32 inside ops) on ORT wasm, against the fp32 goldens of the reference implementation.
 * The error per component is printed; the bound is 1e-2 × max|reference| (the figure: binary16 keeps
 * 11 significant bits, 4.9e-4 relative per rounding, and a network compounds a few hundred of them).
 * The emulation must also really round: its output differs from the plain fp32 run's.
 */
import { describe, expect, it } from 'vitest';
import { roundToHalf } from '../../workers/engine/graph/precision';
import type { Graph } from '../../workers/engine/graph/ir';
import { buildClipText, parseClipArch } from '../../workers/engine/models/clip';
import { buildControlNet, buildUNet } from '../../workers/engine/models/unet';
import { parseUNetArch } from '../../workers/engine/models/unet-config';
import { buildVaeDecoder, buildVaeEncoder, parseVaeArch } from '../../workers/engine/models/vae';
import { compilePartitioned, compileWhole, type HostTensor } from '../../workers/engine/onnx/runner';
import { cpuAttentionBackend } from '../../workers/engine/onnx/cpu-attention';
import { describeShared } from '../helpers/node/shared';
import { asInput, config, diff, goldenInt64, goldenTensor, scalarInput, weights } from './models-golden';

describe('roundToHalf (binary16, ties to even)', () => {
  it('matches hand-checked binary16 values', () => {
    expect(roundToHalf(1)).toBe(1);
    expect(roundToHalf(1 + 2 ** -11)).toBe(1); // a tie: to the even mantissa
    expect(roundToHalf(1 + 3 * 2 ** -11)).toBe(1 + 2 ** -9); // a tie: to the even mantissa, upwards
    expect(roundToHalf(1 + 2 ** -11 + 2 ** -20)).toBe(1 + 2 ** -10);
    expect(roundToHalf(0.1)).toBe(0.0999755859375);
    expect(roundToHalf(-3.14159)).toBe(-3.140625);
    expect(roundToHalf(65504)).toBe(65504);
    expect(roundToHalf(65519)).toBe(65504);
    expect(roundToHalf(65520)).toBe(Infinity);
    expect(roundToHalf(2 ** -24)).toBe(2 ** -24); // the smallest subnormal
    expect(roundToHalf(2 ** -26)).toBe(0);
    expect(roundToHalf(3 * 2 ** -25)).toBe(2 ** -23); // a subnormal tie, to even
    expect(Number.isNaN(roundToHalf(NaN))).toBe(true);
  });
});

interface Case {
  readonly name: string;
  readonly graph: () => Graph;
  readonly inputs: () => Record<string, HostTensor>;
  /** Output name → golden (file, tensor). */
  readonly outputs: Readonly<Record<string, readonly [string, string]>>;
  readonly partitioned?: boolean;
}

const unetArch = () => parseUNetArch(config('tiny-sd/unet/config.json'), 'unet/config.json');
const cnArch = () => parseUNetArch(config('tiny-controlnet/config.json'), 'config.json');
const vaeArch = () => parseVaeArch(config('tiny-sd/vae/config.json'), 'vae/config.json');
const vaeWeights = () => weights('tiny-sd/vae/diffusion_pytorch_model.safetensors');

const CASES: readonly Case[] = [
  {
    name: 'text_encoder',
    graph: () =>
      buildClipText(
        weights('tiny-sd/text_encoder/model.safetensors'),
        parseClipArch(config('tiny-sd/text_encoder/config.json'), 'text_encoder/config.json'),
        { batch: 4 },
      ),
    inputs: () => ({ input_ids: goldenInt64('clip.safetensors', 'input_ids') }),
    outputs: { last_hidden_state: ['clip.safetensors', 'last_hidden_state'] },
  },
  {
    name: 'unet',
    // Partitioned, as the engine runs it: the CPU attention between fp16-rounded segments.
    partitioned: true,
    graph: () =>
      buildUNet(weights('tiny-sd/unet/diffusion_pytorch_model.safetensors'), unetArch(), {
        batch: 2,
        height: 16,
        width: 16,
      }),
    inputs: () => ({
      sample: asInput(goldenTensor('unet.safetensors', 'sample')),
      timestep: scalarInput(981),
      encoder_hidden_states: asInput(goldenTensor('unet.safetensors', 'encoder_hidden_states')),
    }),
    outputs: { noise_pred: ['unet.safetensors', 'noise_pred_t981'] },
  },
  {
    name: 'controlnet',
    partitioned: true,
    graph: () =>
      buildControlNet(weights('tiny-controlnet/diffusion_pytorch_model.safetensors'), cnArch(), {
        batch: 2,
        height: 16,
        width: 16,
      }),
    inputs: () => ({
      sample: asInput(goldenTensor('controlnet.safetensors', 'sample')),
      timestep: scalarInput(981),
      encoder_hidden_states: asInput(goldenTensor('controlnet.safetensors', 'encoder_hidden_states')),
      controlnet_cond: asInput(goldenTensor('controlnet.safetensors', 'controlnet_cond')),
      conditioning_scale: scalarInput(1),
    }),
    outputs: {
      'down_block_res_samples.0': ['controlnet.safetensors', 't981.down_block_res_samples.0'],
      'down_block_res_samples.11': ['controlnet.safetensors', 't981.down_block_res_samples.11'],
      mid_block_res_sample: ['controlnet.safetensors', 't981.mid_block_res_sample'],
    },
  },
  {
    name: 'vae_encoder',
    graph: () => buildVaeEncoder(vaeWeights(), vaeArch(), { batch: 2, height: 128, width: 128 }),
    inputs: () => ({ image: asInput(goldenTensor('vae.safetensors', 'image')) }),
    outputs: {
      latent_mean: ['vae.safetensors', 'latent_dist.mean'],
      latent_std: ['vae.safetensors', 'latent_dist.std'],
    },
  },
  {
    name: 'vae_decoder',
    graph: () => buildVaeDecoder(vaeWeights(), vaeArch(), { batch: 2, height: 16, width: 16 }),
    inputs: () => ({ latent: asInput(goldenTensor('vae.safetensors', 'decode_latent')) }),
    outputs: { image: ['vae.safetensors', 'decode_image'] },
  },
];

async function run(c: Case, precision: 'fp32' | 'fp16-emulated' | 'fp16'): Promise<Map<string, HostTensor>> {
  const net = c.partitioned
    ? await compilePartitioned(c.graph(), cpuAttentionBackend, { precision })
    : await compileWhole(c.graph(), { precision });
  try {
    return await net.run(c.inputs());
  } finally {
    await net.release();
  }
}

describeShared('fp16 emulation and the fp16 graphs of every component vs the fp32 goldens', () => {
  for (const c of CASES)
    it(`${c.name}: within 1e-2 of max|reference|, and not equal to the fp32 run`, async () => {
      const [emulated, plain] = [await run(c, 'fp16-emulated'), await run(c, 'fp32')];
      // The real fp16 graph (workers/engine/graph/fp16-graph.ts) on ORT wasm, which runs each fp16 op through
      // fp32 kernels with casts: the same storage points as the emulation, so the two agree closely.
      const half = await run(c, 'fp16');
      for (const [name, [file, tensor]] of Object.entries(c.outputs)) {
        const ref = goldenTensor(file, tensor);
        const fp16 = diff(emulated.get(name), ref);
        const fp32 = diff(plain.get(name), ref);
        const real = diff(half.get(name), ref);
        const vsEmulation = diff(half.get(name), { shape: ref.shape, data: emulated.get(name)!.data as Float32Array });
        const rel = fp16.maxAbs / fp16.refMaxAbs;
        console.log(
          `[fp16 emulation] ${c.name} ${name}: max|Δ| ${fp16.maxAbs.toExponential(2)} (relative ${rel.toExponential(2)}; ` +
            `fp32 path ${(fp32.maxAbs / fp32.refMaxAbs).toExponential(2)}; max|ref| ${fp16.refMaxAbs.toFixed(3)}); ` +
            `fp16 graph ${(real.maxAbs / real.refMaxAbs).toExponential(2)}, vs the emulation ${(vsEmulation.maxAbs / fp16.refMaxAbs).toExponential(2)}`,
        );
        expect(rel).toBeLessThan(1e-2);
        expect(fp16.maxAbs).toBeGreaterThan(fp32.maxAbs);
        expect(real.maxAbs / real.refMaxAbs).toBeLessThan(1e-2);
        expect(real.maxAbs).toBeGreaterThan(fp32.maxAbs);
      }
    }, 120_000);
});
