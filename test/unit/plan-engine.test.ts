/**
 * The engine's memory plan (workers/engine/edit/memory-check.ts): the plan options the engine computes for a
 * request match what the engine then executes (recorded on the Node CPU components with the tiny models: prompts
 * encoded, VAE batch, UNet/ControlNet batches per CFG mode, ControlNet on/off), the check refuses an edit over
 * the budget or the adapter's buffer size with EDIT_TOO_LARGE before any network is compiled, and the buffer
 * tracker's peak watches.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  parseControlNetConfig,
  parseTextEncoderConfig,
  parseUNetConfig,
  parseVaeConfig,
} from '../../src/core/models/configs';
import { planModelOf, type PlanSource } from '../../src/core/plan/model';
import { computePlan, type PlanModel } from '../../src/core/plan/plan';
import { DEFAULT_EDIT_SETTINGS, type EditRequest, type EditSettings } from '../../src/core/protocol/edit';
import type { LoadedModelInfo } from '../../src/core/protocol/engine';
import { formatBytes } from '../../src/core/models/errors';
import { AppError } from '../../src/core/protocol/errors';
import { parseSafetensors } from '../../src/core/tensors/safetensors';
import { createEditService, type EditService } from '../../workers/engine/edit-service';
import {
  checkEditMemory,
  editPlanOptions,
  ENGINE_PRECISION,
  type EditMemoryLimits,
} from '../../workers/engine/edit/memory-check';
import { trackDeviceBuffers } from '../../workers/engine/gpu/buffer-tracker';
import { VAE_FRAMES_PER_CALL } from '../../workers/engine/pipeline/components-graph';
import type { Components } from '../../workers/engine/pipeline/components';
import { createNodeComponents } from '../../workers/engine/pipeline/components-node';
import { describeShared, readShared, sharedPath } from '../helpers/node/shared';
import { halfMasks, squareClipFrames } from '../fixtures/edit-fixture';

const SIZE = 64;
const F = 2;
const GiB = 2 ** 30;

const info = (kind: 'sd15' | 'controlnet'): LoadedModelInfo => ({
  kind,
  id: kind,
  remote: false,
  precision: 'fp32',
  bytes: 1,
  files: 1,
  fromCache: false,
  summary: kind,
});

function request(settings: Partial<EditSettings> = {}, frames = F, size = SIZE): EditRequest {
  return {
    width: size,
    height: size,
    frames: squareClipFrames(frames, size),
    sourcePrompt: 'a yellow square on a gradient',
    targetPrompt: 'a red car beside a blue sea',
    regions: [
      { name: 'car', prompt: 'red car', masks: halfMasks(frames, size, true) },
      { name: 'sea', prompt: 'blue sea', masks: halfMasks(frames, size, false) },
    ],
    settings: { ...DEFAULT_EDIT_SETTINGS, steps: 2, condition: { kind: 'canny', scale: 0.8 }, ...settings },
  };
}

/** The tiny models as the engine's loaded models present them to the plan (configs + safetensors headers). */
function tinyPlanModel(): PlanModel {
  const json = (rel: string) => JSON.parse(new TextDecoder().decode(readShared(`golden/${rel}`))) as unknown;
  const header = (rel: string) => parseSafetensors(readShared(`golden/${rel}`));
  const sd: PlanSource = {
    configs: {
      unet: parseUNetConfig(json('tiny-sd/unet/config.json')),
      textEncoder: parseTextEncoderConfig(json('tiny-sd/text_encoder/config.json')),
      vae: parseVaeConfig(json('tiny-sd/vae/config.json')),
    },
    headers: new Map([
      ['unet.weights', header('tiny-sd/unet/diffusion_pytorch_model.safetensors')],
      ['text_encoder.weights', header('tiny-sd/text_encoder/model.safetensors')],
      ['vae.weights', header('tiny-sd/vae/diffusion_pytorch_model.safetensors')],
    ]),
  };
  const cn: PlanSource = {
    configs: { controlnet: parseControlNetConfig(json('tiny-controlnet/config.json')) },
    headers: new Map([['controlnet.weights', header('tiny-controlnet/diffusion_pytorch_model.safetensors')]]),
  };
  return planModelOf(sd, cn);
}

/** What the networks were asked to do during one edit. */
interface Recorded {
  prompts: number[];
  vae: number[];
  unet: Set<number>;
  controlnet: Set<number>;
  creates: number;
}

function recording(inner: Components, rec: Recorded): Components {
  const c: Components = {
    ...inner,
    encodeText: (ids) => (rec.prompts.push(ids.length), inner.encodeText(ids)),
    vaeEncode: (images) => (rec.vae.push(images.dims[0]!), inner.vaeEncode(images)),
    vaeDecode: (latents) => (rec.vae.push(latents.dims[0]!), inner.vaeDecode(latents)),
    unet: (call) => (rec.unet.add(call.sample.dims[0]!), inner.unet(call)),
  };
  if (inner.controlnet) {
    const cn = inner.controlnet.bind(inner);
    c.controlnet = (call) => (rec.controlnet.add(call.sample.dims[0]!), cn(call));
  }
  return c;
}

describeShared('the plan the engine computes is the edit it runs (Node CPU components, tiny models)', () => {
  const model = tinyPlanModel();
  const rec: Recorded = { prompts: [], vae: [], unet: new Set(), controlnet: new Set(), creates: 0 };
  let limits: EditMemoryLimits = { maxBufferSize: GiB, maxStorageBufferBindingSize: GiB, budgetBytes: GiB };
  let service: EditService;

  beforeAll(() => {
    const read = (dir: string) => (rel: string) => readShared(`golden/${dir}/${rel}`);
    // A fake device: the check needs limits and a peak watch, nothing else.
    const device = { createBuffer: (d: GPUBufferDescriptor) => ({ size: d.size, destroy: () => undefined }) };
    const tracker = trackDeviceBuffers(device as unknown as GPUDevice);
    service = createEditService<{ info: LoadedModelInfo }>({
      models: {
        loaded: (kind) => ({ info: info(kind === 'controlnet' ? 'controlnet' : 'sd15') }),
        tokenizerFiles: async () => ({
          tokenizerJson: readFileSync(sharedPath('models/clip_tokenizer/tokenizer.json'), 'utf8'),
        }),
      },
      createComponents: async (models) => {
        rec.creates++;
        return recording(
          createNodeComponents({
            sd: read('tiny-sd'),
            ...(models.controlnet ? { controlnet: read('tiny-controlnet') } : {}),
          }),
          rec,
        );
      },
      memory: {
        planModel: () => model,
        device: async () => ({ limits, watchPeak: () => tracker.watchPeak() }),
      },
    });
  });

  const run = async (req: EditRequest) => {
    await service.releaseCache(); // every edit compiles and runs inversion and denoising
    Object.assign(rec, { prompts: [], vae: [], unet: new Set(), controlnet: new Set() });
    const result = await service.edit(req);
    const options = editPlanOptions(req, model, ENGINE_PRECISION);
    expect(result.memory).toEqual({
      planPeakBytes: computePlan(model, options).peakBytes,
      measuredPeakBytes: 0, // no buffers on the CPU components
      weightsBytes: computePlan(model, options).weightsBytes,
    });
    return options;
  };

  it.each([
    ['sequential CFG (default)', {}, [F], true],
    ['batched CFG', { cfgBatch: 'batched' }, [F, 2 * F], true],
    ['batched CFG at guidance 1 (one half)', { cfgBatch: 'batched', guidance: 1 }, [F], true],
    ['no ControlNet', { condition: { kind: 'none', scale: 1 } }, [F], false],
  ] as const)('%s', async (_, settings, unetBatches, controlnet) => {
    const options = await run(request(settings as Partial<EditSettings>));
    // What ran…
    expect([...rec.unet].sort()).toEqual(unetBatches);
    expect(rec.controlnet.size > 0).toBe(controlnet);
    if (controlnet) expect([...rec.controlnet].sort()).toEqual(unetBatches);
    // …is what the plan was told.
    expect(options).toMatchObject({ frames: F, height: SIZE, width: SIZE, precision: 'fp32', controlnet });
    expect(options.cfg === 'batched' ? 2 * F : F).toBe(Math.max(...rec.unet));
    expect(options.denoiserCopies).toBe(rec.unet.size); // one compiled network per batch shape, all resident
    // The components get all frames and run the VAE VAE_FRAMES_PER_CALL frames per call.
    expect(Math.max(...rec.vae)).toBe(F);
    expect(options.vaeChunk).toBe(VAE_FRAMES_PER_CALL);
    expect(rec.prompts).toEqual([options.prompts]);
  });

  it('refuses an edit over the budget before compiling anything, naming the planned figure and what to lower', async () => {
    const req = request({}, 4);
    const plan = computePlan(model, editPlanOptions(req, model, ENGINE_PRECISION));
    const fits2 = computePlan(model, editPlanOptions(request({}, 2), model, ENGINE_PRECISION)).peakBytes;
    const fits3 = computePlan(model, editPlanOptions(request({}, 3), model, ENGINE_PRECISION)).peakBytes;
    limits = { maxBufferSize: GiB, maxStorageBufferBindingSize: GiB, budgetBytes: Math.floor((fits2 + fits3) / 2) };
    await service.releaseCache();
    const creates = rec.creates;
    const e = await service.edit(req).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe('EDIT_TOO_LARGE');
    const message = (e as AppError).message;
    console.info(`[plan-engine] refusal: ${message}`);
    expect(message).toContain('4 frames at 64×64');
    expect(message).toContain(`about ${formatBytes(plan.peakBytes)} of GPU memory`);
    expect(message).toContain('lower the frames to 2 or fewer');
    expect(rec.creates).toBe(creates);
    limits = { maxBufferSize: GiB, maxStorageBufferBindingSize: GiB, budgetBytes: GiB };
  });
});

describe('checkEditMemory on SD1.5 (built-in configs)', () => {
  it('refuses a largest tensor over maxStorageBufferBindingSize, and says when no frame count fits', async () => {
    const { parseUNetConfig: u } = await import('../../src/core/models/configs');
    const known = await import('../../src/core/models/known-configs');
    const sd15: PlanModel = {
      unet: u(known.SD15_UNET_CONFIG),
      textEncoder: parseTextEncoderConfig(known.SD15_TEXT_ENCODER_CONFIG),
      vae: parseVaeConfig(known.SD15_VAE_CONFIG),
      controlnet: parseControlNetConfig(known.SD15_CONTROLNET_CONFIG),
    };
    const req = request({}, 16, 512);
    const plan = computePlan(sd15, editPlanOptions(req, sd15, 'fp32'));
    // With the VAE one frame per call, the largest tensor is the UNet's GEGLU at 64×64: 16·4096 tokens × 2560
    // (8·320 channels) × 4 bytes = 640 MiB, linear in the frames.
    expect(plan.largestTensorBytes).toBe(16 * 4096 * 2560 * 4);
    const small: EditMemoryLimits = {
      maxBufferSize: 2 * GiB,
      maxStorageBufferBindingSize: GiB / 2,
      budgetBytes: 64 * GiB,
    };
    expect(() => checkEditMemory(plan, sd15, small)).toThrow(
      /largest tensor needs 640\.0 MiB.*lower the frames to 12 /,
    );
    const tiny: EditMemoryLimits = { ...small, budgetBytes: GiB };
    expect(() => checkEditMemory(plan, sd15, tiny)).toThrow(/even 1 frame does not fit/);
    expect(() => checkEditMemory(plan, sd15, { ...small, maxStorageBufferBindingSize: GiB })).not.toThrow();
  });
});

describe('buffer tracker peak watches', () => {
  it('keep each its own high-water mark of live bytes since start or reset', () => {
    const device = { createBuffer: (d: GPUBufferDescriptor) => ({ size: d.size, destroy: () => undefined }) };
    const tracker = trackDeviceBuffers(device as unknown as GPUDevice);
    const create = (size: number) => (device as unknown as GPUDevice).createBuffer({ size, usage: 0 });
    const a = create(100);
    const edit = tracker.watchPeak();
    expect(edit.peakBytes()).toBe(100); // what was live when it started
    const b = create(50);
    const stage = tracker.watchPeak();
    b.destroy();
    create(20);
    expect([edit.peakBytes(), stage.peakBytes(), tracker.liveBytes()]).toEqual([150, 150, 120]);
    stage.reset();
    a.destroy();
    create(30);
    expect([edit.peakBytes(), stage.peakBytes(), tracker.liveBytes()]).toEqual([150, 120, 50]);
    stage.stop();
    create(200);
    expect([edit.peakBytes(), stage.peakBytes()]).toEqual([250, 120]);
  });
});
