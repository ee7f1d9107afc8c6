/**
 * LatentOps on CPU tensors: the src/core references themselves (cfg, DDIM step, blend, preview), so the Node
 * backend computes what the goldens were checked against, and the WGSL kernels (./gpu-ops.ts) have an oracle.
 */
import { addNoiseInto } from '../../../src/core/latents/add-noise';
import { blendLatents, type LatentShape } from '../../../src/core/latents/blend';
import { combineGuidance } from '../../../src/core/latents/cfg';
import { latentToPreviewRgba } from '../../../src/core/latents/preview';
import { applyStep } from '../scheduler/step';
import {
  assertSameDims,
  cpuTensor,
  elementCount,
  TransferCounter,
  type CpuTensor,
  type DeviceTensor,
} from './device-tensor';
import type { LatentOps, TensorRuntime } from './latent-ops';

const f32 = Math.fround;

function onCpu(t: DeviceTensor, name: string): CpuTensor {
  if (t.location !== 'cpu') throw new Error(`${name}: a CPU op got a ${t.location} tensor`);
  return t;
}

function latentDims(shape: LatentShape): number[] {
  return [shape.frames, shape.channels, shape.height, shape.width];
}

export const cpuLatentOps: LatentOps = {
  guidance(uncond, cond, scale) {
    assertSameDims(uncond, cond, 'guidance');
    return cpuTensor(combineGuidance(onCpu(uncond, 'guidance').data, onCpu(cond, 'guidance').data, scale), cond.dims);
  },

  ddimStep(c, eps, x, withX0) {
    assertSameDims(eps, x, 'ddimStep');
    const r = applyStep(c, onCpu(eps, 'ddimStep').data, onCpu(x, 'ddimStep').data);
    return {
      prev: cpuTensor(r.prevSample, x.dims),
      ...(withX0 ? { x0: cpuTensor(r.predOriginalSample, x.dims) } : {}),
    };
  },

  blend(shape, x, mask, z0, noise) {
    const dims = latentDims(shape);
    const latents = onCpu(x, 'blend').data;
    let background = onCpu(z0, 'blend').data;
    if (noise) {
      const { sqrtAlpha, sqrtOneMinusAlpha } = noise.coefficients;
      background = addNoiseInto(background, onCpu(noise.noise, 'blend').data, sqrtAlpha, sqrtOneMinusAlpha);
    }
    return cpuTensor(blendLatents(shape, latents, onCpu(mask, 'blend').data, background), dims);
  },

  scale(x, s) {
    const sf = f32(s);
    return cpuTensor(
      onCpu(x, 'scale').data.map((v) => v * sf),
      x.dims,
    );
  },

  posteriorSample(mean, std, eps, s) {
    assertSameDims(mean, std, 'posteriorSample');
    assertSameDims(mean, eps, 'posteriorSample');
    const m = onCpu(mean, 'posteriorSample').data;
    const sd = onCpu(std, 'posteriorSample').data;
    const e = onCpu(eps, 'posteriorSample').data;
    const sf = f32(s);
    return cpuTensor(
      m.map((v, i) => f32(v + f32(sd[i]! * e[i]!)) * sf),
      mean.dims,
    );
  },

  concat(parts) {
    if (parts.length === 0) throw new RangeError('concat of no tensors');
    const inner = parts[0]!.dims.slice(1);
    const first = parts.reduce((n, p) => {
      if (p.dims.length !== inner.length + 1 || p.dims.slice(1).some((d, i) => d !== inner[i]))
        throw new RangeError(`concat: [${p.dims.join(', ')}] does not match [*, ${inner.join(', ')}]`);
      return n + p.dims[0]!;
    }, 0);
    const out = new Float32Array(first * elementCount(inner));
    let at = 0;
    for (const p of parts) {
      const data = onCpu(p, 'concat').data;
      out.set(data, at);
      at += data.length;
    }
    return cpuTensor(out, [first, ...inner]);
  },

  slice(x, first, count) {
    const n = x.dims[0]!;
    if (!(Number.isInteger(first) && Number.isInteger(count) && first >= 0 && count > 0 && first + count <= n))
      throw new RangeError(`slice [${first}, ${first + count}) of ${n} items`);
    const item = elementCount(x.dims.slice(1));
    const data = onCpu(x, 'slice').data.slice(first * item, (first + count) * item);
    return cpuTensor(data, [count, ...x.dims.slice(1)]);
  },

  previewRgba(latents, frame) {
    const [, channels, h, w] = latents.dims as [number, number, number, number];
    if (latents.dims.length !== 4 || channels !== 4) throw new RangeError('previewRgba needs a [F, 4, h, w] latent');
    return Promise.resolve(latentToPreviewRgba(onCpu(latents, 'previewRgba').data, h, w, frame));
  },
};

/** The Node backend's runtime: tensors are plain arrays, nothing is uploaded or read back. */
export function cpuTensorRuntime(): TensorRuntime {
  return {
    location: 'cpu',
    ops: cpuLatentOps,
    transfers: new TransferCounter(),
    upload: (data, dims) => cpuTensor(data.slice(), dims),
    download: (t) => Promise.resolve(onCpu(t, 'download').data.slice()),
    release: () => undefined,
  };
}
