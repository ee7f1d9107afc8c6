/**
 * LatentOps on GPU tensors (DESIGN §6: latents stay on the GPU between networks): the WGSL kernels of
 * workers/engine/kernels/latents (formulas in their .wgsl headers; CPU oracle ./cpu-ops.ts), concat/slice as
 * buffer copies. The runtime receives the engine's GPUDevice (never requests one).
 *
 * Transfers: `upload` is one `queue.writeBuffer` (counted as an upload), `download` one copy into a MAP_READ
 * staging buffer (counted as a readback), `previewRgba` reads back only the one frame's h·w·4 bytes (counted).
 * Every buffer comes from `device.createBuffer` (the engine's buffer tracker sees it); staging buffers are
 * destroyed before the call returns; an output tensor's `dispose()` destroys its buffer.
 */
import type { LatentShape } from '../../../src/core/latents/blend';
import { readBack } from '../gpu/readback';
import { LatentKernels, type LatentKernelOptions } from '../kernels/latents/latent-kernels';
import {
  assertSameDims,
  elementCount,
  gpuTensor,
  TransferCounter,
  type DeviceTensor,
  type GpuTensor,
} from './device-tensor';
import type { LatentOps, TensorRuntime } from './latent-ops';

const TENSOR_USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

function onGpu(t: DeviceTensor, name: string): GpuTensor {
  if (t.location !== 'gpu-buffer') throw new Error(`${name}: a GPU op got a ${t.location} tensor`);
  return t;
}

function holds(t: DeviceTensor, count: number, what: string): void {
  if (elementCount(t.dims) !== count)
    throw new RangeError(`${what} has ${elementCount(t.dims)} values ([${t.dims.join(', ')}]), expected ${count}`);
}

/** A tensor owning `buffer`: disposing it destroys the buffer. */
function owned(buffer: GPUBuffer, dims: readonly number[]): GpuTensor {
  return gpuTensor(buffer, dims, () => buffer.destroy());
}

/**
 * The WebGPU backend's runtime. `transfers` is shared with the components so one counter sees every byte;
 * `options` are for tests (a smaller dispatch grid).
 */
export function createGpuTensorRuntime(
  device: GPUDevice,
  transfers: TransferCounter = new TransferCounter(),
  options: LatentKernelOptions = {},
): TensorRuntime {
  const kernels = new LatentKernels(device, options);

  const newBuffer = (label: string, bytes: number): GPUBuffer =>
    // At least 4 bytes: zero-size buffers cannot be bound or copied.
    device.createBuffer({ label, size: Math.max(4, bytes), usage: TENSOR_USAGE });

  const ops: LatentOps = {
    guidance(uncond, cond, scale) {
      assertSameDims(uncond, cond, 'guidance');
      const u = onGpu(uncond, 'guidance');
      const c = onGpu(cond, 'guidance');
      return owned(kernels.cfg(u.buffer, c.buffer, elementCount(c.dims), scale), c.dims);
    },

    ddimStep(c, eps, x, withX0) {
      assertSameDims(eps, x, 'ddimStep');
      const e = onGpu(eps, 'ddimStep');
      const s = onGpu(x, 'ddimStep');
      const r = kernels.ddimStep(c, e.buffer, s.buffer, elementCount(x.dims), withX0);
      return { prev: owned(r.prev, x.dims), ...(r.x0 ? { x0: owned(r.x0, x.dims) } : {}) };
    },

    blend(shape: LatentShape, x, mask, z0, noise) {
      const plane = shape.height * shape.width;
      const count = shape.frames * shape.channels * plane;
      holds(x, count, 'blend latents');
      holds(z0, count, 'blend background');
      holds(mask, shape.frames * plane, 'blend mask');
      if (noise) holds(noise.noise, count, 'blend noise');
      const out = kernels.blend(
        onGpu(x, 'blend').buffer,
        onGpu(mask, 'blend').buffer,
        onGpu(z0, 'blend').buffer,
        { frames: shape.frames, channels: shape.channels, plane },
        noise ? { buffer: onGpu(noise.noise, 'blend').buffer, ...noise.coefficients } : undefined,
      );
      return owned(out, [shape.frames, shape.channels, shape.height, shape.width]);
    },

    scale(x, s) {
      return owned(kernels.scale(onGpu(x, 'scale').buffer, elementCount(x.dims), s), x.dims);
    },

    posteriorSample(mean, std, eps, s) {
      assertSameDims(mean, std, 'posteriorSample');
      assertSameDims(mean, eps, 'posteriorSample');
      const buffers = [mean, std, eps].map((t) => onGpu(t, 'posteriorSample').buffer) as [
        GPUBuffer,
        GPUBuffer,
        GPUBuffer,
      ];
      return owned(kernels.posteriorSample(...buffers, elementCount(mean.dims), s), mean.dims);
    },

    concat(parts) {
      if (parts.length === 0) throw new RangeError('concat of no tensors');
      const inner = parts[0]!.dims.slice(1);
      const first = parts.reduce((n, p) => {
        if (p.dims.length !== inner.length + 1 || p.dims.slice(1).some((d, i) => d !== inner[i]))
          throw new RangeError(`concat: [${p.dims.join(', ')}] does not match [*, ${inner.join(', ')}]`);
        return n + p.dims[0]!;
      }, 0);
      const sources = parts.map((p) => onGpu(p, 'concat'));
      const out = newBuffer('concat out', first * elementCount(inner) * 4);
      const encoder = device.createCommandEncoder({ label: 'concat' });
      let at = 0;
      for (const p of sources) {
        const bytes = elementCount(p.dims) * 4;
        if (bytes > 0) encoder.copyBufferToBuffer(p.buffer, 0, out, at, bytes);
        at += bytes;
      }
      device.queue.submit([encoder.finish()]);
      return owned(out, [first, ...inner]);
    },

    slice(x, first, count) {
      const n = x.dims[0]!;
      if (!(Number.isInteger(first) && Number.isInteger(count) && first >= 0 && count > 0 && first + count <= n))
        throw new RangeError(`slice [${first}, ${first + count}) of ${n} items`);
      const src = onGpu(x, 'slice');
      const itemBytes = elementCount(x.dims.slice(1)) * 4;
      const out = newBuffer('slice out', count * itemBytes);
      if (itemBytes > 0) {
        const encoder = device.createCommandEncoder({ label: 'slice' });
        encoder.copyBufferToBuffer(src.buffer, first * itemBytes, out, 0, count * itemBytes);
        device.queue.submit([encoder.finish()]);
      }
      return owned(out, [count, ...x.dims.slice(1)]);
    },

    async previewRgba(latents, frame) {
      const [frames, channels, h, w] = latents.dims as [number, number, number, number];
      if (latents.dims.length !== 4 || channels !== 4) throw new RangeError('previewRgba needs a [F, 4, h, w] latent');
      const rgba = kernels.preview(onGpu(latents, 'previewRgba').buffer, frames, h * w, frame);
      try {
        const bytes = h * w * 4;
        transfers.countReadback(bytes);
        return new Uint8ClampedArray(await readBack(device, rgba, bytes));
      } finally {
        rgba.destroy();
      }
    },
  };

  return {
    location: 'gpu-buffer',
    ops,
    transfers,
    upload(data, dims) {
      if (data.length !== elementCount(dims))
        throw new RangeError(`a [${dims.join(', ')}] tensor holds ${elementCount(dims)} values, got ${data.length}`);
      const buffer = newBuffer('uploaded tensor', data.byteLength);
      // The whole ArrayBuffer (or SharedArrayBuffer) with the view's range: no copy of the caller's data.
      if (data.length > 0) device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
      transfers.countUpload(data.byteLength);
      return owned(buffer, dims);
    },
    async download(t) {
      const bytes = elementCount(t.dims) * 4;
      const src = onGpu(t, 'download');
      transfers.countReadback(bytes);
      return new Float32Array(await readBack(device, src.buffer, bytes));
    },
    release: () => kernels.release(),
  };
}
