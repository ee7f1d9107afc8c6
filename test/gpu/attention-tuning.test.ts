/**
 * Attention tile tuning wired at engine start (kernels/attention/engine-tuning.ts, issue 15): the engine's device
 * requests `subgroups` where the adapter has it; a forced sweep (tiny budget, one head dim) registers and caches
 * its choice for the device; an override reaches the kernels the WebGPU attention backend builds
 * (onnx/gpu-attention.ts) — shown with an override this device cannot run, which the kernel refuses by name.
 */
import { expect, test } from 'vitest';
import { createEngineApi } from '../../workers/engine/api';
import { acquireDevice } from '../../workers/engine/gpu/device';
import { gpuAttentionBackend } from '../../workers/engine/onnx/gpu-attention';
import { deviceTiles, memoryTuneCache, targetKey } from '../../workers/engine/kernels/attention/autotune';
import { tileProblem, type AttentionFeatures } from '../../workers/engine/kernels/attention/tiles';
import { tileLimitsOf } from '../../workers/engine/kernels/attention/attention';
import type { AttentionCore } from '../../workers/engine/graph/ir';

const core = (headDim: number): AttentionCore => ({
  kind: 'attention',
  name: 'test.attn1',
  attention: 'self',
  heads: 1,
  headDim,
  frames: 1,
  queryTokens: 8,
  keyTokens: 8,
  causal: false,
  q: 'q',
  k: 'k',
  v: 'v',
  output: 'o',
});

test('engine start: a forced sweep registers and caches tiles per adapter; subgroups requested where offered', async () => {
  const cache = memoryTuneCache();
  const engine = createEngineApi({
    acquire: acquireDevice,
    attentionTuning: { mode: 'sweep', headDims: [16], budgetMs: 1, maxCandidates: 2, cache },
  });
  const status = await engine.init();
  expect(status.state).toBe('ready');
  if (status.state !== 'ready') return;
  const { device, adapter } = engine.gpu!;
  expect(device.features.has('subgroups')).toBe(adapter.features.has('subgroups'));
  await expect.poll(() => deviceTiles(device), { timeout: 120_000 }).toBeDefined();
  const features: AttentionFeatures = { subgroups: (tileLimitsOf(device).subgroupMinSize ?? 0) > 0 };
  for (const kind of ['self', 'cross'] as const) {
    const chosen = deviceTiles(device)!(16, kind);
    expect(chosen).toBeDefined();
    expect(tileProblem(chosen!, 16, 'f32', features, tileLimitsOf(device))).toBeUndefined();
    const key = targetKey({ headDim: 16, storage: 'f32', features, kind });
    expect(await cache.get(`${status.adapterLabel}|${key}`)).toEqual(chosen);
  }
  // Head dims not tuned fall back to the kernel's default.
  expect(deviceTiles(device)!(24, 'self')).toBeUndefined();
  device.destroy();
});

test('engine start on this adapter: an override reaches the attention backend’s kernels', async () => {
  const probe = createEngineApi({
    acquire: acquireDevice,
    attentionTuning: { mode: 'off' },
  });
  expect((await probe.init()).state).toBe('ready');
  const subgroups = (tileLimitsOf(probe.gpu!.device).subgroupMinSize ?? 0) > 0;
  probe.gpu!.device.destroy();
  // 1024 invocations per workgroup: more than any device allows, so the kernel must refuse it.
  const impossible = { tq: 1024, tk: 1, rq: 1, rk: 4, dk: 16 };
  const engine = createEngineApi({
    acquire: acquireDevice,
    attentionTuning: {
      mode: 'cached',
      headDims: [16],
      cache: memoryTuneCache(),
      // Both kinds: 8 keys tune as cross-attention (kindOfShape).
      overrides: Object.fromEntries(
        (['self', 'cross'] as const).map((kind) => [
          targetKey({ headDim: 16, storage: 'f32', features: { subgroups }, kind }),
          impossible,
        ]),
      ),
    },
  });
  expect((await engine.init()).state).toBe('ready');
  const { device } = engine.gpu!;
  await expect.poll(() => deviceTiles(device)).toBeDefined();
  expect(deviceTiles(device)!(16, 'self')).toEqual(impossible);
  const backend = gpuAttentionBackend(device);
  const buffer = device.createBuffer({ size: 8 * 16 * 4, usage: GPUBufferUsage.STORAGE });
  const shape = { batch: 1, kvBatch: 1, queries: 8, keys: 8, heads: 1, headDim: 16 };
  expect(() => backend.run(core(16), shape, buffer, buffer, buffer)).toThrow(/tq1024tk1rq1rk4dk16 cannot run here/);
  buffer.destroy();
  backend.release();
  device.destroy();
});
