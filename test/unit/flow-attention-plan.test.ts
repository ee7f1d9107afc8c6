/**
 * The memory plan with FLATTEN (src/core/plan, DESIGN §3.6, §6): the key tables are job state (F·h_r·w_r·F
 * u32 per flattened level), the flow output one more C-channel tensor in the flattened UNet self-attentions
 * (not the ControlNet's), and the engine's plan options carry the request's flatten resolutions.
 */
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
import { computePlan, DEFAULT_PLAN_OPTIONS, type PlanModel } from '../../src/core/plan/plan';
import { DEFAULT_EDIT_SETTINGS, type EditRequest } from '../../src/core/protocol/edit';
import { editPlanOptions } from '../../workers/engine/edit/memory-check';

const sd15: PlanModel = {
  unet: parseUNetConfig(SD15_UNET_CONFIG),
  textEncoder: parseTextEncoderConfig(SD15_TEXT_ENCODER_CONFIG),
  vae: parseVaeConfig(SD15_VAE_CONFIG),
  controlnet: parseControlNetConfig(SD15_CONTROLNET_CONFIG),
};
const base = { ...DEFAULT_PLAN_OPTIONS, frames: 16, height: 512, width: 512, precision: 'fp32' as const };

test('flatten_res [1, 2, 4] at 16 × 512²: key tables in the job state, flow output at the flattened levels', () => {
  const off = computePlan(sd15, base);
  const on = computePlan(sd15, { ...base, flatten: [1, 2, 4] });
  const keys = 16 * 16 * 4 * (64 * 64 + 32 * 32 + 16 * 16);
  expect(on.jobStateBytes - off.jobStateBytes).toBe(keys);
  // Weights and the stages without a UNet move only by the job state.
  expect(on.weightsBytes).toBe(off.weightsBytes);
  expect(on.stages.vae_decode!.bytes - off.stages.vae_decode!.bytes).toBe(keys);
  // Denoising: at most one more full-resolution [F, 320, 64, 64] fp32 tensor beside the job state.
  const extra = on.stages.denoise_step!.bytes - off.stages.denoise_step!.bytes - keys;
  console.info(
    `[plan] flatten [1,2,4] at 16×512²: key tables ${(keys / 2 ** 20).toFixed(1)} MiB, denoise peak +${(extra / 2 ** 20).toFixed(1)} MiB beyond them; peak ${(on.peakBytes / 2 ** 30).toFixed(2)} GiB (off ${(off.peakBytes / 2 ** 30).toFixed(2)})`,
  );
  expect(extra).toBeGreaterThanOrEqual(0);
  expect(extra).toBeLessThanOrEqual(16 * 320 * 64 * 64 * 4);
  // Only the mid block (level 3) flattened: its self-attention op grows by [F, 1280, 8, 8].
  const mid = computePlan(sd15, { ...base, flatten: [8] });
  expect(mid.jobStateBytes - off.jobStateBytes).toBe(16 * 16 * 4 * 8 * 8);
});

test('the engine plans with the request’s flatten resolutions', () => {
  const request = (flatten: { resolutions: number[]; oldQk: boolean } | null): EditRequest => ({
    width: 64,
    height: 64,
    frames: [new Uint8Array(64 * 64 * 4), new Uint8Array(64 * 64 * 4)],
    sourcePrompt: '',
    targetPrompt: '',
    regions: [],
    settings: { ...DEFAULT_EDIT_SETTINGS, flatten },
  });
  expect(editPlanOptions(request({ resolutions: [1, 2], oldQk: true }), sd15, 'fp32').flatten).toEqual([1, 2]);
  expect(editPlanOptions(request(null), sd15, 'fp32').flatten).toBeUndefined();
});
