/**
 * GPU test harness for in-browser tests: the engine's own device setup, every buffer tracked, and
 * validation / out-of-memory error scopes around each test. `finish()` fails the test on any GPU error or
 * on any buffer the test created and did not destroy.
 */
import { acquireDevice, adapterLabel, type GpuCapabilities } from '../../../workers/engine/gpu/device';

export interface GpuHarness {
  readonly device: GPUDevice;
  readonly capabilities: GpuCapabilities;
  /** Buffers created since the harness started and not yet destroyed. */
  liveBuffers(): number;
  /** Bytes in live buffers. */
  liveBytes(): number;
  /** Pops the error scopes, checks uncaptured errors and leaks; throws a description of what went wrong. */
  finish(): Promise<void>;
}

let shared: Promise<{ device: GPUDevice; capabilities: GpuCapabilities }> | undefined;

/** One device per test file (requesting devices is slow on the software adapter). */
async function sharedDevice(): Promise<{ device: GPUDevice; capabilities: GpuCapabilities }> {
  shared ??= acquireDevice({ preferF16: true }).then(({ device, capabilities }) => {
    console.info(`[gpu] adapter: ${adapterLabel(capabilities)}`);
    return { device, capabilities };
  });
  return shared;
}

export async function startGpuTest(): Promise<GpuHarness> {
  const { device, capabilities } = await sharedDevice();
  const live = new Map<GPUBuffer, number>();
  const uncaptured: string[] = [];
  const onError = (e: GPUUncapturedErrorEvent) => uncaptured.push(e.error.message);
  device.addEventListener('uncapturederror', onError);
  const original = device.createBuffer.bind(device);
  device.createBuffer = (descriptor: GPUBufferDescriptor): GPUBuffer => {
    const buffer = original(descriptor);
    live.set(buffer, descriptor.size);
    const destroy = buffer.destroy.bind(buffer);
    buffer.destroy = () => {
      live.delete(buffer);
      destroy();
    };
    return buffer;
  };
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  return {
    device,
    capabilities,
    liveBuffers: () => live.size,
    liveBytes: () => [...live.values()].reduce((a, b) => a + b, 0),
    async finish() {
      const validation = await device.popErrorScope();
      const oom = await device.popErrorScope();
      device.createBuffer = original;
      device.removeEventListener('uncapturederror', onError);
      const problems: string[] = [];
      if (validation) problems.push(`validation error: ${validation.message}`);
      if (oom) problems.push(`out-of-memory error: ${oom.message}`);
      problems.push(...uncaptured.map((m) => `uncaptured error: ${m}`));
      if (live.size > 0)
        problems.push(
          `${live.size} GPU buffer(s) not destroyed (${[...live.values()].reduce((a, b) => a + b, 0)} bytes)`,
        );
      for (const b of live.keys()) b.destroy();
      if (problems.length > 0) throw new Error(problems.join('\n'));
    },
  };
}

/** Copies a GPU buffer to the CPU (tests only). */
export async function readBuffer(device: GPUDevice, src: GPUBuffer, byteLength = src.size): Promise<ArrayBuffer> {
  const staging = device.createBuffer({ size: byteLength, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, 0, staging, 0, byteLength);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = staging.getMappedRange().slice(0);
  staging.unmap();
  staging.destroy();
  return out;
}
