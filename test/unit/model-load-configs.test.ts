/**
 * "Ready" means "will build" (DESIGN §4, §7; issue 19): the loader (resolveModelFiles + validateModel) parses
 * every config.json with the graph builders' own parser (src/core/models/architecture.ts), so a value only the
 * builder used to check is refused at load, with the field named.
 */
import { describe, expect, test } from 'vitest';
import { parseUNetArch, parseVaeArch, parseClipArch } from '../../src/core/models/architecture';
import { parseUNetConfig } from '../../src/core/models/configs';
import {
  SD15_CONTROLNET_CONFIG,
  SD15_SCHEDULER_CONFIG,
  SD15_TEXT_ENCODER_CONFIG,
  SD15_UNET_CONFIG,
  SD15_VAE_CONFIG,
} from '../../src/core/models/known-configs';
import type { ModelKind } from '../../src/core/models/files';
import { resolveModelFiles } from '../../src/core/models/resolve';
import type { ModelSource } from '../../src/core/models/source';
import { validateModel } from '../../src/core/models/validate';
import { writeSafetensors } from '../../src/core/tensors/safetensors';
import { MemorySource } from '../helpers/memory-source';
import { describeShared, readShared } from '../helpers/node/shared';
import { createNodeComponents } from '../../workers/engine/pipeline/components-node';
import { SD15_SCHEDULE, linspaceFloat32 } from '../../src/core/schedule/schedule';
import { DdimScheduler } from '../../workers/engine/scheduler/ddim';
import { DdimInverseScheduler } from '../../workers/engine/scheduler/ddim-inverse';

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const weights = () => writeSafetensors({ w: { dtype: 'F32', shape: [1], data: new Float32Array(1) } });

/** An SD1.5 folder (configs as published, one-tensor weights) with `patch` merged into one config. */
function sdSource(
  patch: Partial<Record<'unet' | 'text_encoder' | 'vae' | 'scheduler', object>> = {},
  scheduler: object = { ...SD15_SCHEDULER_CONFIG, ...patch.scheduler },
) {
  return new MemorySource({
    'model_index.json': json({ _class_name: 'StableDiffusionPipeline' }),
    'unet/config.json': json({ ...SD15_UNET_CONFIG, ...patch.unet }),
    'unet/diffusion_pytorch_model.safetensors': weights(),
    'text_encoder/config.json': json({ ...SD15_TEXT_ENCODER_CONFIG, ...patch.text_encoder }),
    'text_encoder/model.safetensors': weights(),
    'vae/config.json': json({ ...SD15_VAE_CONFIG, ...patch.vae }),
    'vae/diffusion_pytorch_model.safetensors': weights(),
    'scheduler/scheduler_config.json': json(scheduler),
    'tokenizer/tokenizer.json': json({}),
  });
}

async function load(source: ModelSource, kind: ModelKind = 'sd15') {
  return validateModel(source, kind, await resolveModelFiles(source, kind));
}

describe('model load uses the builders’ architecture parser', () => {
  test('SD1.5 as published loads, and its configs are the ones the builders parse', async () => {
    const model = await load(sdSource());
    expect(model.configs.unet).toMatchObject({ attentionHeads: 8, crossAttentionDim: 768, outChannels: 4 });
    expect(model.configs.textEncoder).toMatchObject({ hiddenSize: 768, numHiddenLayers: 12, vocabSize: 49408 });
    expect(model.configs.vae).toMatchObject({ blockOutChannels: [128, 256, 512, 512], latentChannels: 4 });
    const cn = new MemorySource({
      'config.json': json(SD15_CONTROLNET_CONFIG),
      'diffusion_pytorch_model.safetensors': weights(),
    });
    expect((await load(cn, 'controlnet')).configs.controlnet).toMatchObject({ conditioningChannels: 3 });
  });

  test.each([
    ['unet', 'act_fn', 'gelu'],
    ['unet', 'resnet_time_scale_shift', 'scale_shift'],
    ['unet', 'time_embedding_type', 'fourier'],
    ['unet', 'transformer_layers_per_block', 2],
    ['unet', 'center_input_sample', true],
    ['vae', 'act_fn', 'relu'],
    ['vae', 'shift_factor', 0.1159],
    ['text_encoder', 'hidden_act', 'relu'],
  ] as const)('%s/config.json with %s = %j is refused at load, naming the field', async (dir, field, value) => {
    await expect(load(sdSource({ [dir]: { [field]: value } }))).rejects.toMatchObject({
      code: 'MODEL_ARCHITECTURE',
      details: { file: `${dir}/config.json`, field },
      message: expect.stringContaining(`"${field}"`),
    });
  });

  test('a ControlNet config in the UNet slot (and the reverse) is refused naming _class_name', () => {
    expect(() => parseUNetConfig(SD15_CONTROLNET_CONFIG)).toThrow(
      expect.objectContaining({
        code: 'MODEL_ARCHITECTURE',
        details: expect.objectContaining({ field: '_class_name' }),
      }),
    );
  });

  test('what loads is what the builders parse (same values)', () => {
    expect(parseUNetArch(SD15_UNET_CONFIG, 'unet/config.json')).toMatchObject({ heads: [8, 8, 8, 8] });
    expect(parseClipArch(SD15_TEXT_ENCODER_CONFIG, 't').act).toBe('quick_gelu');
    expect(parseVaeArch(SD15_VAE_CONFIG, 'v').blocks).toBe(4);
  });
});

describe("the checkpoint's scheduler_config.json (DESIGN §3.2, §4)", () => {
  test('SD1.5 as published gives the SD1.5 schedule', async () => {
    expect((await load(sdSource())).configs.scheduler).toEqual(SD15_SCHEDULE);
  });

  test('a different implemented schedule drives the schedulers (linear betas, offset 0, α past the end = 1)', async () => {
    const scheduler = {
      _class_name: 'DDIMScheduler',
      beta_schedule: 'linear',
      beta_start: 0.0001,
      beta_end: 0.02,
      num_train_timesteps: 1000,
      steps_offset: 0,
      set_alpha_to_one: true,
      clip_sample: false,
    };
    const schedule = (await load(sdSource({}, scheduler))).configs.scheduler!;
    expect(schedule).toEqual({
      numTrainTimesteps: 1000,
      betaStart: 0.0001,
      betaEnd: 0.02,
      betaSchedule: 'linear',
      stepsOffset: 0,
      setAlphaToOne: true,
    });
    const ddim = new DdimScheduler(schedule);
    ddim.setTimesteps(50);
    expect(ddim.timesteps[0]).toBe(980);
    expect(ddim.timesteps[49]).toBe(0);
    expect(ddim.betas).toEqual(linspaceFloat32(0.0001, 0.02, 1000));
    expect(ddim.finalAlphaCumprod).toBe(1);
    expect(ddim.alphasCumprod[0]).toBe(Math.fround(1 - Math.fround(0.0001)));
    const sd = new DdimScheduler();
    sd.setTimesteps(50);
    expect(sd.timesteps[0]).toBe(981);
    const inverse = new DdimInverseScheduler('v0.19', schedule);
    expect(inverse.alphasCumprod).toEqual(ddim.alphasCumprod);
  });

  test.each([
    ['prediction_type', 'v_prediction'],
    ['timestep_spacing', 'trailing'],
    ['beta_schedule', 'squaredcos_cap_v2'],
    ['clip_sample', true],
    ['thresholding', true],
    ['trained_betas', [0.1, 0.2]],
    ['rescale_betas_zero_snr', true],
  ] as const)('%s = %j is refused at load, naming the field', async (field, value) => {
    await expect(load(sdSource({ scheduler: { [field]: value } }))).rejects.toMatchObject({
      code: 'MODEL_ARCHITECTURE',
      details: { file: 'scheduler/scheduler_config.json', field },
      message: expect.stringContaining(`"${field}"`),
    });
  });

  test("an absent clip_sample takes DDIM's default (true) and is refused", async () => {
    const { clip_sample: _omit, ...rest } = SD15_SCHEDULER_CONFIG;
    await expect(load(sdSource({}, rest))).rejects.toMatchObject({ details: { field: 'clip_sample' } });
  });
});

describeShared('the engine runs the checkpoint’s schedule', () => {
  const tinySd = (scheduler?: object) => (p: string) =>
    scheduler && p === 'scheduler/scheduler_config.json' ? json(scheduler) : readShared(`golden/tiny-sd/${p}`);

  test('components carry the schedule of scheduler_config.json (what the denoise and inversion loops construct)', async () => {
    const sd15 = createNodeComponents({ sd: tinySd() });
    expect(sd15.schedule).toEqual(SD15_SCHEDULE);
    await sd15.release();
    const linear = { ...SD15_SCHEDULER_CONFIG, beta_schedule: 'linear', beta_start: 0.0001, beta_end: 0.02 };
    const other = createNodeComponents({ sd: tinySd(linear) });
    expect(other.schedule).toMatchObject({ betaSchedule: 'linear', betaStart: 0.0001, betaEnd: 0.02 });
    expect(new DdimScheduler(other.schedule).betas).toEqual(linspaceFloat32(0.0001, 0.02, 1000));
    await other.release();
    expect(() => createNodeComponents({ sd: tinySd({ ...SD15_SCHEDULER_CONFIG, prediction_type: 'sample' }) })).toThrow(
      expect.objectContaining({
        code: 'MODEL_ARCHITECTURE',
        details: expect.objectContaining({ field: 'prediction_type' }),
      }),
    );
  });
});
