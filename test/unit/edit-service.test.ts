/**
 * The engine's edit service (workers/engine/edit-service.ts) on the Node CPU components with the tiny SD +
 * ControlNet models: 2 frames of 64×64 (8×8 latents), 3 steps (inversion 2 UNet calls, denoising 3).
 * Events, inversion reuse by key, cancel, busy, bad input codes and per-region attention maps.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EditEvent, EditRequest, EditSettings } from '../../src/core/protocol/edit';
import { DEFAULT_EDIT_SETTINGS } from '../../src/core/protocol/edit';
import type { LoadedModelInfo } from '../../src/core/protocol/engine';
import type { ModelKind } from '../../src/core/models/files';
import { AppError } from '../../src/core/protocol/errors';
import { createEditService, type EditService } from '../../workers/engine/edit-service';
import { trackDeviceBuffers } from '../../workers/engine/gpu/buffer-tracker';
import { etaSeconds } from '../../workers/engine/edit/instrument';
import { createNodeComponents } from '../../workers/engine/pipeline/components-node';
import { describeShared, readShared, sharedPath } from '../helpers/node/shared';
import { halfMasks, squareClipFrames } from '../fixtures/edit-fixture';

const SIZE = 64;
const F = 2;
const STEPS = 3;
const INVERSION_CALLS = STEPS - 1;
/** Guidance 7.5 (the default): the CFG halves run as one UNet call each. */
const DENOISE_CALLS = 2 * STEPS;

interface FakeModel {
  readonly info: LoadedModelInfo;
}
const info = (kind: ModelKind, id: string): LoadedModelInfo => ({
  kind,
  id,
  remote: false,
  precision: 'fp32',
  bytes: 1,
  files: 1,
  fromCache: false,
  summary: id,
});

const frames = () => squareClipFrames(F, SIZE);
const half = (left: boolean) => halfMasks(F, SIZE, left);

const SETTINGS: EditSettings = {
  ...DEFAULT_EDIT_SETTINGS,
  steps: STEPS,
  condition: { kind: 'canny', scale: 0.8 },
};

function request(overrides: Partial<EditRequest> = {}, settings: Partial<EditSettings> = {}): EditRequest {
  return {
    width: SIZE,
    height: SIZE,
    frames: frames(),
    sourcePrompt: 'a yellow square on a gradient',
    targetPrompt: 'a red car beside a blue sea',
    regions: [
      { name: 'car', prompt: 'red car', masks: half(true) },
      { name: 'sea', prompt: 'blue sea', masks: half(false) },
    ],
    settings: { ...SETTINGS, ...settings },
    ...overrides,
  };
}

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    return e as AppError;
  }
  throw new Error('expected a rejection');
}

describeShared('edit service on the tiny models (Node CPU, 2 frames, 64×64, 3 steps)', () => {
  const loaded = new Map<ModelKind, FakeModel>();
  const factory = { creates: 0, releases: 0 };
  let service: EditService;

  beforeAll(() => {
    loaded.set('sd15', { info: info('sd15', 'tiny-sd') });
    loaded.set('controlnet', { info: info('controlnet', 'tiny-controlnet') });
    const read = (dir: string) => (rel: string) => readShared(`golden/${dir}/${rel}`);
    service = createEditService<FakeModel>({
      models: {
        loaded: (kind) => loaded.get(kind),
        tokenizerFiles: async () => ({
          tokenizerJson: readFileSync(sharedPath('models/clip_tokenizer/tokenizer.json'), 'utf8'),
        }),
      },
      // Every step previewed (the tiny steps are faster than the default rate limit).
      previewIntervalMs: 0,
      createComponents: async (models) => {
        factory.creates++;
        const inner = createNodeComponents({
          sd: read('tiny-sd'),
          ...(models.controlnet ? { controlnet: read('tiny-controlnet') } : {}),
        });
        return {
          ...inner,
          release: async () => {
            factory.releases++;
            await inner.release();
          },
        };
      },
    });
  });
  afterAll(() => service.releaseCache());

  let firstKey = '';
  let firstFrames: Uint8ClampedArray[] = [];

  it('a full edit: ordered progress, one preview per step, result with counts, timings, latents and attention maps', async () => {
    const events: EditEvent[] = [];
    const result = await service.edit(request({ attentionMaps: true, returnLatents: true }), (e) => events.push(e));
    firstKey = result.inversionKey;
    firstFrames = result.frames;

    const progress = events.filter((e) => e.kind === 'progress');
    const stages = [...new Set(progress.map((e) => e.stage))];
    expect(stages).toEqual(['prepare', 'text', 'encode', 'invert', 'denoise', 'decode']);
    expect(progress[0]).toMatchObject({ stage: 'prepare', step: 0, etaSeconds: null, inversionReused: false });
    expect(progress.every((e) => !e.inversionReused)).toBe(true);
    const invertSteps = progress.filter((e) => e.stage === 'invert').map((e) => e.step);
    expect(invertSteps).toEqual([0, 1, 2]);
    const denoiseSteps = progress.filter((e) => e.stage === 'denoise').map((e) => e.step);
    expect(denoiseSteps).toEqual([0, 1, 2, 3]);
    // ETA: unknown ("measuring…") until a UNet call ran on compiled networks (the first call of a batch size
    // compiles and is not counted), then a positive number that ends near zero.
    const firstTimed = progress.findIndex((e) => e.etaSeconds !== null);
    expect(progress[firstTimed]).toMatchObject({ stage: 'invert', step: 2 });
    const etas = progress.slice(firstTimed).map((e) => e.etaSeconds!);
    expect(etas.every((s) => s >= 0)).toBe(true);
    expect(etas.at(-1)!).toBeLessThan(etas[0]!);

    const previews = events.filter((e) => e.kind === 'preview');
    expect(previews.map((p) => p.step)).toEqual([1, 2, 3]);
    for (const p of previews) {
      // One frame per preview (the only per-step readback): the request's preview frame, 0 by default.
      expect(p).toMatchObject({ total: STEPS, width: SIZE / 8, height: SIZE / 8, frame: 0 });
      expect(p.rgba).toHaveLength((SIZE / 8) ** 2 * 4);
    }
    // Each preview follows its denoising step's progress event.
    const kinds = events.map((e) => (e.kind === 'preview' ? `p${e.step}` : `${e.stage}${e.step}`));
    expect(kinds.indexOf('p1')).toBeGreaterThan(kinds.indexOf('denoise0'));
    expect(kinds.indexOf('p3')).toBeLessThan(kinds.indexOf('decode0'));

    expect(result).toMatchObject({ width: SIZE, height: SIZE, inversionReused: false });
    expect(result.unetCalls).toBe(INVERSION_CALLS + DENOISE_CALLS);
    expect(result.inversionKey).toMatch(/^[0-9a-f]{64}$/);
    expect(result.frames).toHaveLength(F);
    expect(result.frames.every((f) => f.length === SIZE * SIZE * 4)).toBe(true);
    expect(Object.keys(result.timings).sort()).toEqual(['decode', 'denoise', 'encode', 'invert', 'prepare', 'text']);
    expect(Object.values(result.timings).every((ms) => ms >= 0)).toBe(true);
    const n = F * 4 * (SIZE / 8) ** 2;
    expect(result.latents!.z0).toHaveLength(n);
    expect(result.latents!.xT).toHaveLength(n);
    expect(result.latents!.final).toHaveLength(n);
    // z0 is the clean latent, xT the inverted one: the inversion moved it.
    expect(result.latents!.xT.some((v, i) => Math.abs(v - result.latents!.z0[i]!) > 1e-3)).toBe(true);

    // Attention maps at H/32 (2×2): one per region, in [0, 1], spanning it, and different between regions.
    const maps = result.attentionMaps!;
    expect(maps.map((m) => m.region)).toEqual([0, 1]);
    for (const m of maps) {
      expect(m).toMatchObject({ frames: F, width: 2, height: 2 });
      expect(m.data).toHaveLength(F * 4);
      expect(Math.min(...m.data)).toBe(0);
      expect(Math.max(...m.data)).toBeCloseTo(1, 6);
    }
    const diff = maps[0]!.data.reduce((s, v, i) => s + Math.abs(v - maps[1]!.data[i]!), 0);
    expect(diff).toBeGreaterThan(0.1);
    expect(factory.creates).toBe(1);
    expect(service.cachedInversions()).toBe(1);
  });

  it('a re-edit with new target and region prompts reuses the inversion: exactly the inversion calls fewer, no recompile', async () => {
    const events: EditEvent[] = [];
    const result = await service.edit(
      request({
        targetPrompt: 'a green bus beside a white beach',
        regions: [
          { name: 'car', prompt: 'green bus', masks: half(true) },
          { name: 'sea', prompt: 'white beach', masks: half(false) },
        ],
      }),
      (e) => events.push(e),
    );
    expect(result.inversionReused).toBe(true);
    expect(result.inversionKey).toBe(firstKey);
    expect(result.unetCalls).toBe(DENOISE_CALLS);
    const progress = events.filter((e) => e.kind === 'progress');
    expect([...new Set(progress.map((e) => e.stage))]).toEqual(['prepare', 'text', 'denoise', 'decode']);
    expect(progress.filter((e) => e.stage !== 'prepare' || e.step > 0).every((e) => e.inversionReused)).toBe(true);
    expect(result.timings.invert).toBeUndefined();
    expect(result.frames.some((f, i) => f.some((v, j) => v !== firstFrames[i]![j]))).toBe(true);
    expect(factory.creates).toBe(1);
  });

  it('the same request again gives identical frames (seeded noise, cached inversion)', async () => {
    const again = await service.edit(request());
    expect(again.inversionReused).toBe(true);
    expect(again.frames.every((f, i) => f.every((v, j) => v === firstFrames[i]![j]))).toBe(true);
  });

  it('a new source prompt or a new seed (posterior sample) is a new inversion key: no reuse', async () => {
    const source = await service.edit(request({ sourcePrompt: 'a square' }));
    expect(source.inversionReused).toBe(false);
    expect(source.unetCalls).toBe(INVERSION_CALLS + DENOISE_CALLS);
    expect(source.inversionKey).not.toBe(firstKey);
    const seeded = await service.edit(request({}, { seed: 7 }));
    expect(seeded.inversionReused).toBe(false);
    expect(seeded.unetCalls).toBe(INVERSION_CALLS + DENOISE_CALLS);
    expect(new Set([firstKey, source.inversionKey, seeded.inversionKey]).size).toBe(3);
    expect(service.cachedInversions()).toBe(2); // the last two
  });

  it('cancel in the middle of denoising: CANCELLED, components released; the next edit works', async () => {
    const releasesBefore = factory.releases;
    const stages: string[] = [];
    const cancelled = rejection(
      service.edit(request({}, { seed: 11 }), (e) => {
        if (e.kind !== 'progress') return;
        stages.push(`${e.stage}${e.step}`);
        if (e.stage === 'denoise' && e.step === 1) service.cancel();
      }),
    );
    const e = await cancelled;
    expect(e).toBeInstanceOf(AppError);
    expect(e.code).toBe('CANCELLED');
    expect(stages).toContain('denoise1');
    expect(stages).not.toContain('denoise3');
    expect(factory.releases).toBe(releasesBefore + 1);

    const after = await service.edit(request({}, { seed: 7 })); // still cached: the last two keys stay
    expect(after.frames).toHaveLength(F);
    expect(after.inversionReused).toBe(true);
    // The cancelled edit had finished its inversion (new key: seed 11 samples another start latent): kept.
    const resumed = await service.edit(request({}, { seed: 11 }));
    expect(resumed.inversionReused).toBe(true);
    expect(resumed.unetCalls).toBe(DENOISE_CALLS);
  });

  it('one edit at a time: EDIT_BUSY while one runs', async () => {
    const first = service.edit(request());
    const busy = await rejection(service.edit(request()));
    expect(busy.code).toBe('EDIT_BUSY');
    await expect(first).resolves.toMatchObject({ width: SIZE, height: SIZE });
  });

  describe('bad input is refused with a code and what to do', () => {
    const code = async (r: EditRequest) => (await rejection(service.edit(r))).code;

    it('EDIT_INPUT_INVALID: size, frame bytes, mask count and size, no regions, condition frames, settings', async () => {
      const releases = factory.releases;
      const bad: EditRequest[] = [
        request({ width: 96 }),
        request({ frames: [] }),
        request({ frames: [frames()[0]!, new Uint8Array(10)] }),
        request({ regions: [] }),
        request({ regions: [{ name: 'car', prompt: 'red car', masks: half(true).slice(0, 1) }] }),
        request({ regions: [{ name: 'car', prompt: 'red car', masks: [new Uint8Array(5), new Uint8Array(5)] }] }),
        request({}, { condition: { kind: 'frames', scale: 1 } }),
        request({}, { steps: 0 }),
        request({}, { modulatedSteps: 9 }),
      ];
      for (const r of bad) expect(await code(r)).toBe('EDIT_INPUT_INVALID');
      const message = (await rejection(service.edit(request({ regions: [] })))).message;
      expect(message).toContain('add at least one region');
      expect(factory.releases).toBe(releases); // refusals keep the compiled networks
    });

    it('MODEL_NOT_LOADED without SD, and without a ControlNet for a condition (naming it)', async () => {
      const cn = loaded.get('controlnet')!;
      loaded.delete('controlnet');
      try {
        const e = await rejection(service.edit(request()));
        expect(e.code).toBe('MODEL_NOT_LOADED');
        expect(e.message).toContain('ControlNet');
      } finally {
        loaded.set('controlnet', cn);
      }
      const sd = loaded.get('sd15')!;
      loaded.delete('sd15');
      try {
        expect(await code(request())).toBe('MODEL_NOT_LOADED');
      } finally {
        loaded.set('sd15', sd);
      }
    });

    it('CONDITION_UNAVAILABLE for depth and dwpose without their estimator models; LAYOUT_INVALID for a region prompt not in the target', async () => {
      for (const kind of ['depth', 'dwpose'] as const) {
        const e = await rejection(service.edit(request({}, { condition: { kind, scale: 1 } })));
        expect(e.code).toBe('CONDITION_UNAVAILABLE');
        expect(e.message).toMatch(/needs the (MiDaS DPT-Hybrid|DWPose) estimator: load .* in Models → Estimators/);
      }
      const regions = request().regions.map((r, i) => (i === 0 ? { ...r, prompt: 'purple dragon' } : r));
      expect(await code(request({ regions }))).toBe('LAYOUT_INVALID');
    });
  });

  it('releaseEditCache forgets inversions and releases components; a model reload recompiles', async () => {
    await service.releaseCache();
    expect(service.cachedInversions()).toBe(0);
    expect(factory.releases).toBe(factory.creates);
    const creates = factory.creates;
    loaded.set('sd15', { info: info('sd15', 'tiny-sd') }); // a new load of the same model
    const r = await service.edit(request({}, { condition: { kind: 'none', scale: 1 } }));
    expect(r.inversionReused).toBe(false);
    expect(factory.creates).toBe(creates + 1);
  });
});

describe('GPU buffer tracking (gpuBytesInUse)', () => {
  /** The part of GPUDevice the tracker touches, with plain objects as buffers. */
  function fakeDevice() {
    const device = {
      createBuffer: (d: GPUBufferDescriptor) => ({ size: d.size, destroy: () => undefined }) as unknown as GPUBuffer,
    };
    return device as unknown as GPUDevice;
  }

  it('counts live bytes until destroy, once per buffer, and survives another layer replacing createBuffer', () => {
    const device = fakeDevice();
    const tracker = trackDeviceBuffers(device);
    expect(trackDeviceBuffers(device)).toBe(tracker);
    const a = device.createBuffer({ size: 100, usage: 0 });
    device.createBuffer({ size: 28, usage: 0 });
    expect([tracker.liveBuffers(), tracker.liveBytes()]).toEqual([2, 128]);
    a.destroy();
    expect([tracker.liveBuffers(), tracker.liveBytes()]).toEqual([1, 28]);

    // A test harness wraps createBuffer over ours, later restores a function below ours: ensure() re-installs.
    const ours = device.createBuffer;
    const raw = fakeDevice().createBuffer;
    device.createBuffer = (d) => ours.call(device, d);
    tracker.ensure(); // wraps the harness's wrapper: buffers pass through ours twice but count once
    const b = device.createBuffer({ size: 8, usage: 0 });
    expect(tracker.liveBytes()).toBe(36);
    b.destroy();
    device.createBuffer = raw;
    tracker.ensure();
    device.createBuffer({ size: 4, usage: 0 });
    expect([tracker.liveBuffers(), tracker.liveBytes()]).toEqual([2, 32]);
  });
});

describe('ETA', () => {
  it('counts the batch items left (inversion F per call, CFG denoising 2F, decode F) at the measured ms per item', () => {
    const plan = { frames: 2, inversionCalls: 2, denoiseCalls: 3, halves: 2 };
    expect(etaSeconds(plan, null, 0, 0)).toBeNull();
    expect(etaSeconds(plan, 10, 1, 0)).toBeCloseTo(((1 * 2 + 3 * 4 + 2) * 10) / 1000, 9);
    expect(etaSeconds(plan, 10, 2, 3)).toBeCloseTo((2 * 10) / 1000, 9);
    expect(etaSeconds({ ...plan, inversionCalls: 0, halves: 1 }, 10, 0, 1)).toBeCloseTo(((2 * 2 + 2) * 10) / 1000, 9);
  });
});
