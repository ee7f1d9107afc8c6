/**
 * GPU device loss (DESIGN §7, issue 13): the engine reports a lost device, frees what it held, and the next edit
 * acquires a new device, recompiles its networks (onnxruntime's WebGPU EP registers the new device for the new
 * sessions) and runs — no page reload. The device is destroyed the way a driver reset ends it (its `lost`
 * promise resolves). Tiny SD, no ControlNet, 2 frames of 64×64, 2 steps: the software adapter takes minutes.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEngineApi, type Engine } from '../../workers/engine/api';
import { acquireDevice } from '../../workers/engine/gpu/device';
import { OpfsModelCache } from '../../workers/engine/weights/cache';
import type { EngineStatus, ModelSpec } from '../../src/core/protocol/engine';
import { DEFAULT_EDIT_SETTINGS, type EditRequest } from '../../src/core/protocol/edit';
import { describeShared } from '../helpers/browser/shared';
import { halfMasks, squareClipFrames } from '../fixtures/edit-fixture';

const SIZE = 64;
const F = 2;

const sd: ModelSpec = {
  kind: 'sd15',
  precision: 'auto',
  source: { type: 'hf', repo: 'golden/tiny-sd', endpoint: `${location.origin}/__model-server/ok-device-loss` },
};

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
  settings: { ...DEFAULT_EDIT_SETTINGS, steps: 2, seed: 0, condition: { kind: 'none', scale: 1 } },
});

describeShared('GPU device loss: the next edit runs on a new device', () => {
  let engine: Engine;
  const statuses: EngineStatus[] = [];
  const cache = new OpfsModelCache(`videograin-models-test-loss-${Math.random().toString(36).slice(2)}`);

  beforeAll(async () => {
    engine = createEngineApi({ acquire: () => acquireDevice(), modelCache: cache });
    engine.onStatusChange((s) => statuses.push(s));
    expect((await engine.init()).state).toBe('ready');
    await engine.loadModel(sd);
  }, 300_000);
  afterAll(async () => {
    await engine?.releaseEditCache();
    engine?.gpu?.device.destroy();
    await cache.deleteAll();
  });

  it('an edit, a lost device (reported, memory gone), then an edit on a new device with the same frames', async () => {
    const before = await engine.edit(request());
    const first = engine.gpu!.device;
    first.destroy();
    await first.lost;
    // The engine hears of it through the device's `lost` promise (a microtask after ours).
    await new Promise((r) => setTimeout(r, 0));
    expect(statuses.at(-1)).toMatchObject({ state: 'lost' });
    expect(engine.gpu).toBeUndefined();
    expect(await engine.gpuBytesInUse()).toBe(0);

    // No reload: the next edit acquires a device and recompiles (the inversion is reused from the CPU cache).
    const after = await engine.edit(request());
    expect(engine.gpu?.device).toBeDefined();
    expect(engine.gpu!.device).not.toBe(first);
    expect(statuses.at(-1)).toMatchObject({ state: 'ready' });
    expect(after.inversionReused).toBe(true);
    let maxDiff = 0;
    after.frames.forEach((f, i) =>
      f.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - before.frames[i]![j]!)))),
    );
    console.info(`[device-loss] frames after the new device vs before: max |Δ| ${maxDiff} levels`);
    expect(maxDiff).toBeLessThanOrEqual(2);
  }, 900_000);
});
