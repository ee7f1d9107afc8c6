import { expect, test } from 'vitest';
import { createEngineApi } from '../../workers/engine/api';
import { createEngineClient } from '../../src/services/engine-client';
import { GpuUnavailableError } from '../../workers/engine/gpu/device';
import type { EngineStatus } from '../../src/core/protocol/engine';

test('in-thread engine reports the adapter, then device loss', async () => {
  const engine = createEngineApi();
  const statuses: EngineStatus[] = [];
  engine.onStatusChange((s) => statuses.push(s));
  const status = await engine.init();
  expect(status.state).toBe('ready');
  if (status.state !== 'ready') return;
  expect(status.adapterLabel.length).toBeGreaterThan(0);
  expect(status.gpu.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
  expect(await engine.init()).toBe(status); // one device per engine
  engine.gpu!.device.destroy();
  await expect.poll(() => statuses.at(-1)?.state).toBe('lost');
  expect(engine.gpu).toBeUndefined();
  // A later init starts over with a new device.
  expect((await engine.init()).state).toBe('ready');
  engine.gpu!.device.destroy();
});

test('missing WebGPU becomes an "unavailable" status with a reason, not an exception', async () => {
  const engine = createEngineApi({
    acquire: async () => {
      throw new GpuUnavailableError('no-webgpu', 'This browser has no WebGPU.');
    },
  });
  expect(await engine.init()).toEqual({
    state: 'unavailable',
    code: 'no-webgpu',
    message: 'This browser has no WebGPU.',
  });
});

test('the engine worker answers through the typed client', async () => {
  const client = createEngineClient();
  const seen: EngineStatus[] = [];
  const status = await client.init((s) => seen.push(s));
  expect(status.state).toBe('ready');
  expect(seen.at(-1)).toEqual(status);
  expect(await client.api.gpuBytesInUse()).toBe(0);
  client.terminate();
});
