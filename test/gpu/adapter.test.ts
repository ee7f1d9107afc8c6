import { afterEach, beforeEach, expect, test } from 'vitest';
import { startGpuTest, readBuffer, type GpuHarness } from '../helpers/browser/gpu-harness';
import { adapterLabel } from '../../workers/engine/gpu/device';

// A missing adapter fails here (startGpuTest throws GpuUnavailableError): browser tests never skip for it.
let gpu: GpuHarness | undefined;

beforeEach(async () => {
  gpu = await startGpuTest();
});
afterEach(async () => {
  await gpu?.finish();
});

test('the engine gets a device with the adapter limits and names the adapter', () => {
  const c = gpu!.capabilities;
  console.info(`[gpu] ${adapterLabel(c)}`);
  expect(c.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 2 ** 20);
  expect(gpu!.device.limits.maxStorageBufferBindingSize).toBe(c.limits.maxStorageBufferBindingSize);
  expect(typeof c.shaderF16).toBe('boolean');
});

test('harness tracks buffers and round-trips data', async () => {
  const { device } = gpu!;
  const data = new Float32Array([1, 2, 3, 4]);
  const buf = device.createBuffer({
    size: 16,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(buf, 0, data);
  expect(gpu!.liveBuffers()).toBe(1);
  expect(new Float32Array(await readBuffer(device, buf))).toEqual(data);
  buf.destroy();
  expect(gpu!.liveBuffers()).toBe(0);
});

test('harness reports a leaked buffer and a validation error', async () => {
  const inner = await startGpuTestNested();
  expect(inner).toMatch(/not destroyed/);
  expect(inner).toMatch(/validation error/);
});

/** Runs a deliberately faulty "test" in its own scope and returns what the harness said about it. */
async function startGpuTestNested(): Promise<string> {
  const h = await startGpuTest();
  h.device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE });
  h.device.createBuffer({ size: 3, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE }); // invalid usage combo
  try {
    await h.finish();
    return 'no error';
  } catch (e) {
    return (e as Error).message;
  }
}
