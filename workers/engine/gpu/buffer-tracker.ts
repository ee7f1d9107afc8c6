/**
 * Counts the engine's live GPU buffers (EngineApi.gpuBytesInUse; DESIGN §7: a failed or cancelled edit frees
 * its GPU memory). WebGPU has no query for allocated memory, so `device.createBuffer` is wrapped: every buffer
 * created through it is recorded with its size until its `destroy()` runs. ORT's WebGPU buffers and our WGSL
 * kernels' buffers all come from the one device, so they are all counted.
 *
 * One tracker per device. Others may wrap `createBuffer` too (the test harness does, and restores the original
 * when a test ends): `ensure()` re-installs the wrapper on top of whatever is there now, keeping the counts.
 */

export interface BufferTracker {
  /** Re-installs the wrapper if `device.createBuffer` was replaced since (idempotent). */
  ensure(): void;
  liveBuffers(): number;
  liveBytes(): number;
}

interface Installed {
  readonly tracker: BufferTracker;
  wrapper: GPUDevice['createBuffer'] | undefined;
}

const trackers = new WeakMap<GPUDevice, Installed>();

export function trackDeviceBuffers(device: GPUDevice): BufferTracker {
  const existing = trackers.get(device);
  if (existing) {
    existing.tracker.ensure();
    return existing.tracker;
  }
  const live = new Map<GPUBuffer, number>();
  const state: Installed = {
    wrapper: undefined,
    tracker: {
      ensure() {
        if (state.wrapper !== undefined && device.createBuffer === state.wrapper) return;
        const inner = device.createBuffer.bind(device);
        const wrapper = (descriptor: GPUBufferDescriptor): GPUBuffer => {
          const buffer = inner(descriptor);
          if (live.has(buffer)) return buffer; // another tracking layer below already handed this one out
          live.set(buffer, descriptor.size);
          const destroy = buffer.destroy.bind(buffer);
          buffer.destroy = () => {
            live.delete(buffer);
            destroy();
          };
          return buffer;
        };
        state.wrapper = wrapper;
        device.createBuffer = wrapper;
      },
      liveBuffers: () => live.size,
      liveBytes: () => {
        let bytes = 0;
        for (const size of live.values()) bytes += size;
        return bytes;
      },
    },
  };
  trackers.set(device, state);
  state.tracker.ensure();
  return state.tracker;
}
