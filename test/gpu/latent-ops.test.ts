/**
 * The WebGPU LatentOps (workers/engine/tensors/gpu-ops.ts, kernels in workers/engine/kernels/latents) against
 * their CPU oracle (cpuLatentOps, the src/core references) on seeded random inputs, at a small shape and at a
 * shape that needs the 2-D dispatch grid (the runtime is given a tighter workgroups-per-dimension limit, so a few
 * thousand values exercise what 65535·256 would on a real size).
 *
 * Tolerances (relative to max |CPU value| of the tensor):
 * - guidance, blend, scale, posteriorSample: 1e-6. WGSL's f32 +, −, × are correctly rounded like the CPU's
 *   fround'ed doubles, so these are bit-exact unless the shader compiler contracts a mul + add into an FMA
 *   (allowed in WGSL; then a term keeps its unrounded product, ≤ 1 ulp of it).
 * - ddimStep (x̂0, prev): 1e-6. WGSL's f32 division is accurate to 2.5 ulp only (≈ 3e-7 relative), the CPU's is
 *   correctly rounded; the rest as above.
 * - previewRgba: ≤ 1 per byte. The GPU sums in f32 with f32 factors, the CPU in f64: a value within ~1e-6 of a
 *   rounding boundary may land on the other byte.
 * - concat, slice: exact (buffer copies).
 * Each comparison prints how many values are bit-exact. Transfer counts are exact; the harness fails a test that
 * leaks a buffer or raises a validation error.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { startGpuTest, type GpuHarness } from '../helpers/browser/gpu-harness';
import { noiseCoefficients } from '../../src/core/latents/add-noise';
import type { LatentShape } from '../../src/core/latents/blend';
import { elementGrid } from '../../workers/engine/kernels/latents/grid';
import { WORKGROUP_SIZE } from '../../workers/engine/kernels/latents/shader';
import { DdimInverseScheduler } from '../../workers/engine/scheduler/ddim-inverse';
import { DdimScheduler } from '../../workers/engine/scheduler/ddim';
import { stepCoefficientsFor } from '../../workers/engine/scheduler/step';
import { cpuLatentOps } from '../../workers/engine/tensors/cpu-ops';
import {
  cpuTensor,
  elementCount,
  TransferCounter,
  type CpuTensor,
  type DeviceTensor,
} from '../../workers/engine/tensors/device-tensor';
import { createGpuTensorRuntime } from '../../workers/engine/tensors/gpu-ops';
import type { TensorRuntime } from '../../workers/engine/tensors/latent-ops';

let gpu: GpuHarness;
beforeEach(async () => {
  gpu = await startGpuTest();
});
afterEach(async () => {
  await gpu.finish();
});

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
/** ≈ N(0, scale²) (Irwin–Hall of 3), as float32. */
const normals = (n: number, rnd: () => number, scale = 1): Float32Array =>
  Float32Array.from({ length: n }, () => (rnd() + rnd() + rnd() - 1.5) * 2 * scale);
/** A soft mask in [0, 1] with a third exactly 0 and a third exactly 1 (as region masks have). */
const maskValues = (n: number, rnd: () => number): Float32Array =>
  Float32Array.from({ length: n }, () => {
    const r = rnd();
    return r < 1 / 3 ? 0 : r < 2 / 3 ? 1 : rnd();
  });

interface ShapeCase {
  readonly name: string;
  readonly shape: LatentShape;
  /** Workgroups per grid dimension given to the runtime (undefined: the device's). */
  readonly maxWorkgroups?: number;
}

const SHAPES: readonly ShapeCase[] = [
  // 240 values: one partly filled workgroup.
  { name: 'small [2, 4, 6, 5]', shape: { frames: 2, channels: 4, height: 6, width: 5 } },
  // At most 9 workgroups per dimension: 19200 values = 75 workgroups in a 9 × 9 grid (the last row partly idle);
  // the preview's 2400 pixels = 10 workgroups in a 9 × 2 grid.
  { name: '2-D grid [2, 4, 48, 50]', shape: { frames: 2, channels: 4, height: 48, width: 50 }, maxWorkgroups: 9 },
];

const dimsOf = (s: LatentShape): number[] => [s.frames, s.channels, s.height, s.width];

/** A runtime plus the tensors a test made, all disposed (and the runtime released) by `close()`. */
interface Session {
  readonly rt: TensorRuntime;
  readonly transfers: TransferCounter;
  /** Uploads `data` (owned by the session). */
  up(data: Float32Array, dims: readonly number[]): DeviceTensor;
  /** Registers a result for disposal. */
  own<T extends DeviceTensor | undefined>(t: T): T;
  down(t: DeviceTensor): Promise<Float32Array>;
  close(): void;
}

function session(maxWorkgroups?: number): Session {
  const transfers = new TransferCounter();
  const rt = createGpuTensorRuntime(
    gpu.device,
    transfers,
    maxWorkgroups ? { maxWorkgroupsPerDimension: maxWorkgroups } : {},
  );
  const owned: DeviceTensor[] = [];
  const own = <T extends DeviceTensor | undefined>(t: T): T => {
    if (t) owned.push(t);
    return t;
  };
  return {
    rt,
    transfers,
    up: (data, dims) => own(rt.upload(data, dims)),
    own,
    down: (t) => rt.download(t),
    close() {
      for (const t of owned) t.dispose();
      rt.release();
    },
  };
}

const cpu = (data: Float32Array, dims: readonly number[]): CpuTensor => cpuTensor(data, dims);
const cpuData = (t: DeviceTensor | undefined): Float32Array => {
  if (!t || t.location !== 'cpu') throw new Error('expected a CPU tensor from the oracle');
  return t.data;
};

/** Asserts max |gpu − cpu| ≤ rel · max |cpu| and prints how many values are bit-exact. */
function expectClose(what: string, gpuOut: Float32Array, cpuOut: Float32Array, rel = 1e-6): void {
  expect(gpuOut.length, `${what}: length`).toBe(cpuOut.length);
  let maxDiff = 0;
  let maxRef = 0;
  let exact = 0;
  for (let i = 0; i < cpuOut.length; i++) {
    const d = Math.abs(gpuOut[i]! - cpuOut[i]!);
    maxDiff = Math.max(maxDiff, Number.isNaN(d) ? Infinity : d);
    maxRef = Math.max(maxRef, Math.abs(cpuOut[i]!));
    if (Object.is(gpuOut[i], cpuOut[i])) exact += 1;
  }
  console.info(
    `[latent-ops] ${what}: ${exact}/${cpuOut.length} bit-exact, max |Δ| ${maxDiff.toExponential(2)}, max |cpu| ${maxRef.toFixed(3)}`,
  );
  expect(maxRef, `${what}: a non-trivial reference`).toBeGreaterThan(0);
  expect(maxDiff, `${what}: max |gpu − cpu|`).toBeLessThanOrEqual(rel * maxRef);
}

test('the dispatch grid goes 2-D above maxPerDimension workgroups and covers every element', () => {
  expect(elementGrid(0, 256, 65535)).toEqual({ gridX: 0, gridY: 0 });
  expect(elementGrid(1, 256, 65535)).toEqual({ gridX: 1, gridY: 1 });
  // 32 frames of 512² in batched CFG: 1,048,576 values, 4096 workgroups in one row.
  expect(elementGrid(2 * 32 * 4 * 64 * 64, 256, 65535)).toEqual({ gridX: 4096, gridY: 1 });
  expect(elementGrid(65535 * 256, 256, 65535)).toEqual({ gridX: 65535, gridY: 1 });
  expect(elementGrid(65535 * 256 + 1, 256, 65535)).toEqual({ gridX: 65535, gridY: 2 });
  for (const count of [1, 255, 256, 257, 4992, 7 * 7 * 256]) {
    const { gridX, gridY } = elementGrid(count, WORKGROUP_SIZE, 7);
    expect(gridX).toBeLessThanOrEqual(7);
    expect(gridX * gridY * WORKGROUP_SIZE).toBeGreaterThanOrEqual(count);
    expect((gridX * (gridY - 1) + 0) * WORKGROUP_SIZE).toBeLessThan(count); // no empty row
  }
  expect(() => elementGrid(7 * 7 * 256 + 1, 256, 7)).toThrow(RangeError);
});

describe.each(SHAPES)('LatentOps on WebGPU vs cpuLatentOps, $name', ({ name, shape, maxWorkgroups }) => {
  const dims = dimsOf(shape);
  const n = elementCount(dims);
  const maskDims = [shape.frames, shape.height, shape.width];

  test('guidance (CFG), also from the halves of a batched [2F] prediction', async () => {
    const s = session(maxWorkgroups);
    const rnd = random(11);
    const u = normals(n, rnd);
    const c = normals(n, rnd);
    const got = await s.down(s.own(s.rt.ops.guidance(s.up(u, dims), s.up(c, dims), 7.5)));
    expectClose(`${name} guidance 7.5`, got, cpuData(cpuLatentOps.guidance(cpu(u, dims), cpu(c, dims), 7.5)));
    // Scale 1: u + 1·(c − u) is c only up to the rounding of c − u, on both backends.
    const one = await s.down(s.own(s.rt.ops.guidance(s.up(u, dims), s.up(c, dims), 1)));
    expectClose(`${name} guidance 1`, one, cpuData(cpuLatentOps.guidance(cpu(u, dims), cpu(c, dims), 1)));

    // Batched CFG: the UNet's [2F, …] output, uncond half first, sliced on the GPU.
    const batched = s.up(Float32Array.from([...u, ...c]), [2 * shape.frames, ...dims.slice(1)]);
    const halves = [0, 1].map((h) => s.own(s.rt.ops.slice(batched, h * shape.frames, shape.frames)));
    const fromBatch = await s.down(s.own(s.rt.ops.guidance(halves[0]!, halves[1]!, 7.5)));
    expect(fromBatch).toEqual(got);
    s.close();
  });

  test('ddimStep with and without x̂0', async () => {
    const s = session(maxWorkgroups);
    const rnd = random(12);
    const eps = normals(n, rnd);
    const x = normals(n, rnd, 1.5);
    const coefficients = stepCoefficientsFor(0.3, 0.55);
    const [e, xs] = [s.up(eps, dims), s.up(x, dims)];
    const r = s.rt.ops.ddimStep(coefficients, e, xs, true);
    s.own(r.prev);
    s.own(r.x0);
    const ref = cpuLatentOps.ddimStep(coefficients, cpu(eps, dims), cpu(x, dims), true);
    expectClose(`${name} ddim prev`, await s.down(r.prev), cpuData(ref.prev));
    expectClose(`${name} ddim x0`, await s.down(r.x0!), cpuData(ref.x0));
    expect(r.x0!.dims).toEqual(dims);

    const before = gpu.liveBuffers();
    const noX0 = s.rt.ops.ddimStep(coefficients, e, xs, false);
    s.own(noX0.prev);
    expect(noX0.x0).toBeUndefined();
    expect(gpu.liveBuffers(), 'one output, no x̂0 buffer, no params left').toBe(before + 1);
    expect(await s.down(noX0.prev)).toEqual(await s.down(r.prev));
    s.close();
  });

  test('blend with fresh noise (reference) and with the inverted latent', async () => {
    const s = session(maxWorkgroups);
    const rnd = random(13);
    const x = normals(n, rnd);
    const z0 = normals(n, rnd);
    const noise = normals(n, rnd);
    const mask = maskValues(elementCount(maskDims), rnd);
    const coefficients = noiseCoefficients(0.4);
    const [xg, mg, zg, ng] = [s.up(x, dims), s.up(mask, maskDims), s.up(z0, dims), s.up(noise, dims)];

    const fresh = s.own(s.rt.ops.blend(shape, xg, mg, zg, { noise: ng, coefficients }));
    expect(fresh.dims).toEqual(dims);
    const freshRef = cpuLatentOps.blend(shape, cpu(x, dims), cpu(mask, maskDims), cpu(z0, dims), {
      noise: cpu(noise, dims),
      coefficients,
    });
    expectClose(`${name} blend fresh noise`, await s.down(fresh), cpuData(freshRef));

    const inv = s.own(s.rt.ops.blend(shape, xg, mg, zg));
    const invRef = cpuLatentOps.blend(shape, cpu(x, dims), cpu(mask, maskDims), cpu(z0, dims));
    const invGot = await s.down(inv);
    expectClose(`${name} blend with inversion`, invGot, cpuData(invRef));
    // Where M = 1 the latent is kept, where M = 0 it is the background, exactly.
    const plane = shape.height * shape.width;
    for (let i = 0; i < n; i++) {
      const m = mask[Math.floor(i / (shape.channels * plane)) * plane + (i % plane)]!;
      if (m === 1) expect(invGot[i]).toBe(x[i]);
      if (m === 0) expect(invGot[i]).toBe(z0[i]);
    }
    // Inputs are never written.
    expect(await s.down(xg)).toEqual(x);
    s.close();
  });

  test('scale and posteriorSample', async () => {
    const s = session(maxWorkgroups);
    const rnd = random(14);
    const mean = normals(n, rnd, 3);
    const std = Float32Array.from(normals(n, rnd), (v) => Math.abs(v) * 0.1);
    const eps = normals(n, rnd);
    const m = s.up(mean, dims);
    expectClose(
      `${name} scale 0.18215`,
      await s.down(s.own(s.rt.ops.scale(m, 0.18215))),
      cpuData(cpuLatentOps.scale(cpu(mean, dims), 0.18215)),
    );
    expectClose(
      `${name} scale 1/0.18215`,
      await s.down(s.own(s.rt.ops.scale(m, 1 / 0.18215))),
      cpuData(cpuLatentOps.scale(cpu(mean, dims), 1 / 0.18215)),
    );
    const got = await s.down(s.own(s.rt.ops.posteriorSample(m, s.up(std, dims), s.up(eps, dims), 0.18215)));
    const ref = cpuLatentOps.posteriorSample(cpu(mean, dims), cpu(std, dims), cpu(eps, dims), 0.18215);
    expectClose(`${name} posteriorSample`, got, cpuData(ref));
    s.close();
  });

  test('concat and slice are exact copies', async () => {
    const s = session(maxWorkgroups);
    const rnd = random(15);
    const a = normals(n, rnd);
    const b = normals(2 * n, rnd);
    const bDims = [2 * shape.frames, ...dims.slice(1)];
    const joined = s.own(s.rt.ops.concat([s.up(a, dims), s.up(b, bDims)]));
    expect(joined.dims).toEqual([3 * shape.frames, ...dims.slice(1)]);
    const ref = cpuLatentOps.concat([cpu(a, dims), cpu(b, bDims)]);
    expect(await s.down(joined)).toEqual(cpuData(ref));
    const mid = s.own(s.rt.ops.slice(joined, 1, shape.frames + 1));
    expect(mid.dims).toEqual([shape.frames + 1, ...dims.slice(1)]);
    expect(await s.down(mid)).toEqual(cpuData(cpuLatentOps.slice(cpu(cpuData(ref), joined.dims), 1, shape.frames + 1)));
    expect(() => s.rt.ops.slice(joined, 2, 3 * shape.frames)).toThrow(RangeError);
    expect(() => s.rt.ops.concat([s.up(a, dims), s.up(a, [shape.frames, 2, 2, n / shape.frames / 4])])).toThrow(
      RangeError,
    );
    s.close();
  });

  test('previewRgba of one frame reads back exactly h·w·4 bytes', async () => {
    const s = session(maxWorkgroups);
    const rnd = random(16);
    const latents = normals(n, rnd, 0.8);
    const plane = shape.height * shape.width;
    const t = s.up(latents, dims);
    s.transfers.setStage('preview');
    const before = gpu.liveBuffers();
    const frame = shape.frames - 1;
    const rgba = await s.rt.ops.previewRgba(t, frame);
    expect(gpu.liveBuffers(), 'the preview leaves no buffer behind').toBe(before);
    expect(s.transfers.stages()['preview']).toEqual({ uploadBytes: 0, readbackBytes: plane * 4 });
    const ref = await cpuLatentOps.previewRgba(cpu(latents, dims), frame);
    expect(rgba.length).toBe(plane * 4);
    let off = 0;
    let maxDiff = 0;
    let clamped = 0;
    for (let i = 0; i < rgba.length; i++) {
      const d = Math.abs(rgba[i]! - ref[i]!);
      if (d > 0) off += 1;
      maxDiff = Math.max(maxDiff, d);
      if (i % 4 !== 3 && (ref[i] === 0 || ref[i] === 255)) clamped += 1;
      if (i % 4 === 3) expect(rgba[i]).toBe(255);
    }
    console.info(
      `[latent-ops] ${name} preview: ${off}/${rgba.length} bytes differ (max ${maxDiff}), ${clamped} clamped`,
    );
    expect(maxDiff).toBeLessThanOrEqual(1);
    expect(off).toBeLessThanOrEqual(Math.ceil(rgba.length * 0.01));
    // Frame 0 differs from the last frame (the base offset is applied).
    const first = await s.rt.ops.previewRgba(t, 0);
    expect(first).not.toEqual(rgba);
    await expect(s.rt.ops.previewRgba(t, shape.frames)).rejects.toThrow(RangeError);
    s.close();
  });
});

test('a DDIM sampling step and a v0.19 inverse step with the schedulers’ coefficients match the CPU', async () => {
  const shape: LatentShape = { frames: 2, channels: 4, height: 6, width: 5 };
  const dims = dimsOf(shape);
  const n = elementCount(dims);
  const s = session();
  const rnd = random(17);
  const sampler = new DdimScheduler();
  sampler.setTimesteps(50);
  const inverse = new DdimInverseScheduler('v0.19');
  inverse.setTimesteps(50);
  const cases: [string, DdimScheduler | DdimInverseScheduler, number][] = [
    ['sample t=981', sampler, 981],
    ['sample t=501', sampler, 501],
    ['sample t=1 (to ᾱ = final)', sampler, 1],
    ['invert t=1', inverse, 1],
    ['invert t=481', inverse, 481],
    ['invert t=961 (to 981)', inverse, 961],
  ];
  for (const [what, scheduler, t] of cases) {
    const eps = normals(n, rnd);
    const x = normals(n, rnd, 1.2);
    const r = s.rt.ops.ddimStep(scheduler.stepCoefficients(t), s.up(eps, dims), s.up(x, dims), true);
    s.own(r.prev);
    s.own(r.x0);
    const ref = scheduler.step(eps, t, x);
    expectClose(`scheduler ${what} prev`, await s.down(r.prev), ref.prevSample);
    expectClose(`scheduler ${what} x0`, await s.down(r.x0!), ref.predOriginalSample);
  }

  // The whole 49-step inversion then 50 sampling steps kept on the GPU (ε a fixed function of the step), read
  // back once: the per-step differences do not grow into a drift.
  const epsFor = (k: number): Float32Array => normals(n, random(1000 + k));
  const start = normals(n, rnd);
  let gpuX = s.rt.upload(start, dims);
  let cpuX = start;
  const schedule: [DdimScheduler | DdimInverseScheduler, number][] = [
    ...[...inverse.loopTimesteps].map((t): [DdimInverseScheduler, number] => [inverse, t]),
    ...[...sampler.timesteps].map((t): [DdimScheduler, number] => [sampler, t]),
  ];
  schedule.forEach(([scheduler, t], k) => {
    const eps = epsFor(k);
    const e = s.rt.upload(eps, dims);
    const next = s.rt.ops.ddimStep(scheduler.stepCoefficients(t), e, gpuX, false).prev;
    e.dispose();
    gpuX.dispose();
    gpuX = next;
    cpuX = scheduler.step(eps, t, cpuX).prevSample;
  });
  expect(schedule.length).toBe(99);
  expectClose('99 chained steps (invert + sample)', await s.down(gpuX), cpuX, 1e-5);
  gpuX.dispose();
  s.close();
});

test('transfers: uploads and downloads are counted per stage, ops move nothing', async () => {
  const s = session();
  const dims = [2, 4, 6, 5];
  const n = elementCount(dims);
  s.transfers.setStage('invert');
  const a = s.up(new Float32Array(n).fill(1), dims);
  const b = s.up(new Float32Array(n).fill(2), dims);
  s.transfers.setStage('denoise');
  const g = s.own(s.rt.ops.guidance(a, b, 7.5));
  const step = s.rt.ops.ddimStep(stepCoefficientsFor(0.5, 0.6), g, a, true);
  s.own(step.prev);
  s.own(step.x0);
  s.own(s.rt.ops.concat([a, b]));
  s.own(s.rt.ops.scale(a, 2));
  expect(s.transfers.stages()['denoise']).toBeUndefined();
  s.transfers.setStage('decode');
  const back = await s.down(g);
  expect(back).toEqual(new Float32Array(n).fill(1 + 7.5));
  expect(s.transfers.stages()).toEqual({
    invert: { uploadBytes: 2 * n * 4, readbackBytes: 0 },
    decode: { uploadBytes: 0, readbackBytes: n * 4 },
  });
  // An upload from a view at an offset (and, where the page is cross-origin isolated, from shared memory).
  const view = new Float32Array(new ArrayBuffer((n + 3) * 4), 12, n).fill(3);
  expect(await s.down(s.up(view, dims))).toEqual(new Float32Array(n).fill(3));
  if (typeof SharedArrayBuffer !== 'undefined') {
    const shared = new Float32Array(new SharedArrayBuffer((n + 3) * 4), 12, n).fill(4);
    expect(await s.down(s.up(shared, dims))).toEqual(new Float32Array(n).fill(4));
  } else
    console.info('[latent-ops] no SharedArrayBuffer on this page (not cross-origin isolated): shared upload not run');
  s.close();
});

test('ops own no temporaries, dispose frees outputs, misuse throws', async () => {
  const s = session();
  const dims = [1, 4, 4, 4];
  const n = elementCount(dims);
  const a = s.up(new Float32Array(n).fill(1), dims);
  const b = s.up(new Float32Array(n).fill(2), dims);
  const before = gpu.liveBuffers();
  const joined = s.own(s.rt.ops.concat([a, b]));
  const outs = [
    s.rt.ops.guidance(a, b, 3),
    s.rt.ops.blend({ frames: 1, channels: 4, height: 4, width: 4 }, a, s.up(new Float32Array(16), [1, 4, 4]), b),
    s.rt.ops.posteriorSample(a, b, a, 0.5),
    s.rt.ops.slice(joined, 1, 1),
  ];
  // concat, guidance, mask upload, blend, posterior, slice: one buffer each, no uniform left behind.
  expect(gpu.liveBuffers() - before).toBe(6);
  for (const t of outs) t.dispose();
  outs[0]!.dispose(); // idempotent
  expect(gpu.liveBuffers() - before).toBe(2); // the mask upload and the concat result
  await s.rt.download(b); // staging destroyed
  expect(gpu.liveBuffers() - before).toBe(2);

  expect(() => s.rt.ops.guidance(a, s.up(new Float32Array(2 * n), [2, 4, 4, 4]), 1)).toThrow(RangeError);
  expect(() => s.rt.ops.guidance(a, b, Number.NaN)).toThrow(RangeError);
  expect(() => s.rt.ops.guidance(a, cpu(new Float32Array(n), dims), 1)).toThrow(/cpu tensor/);
  expect(() => s.rt.ops.blend({ frames: 1, channels: 4, height: 4, width: 4 }, a, a, b)).toThrow(/mask/);
  expect(() => s.rt.upload(new Float32Array(3), [2, 2])).toThrow(RangeError);
  s.close();
  expect(() => s.rt.ops.scale(a, 2)).toThrow(/released/);
});
