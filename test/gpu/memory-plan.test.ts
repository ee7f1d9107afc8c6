/**
 * One memory model (issue 11, DESIGN §6): the tiny edit through the engine API on WebGPU (tiny SD + tiny
 * ControlNet, 2 frames, 64×64, 2 steps, canny) in both CFG modes; the buffer tracker's measured high-water mark
 * of live GPU bytes (ORT's buffers and ours: one device) against the memory plan for the same configuration
 * (the engine's own: EditResultData.memory.planPeakBytes is checked to be `computePlan` of editPlanOptions).
 *
 * Tolerance: measured / planned peak within [0.95, 1.10]. The plan counts tensors' bytes; what it does not see
 * is ORT's buffer pool (buffers freed by earlier stages stay allocated for reuse, sizes rounded to buckets), its
 * scratch, the attention kernels' temporaries, the cached modulation maps and staging buffers. Measured on
 * SwiftShader: +3.6 % (sequential: plan 35.69 MB, measured 36.98 MB) and +3.8 % (batched: 54.00 / 56.06 MB),
 * so the band leaves ~2.5× headroom above while staying tight enough to fail a plan that ignored the ControlNet
 * (its weights are 15 % of the total: measured/plan 1.24, 1.31) or the CFG mode (batched compiles the UNet and the
 * ControlNet at F and 2F, both resident: 1.57 or 0.69) — the test checks those counterfactual plans fall out of
 * the band. At this size weights dominate (29 of 36 MB), so the resident weights are held separately: the
 * bytes still live after the edit (every network compiled, the job's tensors freed) are within [1.00, 1.10] of
 * the planned weights (ORT uploads each initializer whole: at least the tensor bytes; measured +5.9 % / +5.2 %:
 * the pool and the prompt/modulation caches).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEngineApi, type Engine } from '../../workers/engine/api';
import { trackDeviceBuffers } from '../../workers/engine/gpu/buffer-tracker';
import { editPlanOptions, ENGINE_PRECISION } from '../../workers/engine/edit/memory-check';
import { OpfsModelCache } from '../../workers/engine/weights/cache';
import { computePlan, type MemoryPlan } from '../../src/core/plan/plan';
import { planModelOf } from '../../src/core/plan/model';
import type { ModelSpec } from '../../src/core/protocol/engine';
import { DEFAULT_EDIT_SETTINGS, type EditRequest, type EditStageName } from '../../src/core/protocol/edit';
import { startGpuTest, type GpuHarness } from '../helpers/browser/gpu-harness';
import { describeShared } from '../helpers/browser/shared';
import { halfMasks, squareClipFrames } from '../fixtures/edit-fixture';

const SIZE = 64;
const F = 2;
const STEPS = 2;

const hf = (repo: 'tiny-sd' | 'tiny-controlnet', kind: ModelSpec['kind']): ModelSpec => ({
  kind,
  precision: 'auto',
  source: { type: 'hf', repo: `golden/${repo}`, endpoint: `${location.origin}/__model-server/ok-memory-plan` },
});

const request = (cfgBatch: 'sequential' | 'batched'): EditRequest => ({
  width: SIZE,
  height: SIZE,
  frames: squareClipFrames(F, SIZE),
  sourcePrompt: 'a yellow square on a gradient',
  targetPrompt: 'a red car beside a blue sea',
  regions: [
    { name: 'left', prompt: 'red car', masks: halfMasks(F, SIZE, true) },
    { name: 'right', prompt: 'blue sea', masks: halfMasks(F, SIZE, false) },
  ],
  settings: { ...DEFAULT_EDIT_SETTINGS, steps: STEPS, cfgBatch, condition: { kind: 'canny', scale: 0.8 } },
});

describeShared('memory plan vs measured GPU peak (tiny SD + ControlNet, 2 frames, 64×64, 2 steps)', () => {
  let gpu: GpuHarness;
  let engine: Engine;
  const cache = new OpfsModelCache(`videograin-models-test-memory-${Math.random().toString(36).slice(2)}`);

  beforeAll(async () => {
    gpu = await startGpuTest();
    const adapter = (await navigator.gpu.requestAdapter())!;
    engine = createEngineApi({
      acquire: async () => ({ adapter, device: gpu.device, capabilities: gpu.capabilities }),
      modelCache: cache,
    });
    expect((await engine.init()).state).toBe('ready');
    await engine.loadModel(hf('tiny-sd', 'sd15'));
    await engine.loadModel(hf('tiny-controlnet', 'controlnet'));
  });
  afterAll(async () => {
    await engine?.releaseEditCache();
    expect(await engine.gpuBytesInUse()).toBe(0);
    await cache.deleteAll();
    await gpu.finish();
  });

  for (const mode of ['sequential', 'batched'] as const)
    it(`CFG ${mode}`, { timeout: 600_000 }, async () => {
      await engine.releaseEditCache(); // fresh networks: every shape of this mode is compiled during the edit
      expect(await engine.gpuBytesInUse()).toBe(0);
      const tracker = trackDeviceBuffers(gpu.device);
      const watch = tracker.watchPeak();
      const measured: Partial<Record<EditStageName, { peak: number; liveAtStart: number }>> = {};
      let stage: EditStageName | undefined;
      const close = () => {
        if (stage) measured[stage]!.peak = watch.peakBytes();
      };
      const req = request(mode);
      const result = await engine.edit(req, (e) => {
        if (e.kind !== 'progress' || e.stage === stage) return;
        close();
        stage = e.stage;
        watch.reset();
        measured[stage] = { peak: 0, liveAtStart: tracker.liveBytes() };
      });
      close();
      watch.stop();
      const sd = engine.models.loaded('sd15')!.model;
      const cn = engine.models.loaded('controlnet')!.model;
      const model = planModelOf(sd, cn);
      const options = editPlanOptions(req, model, ENGINE_PRECISION);
      const plan: MemoryPlan = computePlan(model, options);
      const liveAfter = tracker.liveBytes();
      const mb = (n: number) => (n / 1e6).toFixed(2);
      const stages = Object.entries(measured).map(([k, v]) => `${k} ${mb(v.liveAtStart)}→${mb(v.peak)}`);
      console.info(
        `[memory-plan] CFG ${mode}: planned peak ${mb(plan.peakBytes)} MB (weights ${mb(plan.weightsBytes)} + ` +
          `${mb(plan.peakActivationBytes)} at ${plan.peakStage}), measured peak ${mb(result.memory!.measuredPeakBytes)} MB ` +
          `(×${(result.memory!.measuredPeakBytes / plan.peakBytes).toFixed(3)}); live after ${mb(liveAfter)} MB; ` +
          `measured per stage (live at start → peak, MB): ${stages.join(', ')}`,
      );
      // The engine's figures are this plan's, and the watch saw the whole edit.
      expect(result.memory).toEqual({
        planPeakBytes: plan.peakBytes,
        measuredPeakBytes: Math.max(...Object.values(measured).map((v) => v.peak)),
        weightsBytes: plan.weightsBytes,
      });
      const ratio = (p: MemoryPlan) => result.memory!.measuredPeakBytes / p.peakBytes;
      const inBand = (r: number) => r >= 0.95 && r <= 1.1;
      expect(ratio(plan)).toBeGreaterThanOrEqual(0.95);
      expect(ratio(plan)).toBeLessThanOrEqual(1.1);
      expect(liveAfter / plan.weightsBytes).toBeGreaterThanOrEqual(1);
      expect(liveAfter / plan.weightsBytes).toBeLessThanOrEqual(1.1);
      // The band is tight enough to catch a plan that ignored the ControlNet or the CFG mode.
      const other = mode === 'sequential' ? 'batched' : 'sequential';
      const wrong = {
        'no ControlNet': computePlan(model, { ...options, controlnet: false }),
        [`CFG ${other}`]: computePlan(model, editPlanOptions(request(other), model, ENGINE_PRECISION)),
      };
      for (const [what, p] of Object.entries(wrong)) {
        console.info(`[memory-plan] CFG ${mode}: a plan with ${what} would give ×${ratio(p).toFixed(3)}`);
        expect(inBand(ratio(p)), what).toBe(false);
      }
    });
});
