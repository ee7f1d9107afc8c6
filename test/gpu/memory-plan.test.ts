/**
 * One memory model (issue 11, DESIGN §6): the tiny edit through the engine API on WebGPU (tiny SD + tiny
 * ControlNet, 2 frames, 64×64, 2 steps, canny) with batched CFG halves, its measured GPU peak against the memory
 * plan (the check and its tolerances: ./memory-plan-check.ts). The sequential mode (the default) is checked on
 * the first edit of engine-edit.test.ts, which runs it anyway (each WebGPU edit costs minutes on SwiftShader).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEngineApi, type Engine } from '../../workers/engine/api';
import { OpfsModelCache } from '../../workers/engine/weights/cache';
import type { ModelSpec } from '../../src/core/protocol/engine';
import { DEFAULT_EDIT_SETTINGS, type EditRequest } from '../../src/core/protocol/edit';
import { startGpuTest, type GpuHarness } from '../helpers/browser/gpu-harness';
import { describeShared } from '../helpers/browser/shared';
import { halfMasks, squareClipFrames } from '../fixtures/edit-fixture';
import { editWithinPlan } from './memory-plan-check';

const SIZE = 64;
const F = 2;
const STEPS = 2;

const hf = (repo: 'tiny-sd' | 'tiny-controlnet', kind: ModelSpec['kind']): ModelSpec => ({
  kind,
  precision: 'auto',
  source: { type: 'hf', repo: `golden/${repo}`, endpoint: `${location.origin}/__model-server/ok-memory-plan` },
});

const request = (): EditRequest => ({
  width: SIZE,
  height: SIZE,
  frames: squareClipFrames(F, SIZE),
  sourcePrompt: 'a yellow square on a gradient',
  targetPrompt: 'a red car beside a blue sea',
  regions: [
    { name: 'left', prompt: 'red car', masks: halfMasks(F, SIZE, true) },
    { name: 'right', prompt: 'blue sea', masks: halfMasks(F, SIZE, false) },
  ],
  settings: { ...DEFAULT_EDIT_SETTINGS, steps: STEPS, cfgBatch: 'batched', condition: { kind: 'canny', scale: 0.8 } },
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

  it('CFG batched', { timeout: 600_000 }, async () => {
    await editWithinPlan(engine, gpu.device, request());
  });
});
