/**
 * Counts the engine's live GPU buffers (EngineApi.gpuBytesInUse; DESIGN §7: a failed or cancelled edit frees
 * its GPU memory) and their high-water mark (DESIGN §6: the measured peak of an edit, held against the memory
 * plan). WebGPU has no query for allocated memory, so `device.createBuffer` is wrapped: every buffer created
 * through it is recorded with its size until its `destroy()` runs. ORT's WebGPU buffers and our WGSL kernels'
 * buffers all come from the one device, so they are all counted (ORT's pooled buffers count while pooled: a
 * buffer ORT keeps for reuse is still allocated).
 *
 * Peaks: `watchPeak()` starts a watch whose high-water mark is the most live bytes seen since it started (or
 * since its `reset()`); watches are independent, so the engine's per-edit watch and a test's per-stage watch
 * do not disturb each other.
 *
 * One tracker per device. Others may wrap `createBuffer` too (the test harness does, and restores the original
 * when a test ends): `ensure()` re-installs the wrapper on top of whatever is there now, keeping the counts.
 */

export interface PeakWatch {
  /** The most live bytes seen since the watch started or was last reset. */
  peakBytes(): number;
  /** Starts over from the bytes live now. */
  reset(): void;
  /** Stops updating (the tracker forgets the watch). */
  stop(): void;
}

export interface BufferTracker {
  /** Re-installs the wrapper if `device.createBuffer` was replaced since (idempotent). */
  ensure(): void;
  liveBuffers(): number;
  liveBytes(): number;
  /** A high-water mark of live bytes from now on. */
  watchPeak(): PeakWatch;
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
  let liveBytes = 0;
  const watches = new Set<{ peak: number }>();
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
          liveBytes += descriptor.size;
          // Only a creation can raise the mark: checking here is exact.
          for (const w of watches) if (liveBytes > w.peak) w.peak = liveBytes;
          const destroy = buffer.destroy.bind(buffer);
          buffer.destroy = () => {
            const size = live.get(buffer);
            if (size !== undefined) {
              live.delete(buffer);
              liveBytes -= size;
            }
            destroy();
          };
          return buffer;
        };
        state.wrapper = wrapper;
        device.createBuffer = wrapper;
      },
      liveBuffers: () => live.size,
      liveBytes: () => liveBytes,
      watchPeak() {
        const w = { peak: liveBytes };
        watches.add(w);
        return {
          peakBytes: () => w.peak,
          reset: () => void (w.peak = liveBytes),
          stop: () => void watches.delete(w),
        };
      },
    },
  };
  trackers.set(device, state);
  state.tracker.ensure();
  return state.tracker;
}
