/**
 * Text encoder, VAE encoder/decoder and ControlNet built from ../shared/golden (tiny-sd, tiny-controlnet),
 * run with onnxruntime-web (wasm, fp32), against diffusers/transformers goldens.
 * fp32 tolerances: CLIP 1e-5 (measured ~1e-6 at max |x| 3.6), VAE/ControlNet 1e-4 (measured ≤ 3e-5).
 * fp16 weights upcast to fp32: 1e-2 × max|ref| (weight rounding 2⁻¹¹ relative; see models-unet.test.ts).
 */
import { expect, it } from 'vitest';
import { buildClipText, parseClipArch } from '../../workers/engine/models/clip';
import { buildControlNet } from '../../workers/engine/models/unet';
import { parseUNetArch } from '../../workers/engine/models/unet-config';
import { buildVaeDecoder, buildVaeEncoder, parseVaeArch } from '../../workers/engine/models/vae';
import { compileWhole, runOnce, type HostTensor } from '../../workers/engine/onnx/runner';
import { describeShared } from '../helpers/node/shared';
import { asInput, config, diff, goldenInt64, goldenTensor, scalarInput, weights } from './models-golden';

const fp16Bound = (d: { maxAbs: number; refMaxAbs: number }) => expect(d.maxAbs).toBeLessThan(1e-2 * d.refMaxAbs);

describeShared('CLIP text encoder (tiny-sd)', () => {
  const arch = () => parseClipArch(config('tiny-sd/text_encoder/config.json'), 'text_encoder/config.json');
  const ids = () => goldenInt64('clip.safetensors', 'input_ids');

  it('last_hidden_state of 4 prompts (fp32)', async () => {
    const w = weights('tiny-sd/text_encoder/model.safetensors');
    const graph = buildClipText(w, arch(), { batch: 4 });
    expect(w.unused()).toEqual([]);
    const out = await runOnce(graph, { input_ids: ids() });
    expect(
      diff(out.get('last_hidden_state'), goldenTensor('clip.safetensors', 'last_hidden_state')).maxAbs,
    ).toBeLessThan(1e-5);
  });

  it('as a chain of sessions of at most 64 KiB of weights each (the WebGPU load budget, scaled down)', async () => {
    const w = weights('tiny-sd/text_encoder/model.safetensors');
    const net = await compileWhole(buildClipText(w, arch(), { batch: 4 }), { maxSessionWeightBytes: 64 * 1024 });
    try {
      expect(net.sessions).toBeGreaterThan(2);
      const out = await net.run({ input_ids: ids() });
      expect(
        diff(out.get('last_hidden_state'), goldenTensor('clip.safetensors', 'last_hidden_state')).maxAbs,
      ).toBeLessThan(1e-5);
    } finally {
      await net.release();
    }
  });

  it('fp16 weights', async () => {
    const w = weights('tiny-sd/text_encoder/model.fp16.safetensors');
    const out = await runOnce(buildClipText(w, arch(), { batch: 4 }), { input_ids: ids() });
    fp16Bound(diff(out.get('last_hidden_state'), goldenTensor('clip.safetensors', 'last_hidden_state')));
  });
});

describeShared('AutoencoderKL (tiny-sd)', () => {
  const arch = () => parseVaeArch(config('tiny-sd/vae/config.json'), 'vae/config.json');
  const V = 'vae.safetensors';

  for (const file of ['diffusion_pytorch_model.safetensors', 'diffusion_pytorch_model.fp16.safetensors']) {
    const fp16 = file.includes('fp16');
    it(`encoder → latent mean/std, decoder → image (${fp16 ? 'fp16' : 'fp32'} weights)`, async () => {
      const w = weights(`tiny-sd/vae/${file}`);
      const enc = await runOnce(buildVaeEncoder(w, arch(), { batch: 2, height: 128, width: 128 }), {
        image: asInput(goldenTensor(V, 'image')),
      });
      const dec = await runOnce(buildVaeDecoder(w, arch(), { batch: 2, height: 16, width: 16 }), {
        latent: asInput(goldenTensor(V, 'decode_latent')),
      });
      expect(w.unused()).toEqual([]);
      const checks = [
        diff(enc.get('latent_mean'), goldenTensor(V, 'latent_dist.mean')),
        diff(enc.get('latent_std'), goldenTensor(V, 'latent_dist.std')),
        diff(dec.get('image'), goldenTensor(V, 'decode_image')),
      ];
      for (const d of checks) {
        if (fp16) fp16Bound(d);
        else expect(d.maxAbs).toBeLessThan(1e-4);
      }
    });
  }
});

describeShared('ControlNetModel (tiny-controlnet)', () => {
  const arch = () => parseUNetArch(config('tiny-controlnet/config.json'), 'config.json');
  const C = 'controlnet.safetensors';
  const inputs = (t: number, scale: number): Record<string, HostTensor> => ({
    sample: asInput(goldenTensor(C, 'sample')),
    timestep: scalarInput(t),
    encoder_hidden_states: asInput(goldenTensor(C, 'encoder_hidden_states')),
    controlnet_cond: asInput(goldenTensor(C, 'controlnet_cond')),
    conditioning_scale: scalarInput(scale),
  });
  const names = [...Array.from({ length: 12 }, (_, i) => `down_block_res_samples.${i}`), 'mid_block_res_sample'];

  it('12 down residuals + mid residual at t=981 and t=1; conditioning_scale multiplies them', async () => {
    const w = weights('tiny-controlnet/diffusion_pytorch_model.safetensors');
    const net = await compileWhole(buildControlNet(w, arch(), { batch: 2, height: 16, width: 16 }));
    expect(w.unused()).toEqual([]);
    try {
      for (const t of [981, 1]) {
        const out = await net.run(inputs(t, 1));
        for (const n of names)
          expect(diff(out.get(n), goldenTensor(C, `t${t}.${n}`)).maxAbs, `t${t}.${n}`).toBeLessThan(1e-4);
      }
      const half = await net.run(inputs(981, 0.5));
      const ref = goldenTensor(C, 't981.mid_block_res_sample');
      const scaled = { shape: ref.shape, data: ref.data.map((x) => x * 0.5) };
      expect(diff(half.get('mid_block_res_sample'), scaled).maxAbs).toBeLessThan(1e-4);
    } finally {
      await net.release();
    }
  });

  it('fp16 weights', async () => {
    const w = weights('tiny-controlnet/diffusion_pytorch_model.fp16.safetensors');
    const out = await runOnce(buildControlNet(w, arch(), { batch: 2, height: 16, width: 16 }), inputs(981, 1));
    for (const n of names) fp16Bound(diff(out.get(n), goldenTensor(C, `t981.${n}`)));
  });
});
