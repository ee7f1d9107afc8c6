/**
 * The model graphs on WebGPU (onnxruntime-web sessions on the engine's device, outputs kept on the GPU)
 * against the diffusers goldens: CLIP text encoder, and the UNet both as one graph and partitioned at its
 * attention cores with the WGSL attention kernel between sessions, the ControlNet, and the VAE encoder and decoder. Software adapter: fp32, slow — tiny models.
 * Tolerance 1e-3 max |Δ| (GPU fp32 reductions reorder sums; measured values are printed).
 */
import { afterEach, beforeAll, expect, it } from 'vitest';
import { parseSafetensors, readAllFloat32, type HostTensor as GoldenTensor } from '../../src/core/tensors/safetensors';
import { buildClipText, parseClipArch } from '../../workers/engine/models/clip';
import { buildControlNet, buildUNet } from '../../workers/engine/models/unet';
import { buildVaeDecoder, buildVaeEncoder, parseVaeArch } from '../../workers/engine/models/vae';
import { parseUNetArch } from '../../workers/engine/models/unet-config';
import { WeightStore } from '../../workers/engine/models/weights';
import { gpuAttentionBackend } from '../../workers/engine/onnx/gpu-attention';
import { compilePartitioned, compileWhole, type HostTensor } from '../../workers/engine/onnx/runner';
import { startGpuTest, type GpuHarness } from '../helpers/browser/gpu-harness';
import { describeShared, fetchShared } from '../helpers/browser/shared';

const json = async (rel: string): Promise<unknown> => JSON.parse(new TextDecoder().decode(await fetchShared(rel)));

function maxAbsDiff(actual: HostTensor | undefined, expected: GoldenTensor): number {
  expect(actual?.dims).toEqual(expected.shape);
  const a = actual!.data as Float32Array;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - expected.data[i]!));
  return m;
}

describeShared('SD1.5-family graphs on WebGPU', () => {
  let gpu: GpuHarness;
  let unetGolden: Map<string, GoldenTensor>;
  let cnGolden: Map<string, GoldenTensor>;
  let unetWeights: Uint8Array;
  let unetConfig: unknown;

  beforeAll(async () => {
    unetGolden = readAllFloat32(await fetchShared('golden/expected/unet.safetensors'));
    cnGolden = readAllFloat32(await fetchShared('golden/expected/controlnet.safetensors'));
    unetWeights = await fetchShared('golden/tiny-sd/unet/diffusion_pytorch_model.safetensors');
    unetConfig = await json('golden/tiny-sd/unet/config.json');
  });
  afterEach(async () => {
    await gpu?.finish();
  });

  const unetInputs = (t: number, residuals: boolean): Record<string, HostTensor> => {
    const g = (m: Map<string, GoldenTensor>, n: string): HostTensor => ({
      dims: m.get(n)!.shape,
      data: m.get(n)!.data,
    });
    const inputs: Record<string, HostTensor> = {
      sample: g(unetGolden, 'sample'),
      timestep: { dims: [1], data: Float32Array.of(t) },
      encoder_hidden_states: g(unetGolden, 'encoder_hidden_states'),
    };
    if (residuals) {
      for (let i = 0; i < 12; i++)
        inputs[`down_block_additional_residuals.${i}`] = g(cnGolden, `t${t}.down_block_res_samples.${i}`);
      inputs.mid_block_additional_residual = g(cnGolden, `t${t}.mid_block_res_sample`);
    }
    return inputs;
  };

  it('CLIP text encoder: last_hidden_state', async () => {
    gpu = await startGpuTest();
    const file = await fetchShared('golden/expected/clip.safetensors');
    const info = parseSafetensors(file).tensors.get('input_ids')!;
    const ids = new BigInt64Array(file.slice(info.begin, info.end).buffer);
    const w = new WeightStore(await fetchShared('golden/tiny-sd/text_encoder/model.safetensors'));
    const arch = parseClipArch(await json('golden/tiny-sd/text_encoder/config.json'), 'text_encoder/config.json');
    const net = await compileWhole(buildClipText(w, arch, { batch: 4 }), {
      target: { kind: 'webgpu', device: gpu.device },
      placement: { kind: 'external', location: 'text_encoder.bin' },
    });
    try {
      const out = await net.run({ input_ids: { dims: [...info.shape], data: ids } });
      const d = maxAbsDiff(out.get('last_hidden_state'), readAllFloat32(file).get('last_hidden_state')!);
      console.info(`[webgpu] CLIP last_hidden_state max |Δ| ${d.toExponential(2)}`);
      expect(d).toBeLessThan(1e-3);
    } finally {
      await net.release();
    }
  });

  it('UNet noise prediction at t=981 and t=1 (one graph)', async () => {
    gpu = await startGpuTest();
    const arch = parseUNetArch(unetConfig, 'unet/config.json');
    const graph = buildUNet(new WeightStore(unetWeights), arch, { batch: 2, height: 16, width: 16 });
    const net = await compileWhole(graph, {
      target: { kind: 'webgpu', device: gpu.device },
      placement: { kind: 'external', location: 'unet.bin' },
    });
    try {
      for (const t of [981, 1]) {
        const out = await net.run(unetInputs(t, false));
        const d = maxAbsDiff(out.get('noise_pred'), unetGolden.get(`noise_pred_t${t}`)!);
        console.info(`[webgpu] UNet t=${t} max |Δ| ${d.toExponential(2)}`);
        expect(d).toBeLessThan(1e-3);
      }
    } finally {
      await net.release();
    }
  });

  it('UNet partitioned at its attention cores and cut to a weight budget, WGSL attention, ControlNet residuals', async () => {
    gpu = await startGpuTest();
    const arch = parseUNetArch(unetConfig, 'unet/config.json');
    const graph = buildUNet(new WeightStore(unetWeights), arch, { batch: 2, height: 16, width: 16, residuals: true });
    // The WebGPU load budget (256 MiB per session at SD1.5 size) scaled to the tiny UNet: segments become chains
    // of sessions whose intermediates stay GPU buffers between them.
    const net = await compilePartitioned(graph, gpuAttentionBackend(gpu.device), {
      target: { kind: 'webgpu', device: gpu.device },
      placement: { kind: 'external', location: 'unet.bin' },
      maxSessionWeightBytes: 96 * 1024,
    });
    expect(net.sessions).toBeGreaterThan(40);
    try {
      const prompt = await net.encodePrompt({ encoder_hidden_states: unetInputs(1, true).encoder_hidden_states! });
      try {
        for (const t of [1, 981]) {
          const out = await net.run(unetInputs(t, true), { prompt });
          const d = maxAbsDiff(out.get('noise_pred'), unetGolden.get(`noise_pred_controlnet_t${t}`)!);
          console.info(
            `[webgpu] partitioned UNet (${net.sessions} sessions) t=${t} + ControlNet max |Δ| ${d.toExponential(2)}`,
          );
          expect(d).toBeLessThan(1e-3);
        }
      } finally {
        prompt.release();
      }
    } finally {
      await net.release();
    }
  });

  it('ControlNet: 12 down residuals + mid residual at t=981', async () => {
    gpu = await startGpuTest();
    const w = new WeightStore(await fetchShared('golden/tiny-controlnet/diffusion_pytorch_model.safetensors'));
    const arch = parseUNetArch(await json('golden/tiny-controlnet/config.json'), 'config.json');
    const net = await compileWhole(buildControlNet(w, arch, { batch: 2, height: 16, width: 16 }), {
      target: { kind: 'webgpu', device: gpu.device },
      placement: { kind: 'external', location: 'controlnet.bin' },
    });
    const g = (n: string): HostTensor => ({ dims: cnGolden.get(n)!.shape, data: cnGolden.get(n)!.data });
    try {
      const out = await net.run({
        sample: g('sample'),
        timestep: { dims: [1], data: Float32Array.of(981) },
        encoder_hidden_states: g('encoder_hidden_states'),
        controlnet_cond: g('controlnet_cond'),
        conditioning_scale: { dims: [1], data: Float32Array.of(1) },
      });
      let worst = 0;
      for (const n of [...Array.from({ length: 12 }, (_, i) => `down_block_res_samples.${i}`), 'mid_block_res_sample'])
        worst = Math.max(worst, maxAbsDiff(out.get(n), cnGolden.get(`t981.${n}`)!));
      console.info(`[webgpu] ControlNet residuals max |Δ| ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-3);
    } finally {
      await net.release();
    }
  });

  it('VAE encoder (latent mean/std) and decoder (image)', async () => {
    gpu = await startGpuTest();
    const golden = readAllFloat32(await fetchShared('golden/expected/vae.safetensors'));
    const g = (n: string): HostTensor => ({ dims: golden.get(n)!.shape, data: golden.get(n)!.data });
    const bytes = await fetchShared('golden/tiny-sd/vae/diffusion_pytorch_model.safetensors');
    const arch = parseVaeArch(await json('golden/tiny-sd/vae/config.json'), 'vae/config.json');
    const target = { kind: 'webgpu', device: gpu.device } as const;
    const enc = await compileWhole(
      buildVaeEncoder(new WeightStore(bytes), arch, { batch: 2, height: 128, width: 128 }),
      {
        target,
        placement: { kind: 'external', location: 'vae_encoder.bin' },
      },
    );
    const dec = await compileWhole(buildVaeDecoder(new WeightStore(bytes), arch, { batch: 2, height: 16, width: 16 }), {
      target,
      placement: { kind: 'external', location: 'vae_decoder.bin' },
    });
    try {
      const e = await enc.run({ image: g('image') });
      const d = await dec.run({ latent: g('decode_latent') });
      const diffs = [
        maxAbsDiff(e.get('latent_mean'), golden.get('latent_dist.mean')!),
        maxAbsDiff(e.get('latent_std'), golden.get('latent_dist.std')!),
        maxAbsDiff(d.get('image'), golden.get('decode_image')!),
      ];
      console.info(`[webgpu] VAE mean/std/image max |Δ| ${diffs.map((x) => x.toExponential(2)).join(' / ')}`);
      for (const x of diffs) expect(x).toBeLessThan(1e-3);
    } finally {
      await enc.release();
      await dec.release();
    }
  });
});
