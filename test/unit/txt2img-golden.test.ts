/**
 * End to end with the tiny models: the real CLIP text encoder + UNet (onnxruntime-web wasm, fp32) driven by
 * runTxt2Img, then the VAE decoder, against diffusers' StableDiffusionPipeline (golden pipeline.safetensors:
 * "a photo of a cat", negative "", 128×128, 4 DDIM steps 751…1, guidance 7.5, latents_in = randn(seed 40)).
 * Tolerance: 1e-4 × max|latents_out| on the latents (measured 3.8e-5 at max 17.3, i.e. 2e-6 relative: 4 steps of
 * ~1e-6 UNet error, amplified by CFG 7.5), 1e-4 absolute on the image in [0, 1] (measured 5e-6).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createClipTokenizer } from '../../src/core/tokenizer/clip';
import type { Components } from '../../workers/engine/pipeline/components';
import { createNodeComponents } from '../../workers/engine/pipeline/components-node';
import { cpuTensor, type DeviceTensor } from '../../workers/engine/tensors/device-tensor';
import { runTxt2Img } from '../../workers/engine/pipeline/txt2img';
import { describeShared, readShared, sharedPath } from '../helpers/node/shared';
import { diff, goldenTensor } from './models-golden';

const P = 'pipeline.safetensors';

const values = (t: DeviceTensor): Float32Array => {
  if (t.location !== 'cpu') throw new Error('CPU tensors only');
  return t.data;
};

describeShared('txt2img with the tiny SD models vs diffusers StableDiffusionPipeline', () => {
  let components: Components;
  beforeAll(() => {
    components = createNodeComponents({ sd: (p) => readShared(`golden/tiny-sd/${p}`) });
  });
  afterAll(async () => {
    await components?.release();
  });

  it('latents_out and image_out of 4 steps with CFG 7.5', async () => {
    const tokenizer = createClipTokenizer({
      tokenizerJson: readFileSync(sharedPath('models/clip_tokenizer/tokenizer.json'), 'utf8'),
    });
    const textCond = values(
      await components.encodeText([tokenizer.encode('').ids, tokenizer.encode('a photo of a cat').ids]),
    );
    const latentsIn = goldenTensor(P, 'latents_in');
    const timesteps: number[] = [];
    const latents = await runTxt2Img({
      latents: latentsIn.data,
      textCond,
      steps: 4,
      guidanceScale: 7.5,
      predictNoise: async (sample, t, ehs) =>
        values(
          await components.unet({
            sample: cpuTensor(sample, [sample.length / (4 * 16 * 16), 4, 16, 16]),
            t,
            textCond: cpuTensor(ehs, [ehs.length / (77 * components.textChannels), 77, components.textChannels]),
            frames: 1,
          }),
        ),
      onStep: (s) => timesteps.push(s.t),
    });
    expect(timesteps).toEqual([751, 501, 251, 1]);
    const dLatents = diff({ dims: [1, 4, 16, 16], data: latents }, goldenTensor(P, 'latents_out'));
    const sf = components.scalingFactor;
    const decoded = values(
      await components.vaeDecode(
        cpuTensor(
          latents.map((v) => v / sf),
          [1, 4, 16, 16],
        ),
      ),
    );
    const image = decoded.map((x) => Math.min(1, Math.max(0, x / 2 + 0.5)));
    const dImage = diff({ dims: [1, 3, 128, 128], data: image }, goldenTensor(P, 'image_out'));
    console.log(
      `txt2img golden: latents max|Δ| ${dLatents.maxAbs.toExponential(2)} (max|ref| ${dLatents.refMaxAbs.toFixed(2)}), ` +
        `image max|Δ| ${dImage.maxAbs.toExponential(2)}`,
    );
    expect(dLatents.maxAbs).toBeLessThan(1e-4 * dLatents.refMaxAbs);
    expect(dImage.maxAbs).toBeLessThan(1e-4);
  }, 120_000);
});
