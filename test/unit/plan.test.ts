import { expect, test } from 'vitest';
import {
  parseControlNetConfig,
  parseTextEncoderConfig,
  parseUNetConfig,
  parseVaeConfig,
} from '../../src/core/models/configs';
import {
  SD15_CONTROLNET_CONFIG,
  SD15_TEXT_ENCODER_CONFIG,
  SD15_UNET_CONFIG,
  SD15_VAE_CONFIG,
} from '../../src/core/models/known-configs';
import { controlNetParams, textEncoderParams, unetParams, vaeParams } from '../../src/core/plan/params';
import { computePlan, DEFAULT_PLAN_OPTIONS, type PlanModel } from '../../src/core/plan/plan';
import { planJson } from '../../src/core/plan/format';
import { parseSafetensors } from '../../src/core/tensors/safetensors';
import { describeShared, readShared } from '../helpers/node/shared';

const sd15: PlanModel = {
  unet: parseUNetConfig(SD15_UNET_CONFIG),
  textEncoder: parseTextEncoderConfig(SD15_TEXT_ENCODER_CONFIG),
  vae: parseVaeConfig(SD15_VAE_CONFIG),
  controlnet: parseControlNetConfig(SD15_CONTROLNET_CONFIG),
};

const near = (actual: number, expected: number, relTol: number) =>
  expect(Math.abs(actual - expected) / expected).toBeLessThan(relTol);

test('SD1.5 parameter counts from the configs match the published figures', () => {
  // diffusers/transformers report UNet 859,520,964, CLIP text 123,060,480, VAE 83,653,863; ControlNet ≈ 361M.
  expect(unetParams(sd15.unet)).toBe(859_520_964);
  expect(textEncoderParams(sd15.textEncoder)).toBe(123_060_480);
  expect(vaeParams(sd15.vae)).toBe(83_653_863);
  near(controlNetParams(sd15.controlnet!), 361.3e6, 0.002);
});

describeShared('parameter counts of the tiny golden models equal their safetensors element counts', () => {
  const elements = (rel: string) => {
    let n = 0;
    for (const t of parseSafetensors(readShared(rel)).tensors.values())
      if (t.dtype === 'F32') n += t.shape.reduce((a, d) => a * d, 1);
    return n;
  };
  const json = (rel: string) => JSON.parse(new TextDecoder().decode(readShared(rel))) as unknown;
  test.each([
    [
      'unet',
      () => unetParams(parseUNetConfig(json('golden/tiny-sd/unet/config.json'))),
      'golden/tiny-sd/unet/diffusion_pytorch_model.safetensors',
    ],
    [
      'text encoder',
      () => textEncoderParams(parseTextEncoderConfig(json('golden/tiny-sd/text_encoder/config.json'))),
      'golden/tiny-sd/text_encoder/model.safetensors',
    ],
    [
      'vae',
      () => vaeParams(parseVaeConfig(json('golden/tiny-sd/vae/config.json'))),
      'golden/tiny-sd/vae/diffusion_pytorch_model.safetensors',
    ],
    [
      'controlnet',
      () => controlNetParams(parseControlNetConfig(json('golden/tiny-controlnet/config.json'))),
      'golden/tiny-controlnet/diffusion_pytorch_model.safetensors',
    ],
  ])('%s', (_name, count, file) => {
    expect(count()).toBe(elements(file));
  });
});

const plan = (frames: number, extra: Partial<typeof DEFAULT_PLAN_OPTIONS> = {}) =>
  computePlan(sd15, { ...DEFAULT_PLAN_OPTIONS, frames, height: 512, width: 512, ...extra });

test('weights bytes are params × element bytes of the precision', () => {
  const p16 = plan(16);
  const total = 859_520_964 + 123_060_480 + 83_653_863 + controlNetParams(sd15.controlnet!);
  expect(p16.weightsBytes).toBe(2 * total);
  expect(plan(16, { precision: 'fp32' }).weightsBytes).toBe(4 * total);
  expect(plan(16, { controlnet: false }).weightsBytes).toBe(2 * (total - controlNetParams(sd15.controlnet!)));
});

test('the UNet step peak is at the 64×64 GEGLU and is bounded below by the tensors that must be live there', () => {
  const p = plan(16);
  const step = p.stages.denoise_step!;
  expect(step.at).toMatch(/^unet\.(down0|up3)\.attn\d\.ff$/);
  // One [16, 320, 64, 64] fp16 tensor = 41.9 MB. At the first GEGLU: the 8·C projection and its two 4·C
  // halves (16·C), the block input and the residual stream (2·C), the first skip (C), and the ControlNet
  // residuals (Σ over 12 skips + mid ≈ 5.125·C) must coexist.
  const unit = 16 * 320 * 64 * 64 * 2;
  expect(step.bytes - p.jobStateBytes).toBeGreaterThanOrEqual(23 * unit);
  expect(step.bytes - p.jobStateBytes).toBeLessThan(25 * unit);
  expect(p.largestTensorBytes).toBe(8 * unit);
});

test('activations scale linearly with frames; batched CFG doubles the UNet step; chunking shrinks it', () => {
  const p16 = plan(16);
  const p32 = plan(32);
  const act = (p: typeof p16) => p.stages.denoise_step!.bytes - p.jobStateBytes;
  expect(act(p32) / act(p16)).toBeCloseTo(2, 6);
  expect(act(plan(16, { cfg: 'batched' })) / act(p16)).toBeCloseTo(2, 6);
  const chunked = plan(16, { frameChunk: 4 });
  expect(act(chunked)).toBeLessThan(0.6 * act(p16));
  // chunk ≥ frames is the unchunked plan
  expect(plan(16, { frameChunk: 16 }).peakBytes).toBe(p16.peakBytes);
  // inversion evaluates one half (guidance 1): never more than a denoising step
  expect(p16.stages.inversion_step!.bytes).toBeLessThanOrEqual(p16.stages.denoise_step!.bytes);
});

test('budgets of DESIGN §6: 16 frames ≤ 4 GiB and 32 frames ≤ 6 GiB at 512² with ControlNet (fp16)', () => {
  const p16 = plan(16);
  const p32 = plan(32);
  expect(p16.peakBytes).toBeLessThanOrEqual(4 * 2 ** 30);
  expect(p32.peakBytes).toBeLessThanOrEqual(6 * 2 ** 30);
  expect(p16.peakBytes).toBe(p16.weightsBytes + p16.peakActivationBytes);
  // Both CFG halves as one batch of 2F frames would not fit: why the engine runs them in sequence.
  expect(plan(16, { cfg: 'batched' }).peakBytes).toBeGreaterThan(4 * 2 ** 30);
  expect(plan(32, { cfg: 'batched' }).peakBytes).toBeGreaterThan(6 * 2 ** 30);
});

test('plan JSON has the DESIGN §9 fields', () => {
  const j = planJson(plan(8));
  expect(Object.keys(j)).toEqual(
    expect.arrayContaining(['frames', 'size', 'weightsBytes', 'peakActivationBytes', 'peakBytes', 'stages']),
  );
  expect(j.frames).toBe(8);
  expect(j.size).toBe(512);
  expect(Object.keys(j.stages)).toEqual([
    'text_encode',
    'vae_encode',
    'control_embedding',
    'inversion_step',
    'denoise_step',
    'vae_decode',
  ]);
  expect(Math.max(...Object.values(j.stages))).toBe(j.peakActivationBytes);
});
