/**
 * Fused ST-Layout attention kernels vs the CPU oracle (src/core/attention/reference.ts), fp32 within 1e-4.
 * Sizes are tiny: the CI adapter is a software one.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { readBuffer, startGpuTest, type GpuHarness } from '../helpers/browser/gpu-harness';
import { referenceAttention } from '../../src/core/attention/reference';
import {
  cfgItemStrength,
  crossModulationMaps,
  selfModulationMaps,
  type AttentionShape,
  type CfgBranch,
  type ModulationMaps,
} from '../../src/core/attention/types';
import { AttentionCore } from '../../workers/engine/kernels/attention/attention';
import { NaiveAttention } from '../../workers/engine/kernels/attention/naive';
import { maxAbsDiff } from './attention-golden-inputs';

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
const normals = (n: number, rnd: () => number, scale = 1.5): Float32Array<ArrayBuffer> =>
  Float32Array.from({ length: n }, () => (rnd() + rnd() + rnd() - 1.5) * scale);

function upload(data: Float32Array<ArrayBuffer>): GPUBuffer {
  const buffer = gpu.device.createBuffer({
    size: Math.ceil(data.byteLength / 16) * 16,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
  });
  gpu.device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}

interface Case {
  shape: AttentionShape;
  maps?: ModulationMaps;
  itemStrength?: Float32Array;
  core?: AttentionCore;
  seed?: number;
  /** Given Q, K, V instead of random normals. */
  inputs?: [Float32Array<ArrayBuffer>, Float32Array<ArrayBuffer>, Float32Array<ArrayBuffer>];
}

/** Runs the kernel and the oracle on the same random inputs; returns both outputs. */
interface Compared {
  gpuOut: Float32Array;
  cpuOut: Float32Array;
  diff: number;
  inputs: [Float32Array, Float32Array, Float32Array];
}

async function compare(c: Case): Promise<Compared> {
  const { shape } = c;
  const rnd = random(c.seed ?? 1);
  const channels = shape.heads * shape.headDim;
  const [q, k, v] = c.inputs ?? [
    normals(shape.batch * shape.queries * channels, rnd),
    normals(shape.kvBatch * shape.keys * channels, rnd),
    normals(shape.kvBatch * shape.keys * channels, rnd),
  ];
  const core = c.core ?? new AttentionCore(gpu.device, { headDim: shape.headDim, storage: 'f32' });
  const [qb, kb, vb] = [upload(q), upload(k), upload(v)];
  const maps = c.maps ? core.uploadMaps(c.maps) : undefined;
  const modulation = maps && c.itemStrength ? { maps, itemStrength: c.itemStrength } : undefined;
  const out = core.run({ shape, q: qb, k: kb, v: vb, ...(modulation ? { modulation } : {}) });
  const gpuOut = new Float32Array(await readBuffer(gpu.device, out, q.byteLength));
  for (const b of [qb, kb, vb, out]) b.destroy();
  maps?.destroy();
  const cpuOut = referenceAttention(
    shape,
    q,
    k,
    v,
    c.maps && c.itemStrength ? { maps: c.maps, itemStrength: c.itemStrength } : undefined,
  );
  return { gpuOut, cpuOut, diff: maxAbsDiff(gpuOut, cpuOut), inputs: [q, k, v] };
}

/** Random overlapping region bits (3 regions), a share of tokens in no region. */
function randomSelfMaps(n: number, seed: number): ModulationMaps {
  const rnd = random(seed);
  const bits = Uint32Array.from({ length: n }, () => (rnd() < 0.2 ? 0 : Math.floor(rnd() * 8)));
  const sizeReg = Float32Array.from({ length: n }, () => 0.4 + 0.6 * rnd());
  return selfModulationMaps(bits, sizeReg);
}
const selfShape = (batch: number, n: number, heads: number, headDim: number): AttentionShape => ({
  batch,
  kvBatch: batch,
  queries: n,
  keys: n,
  heads,
  headDim,
});

describe('fused attention kernel (fp32) vs CPU oracle', () => {
  test('plain attention, odd sizes, K/V broadcast (Nq 37, Nk 53, B 4 over Bkv 2, 3 heads × 8)', async () => {
    const r = await compare({ shape: { batch: 4, kvBatch: 2, queries: 37, keys: 53, heads: 3, headDim: 8 } });
    expect(r.gpuOut.length).toBe(4 * 37 * 24);
    expect(r.diff).toBeLessThan(1e-4);
  });

  test.each(['uncond', 'cond', 'both'] as const)(
    'self-attention modulation, overlapping regions + tokens in no region, CFG %s',
    async (branch: CfgBranch) => {
      const shape = selfShape(2, 45, 2, 16);
      const itemStrength = cfgItemStrength(2, branch, 0.9);
      const maps = randomSelfMaps(45, 7);
      const r = await compare({ shape, maps, itemStrength, seed: 3 });
      expect(r.diff).toBeLessThan(1e-4);
      // The unmodulated half equals plain attention (a = 0 inside the modulated kernel).
      const plain = referenceAttention(shape, ...r.inputs);
      const half = 45 * 32;
      const modulatedHalf = branch === 'cond' ? [half, 2 * half] : [0, half];
      expect(
        maxAbsDiff(
          r.cpuOut.subarray(modulatedHalf[0], modulatedHalf[1]),
          plain.subarray(modulatedHalf[0], modulatedHalf[1]),
        ),
      ).toBeGreaterThan(1e-2);
    },
  );

  test.each([
    ['all-one', 1],
    ['all-zero', 0],
  ] as const)('%s region map', async (_name, value) => {
    const n = 29;
    const maps = selfModulationMaps(new Uint32Array(n).fill(value), new Float32Array(n).fill(0.8));
    const r = await compare({ shape: selfShape(2, n, 2, 8), maps, itemStrength: new Float32Array([0.9, 0.5]) });
    expect(r.diff).toBeLessThan(1e-4);
  });

  test.each([40, 80, 160])('head dim %i, modulated, odd token count', async (headDim) => {
    const n = 19;
    const r = await compare({
      shape: selfShape(1, n, 2, headDim),
      maps: randomSelfMaps(n, headDim),
      itemStrength: new Float32Array([0.7]),
      seed: headDim,
    });
    expect(r.diff).toBeLessThan(1e-4);
  });

  test('cross-attention per frame: 77 text keys, B = 2F, query maps indexed by frame = b mod F', async () => {
    const frames = 2;
    const hw = 13;
    const rnd = random(11);
    const regionBits = Uint32Array.from({ length: frames * hw }, () => Math.floor(rnd() * 4));
    const crossSizeReg = Float32Array.from({ length: frames * hw }, () => 0.3 + 0.7 * rnd());
    const textBits = new Uint32Array(77);
    textBits[1] = 1;
    textBits[2] = 1;
    textBits[4] = 2;
    textBits[6] = 3;
    const maps = crossModulationMaps(frames, regionBits, crossSizeReg, textBits);
    const shape: AttentionShape = { batch: 2 * frames, kvBatch: 2, queries: hw, keys: 77, heads: 2, headDim: 8 };
    const r = await compare({ shape, maps, itemStrength: cfgItemStrength(4, 'cond', 0.95), seed: 12 });
    expect(r.diff).toBeLessThan(1e-4);
  });

  test('a = 1 (keep = 0: the scores are R·bias only), rows in no region, and a = 0.5 with a wide score range', async () => {
    // The modulated pass 2 uses the exact row max from pass 1 (region / non-region maxima): these are its edges.
    const n = 31;
    const bits = Uint32Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 0 : 1 + (i % 3)));
    const maps = selfModulationMaps(bits, new Float32Array(n).fill(1));
    const keepZero = await compare({ shape: selfShape(1, n, 2, 8), maps, itemStrength: new Float32Array([1]) });
    expect(keepZero.diff).toBeLessThan(1e-4);
    const wide = await compare({ shape: selfShape(1, n, 2, 8), maps, itemStrength: new Float32Array([0.5]), seed: 5 });
    expect(wide.diff).toBeLessThan(1e-4);
  });

  test('wide scores: region keys 200 below the row max, aΔ = 100, so both sides weigh alike after the bias', async () => {
    // Tokens 0–7 in region 1, 8–22 in region 2, 23 in none; d 8, a = 0.5. Every query points along axis 0; region-1
    // keys point the other way: for region-1 queries S ≈ −100 on their region keys and +100 on the others, so
    // (1 − a)·S puts the region keys 100 below the max (exp underflows in f32) while aΔ ≈ 100 lifts them back
    // level with the others: the result mixes both sides. A one-pass form that accumulates the region side relative
    // to the all-key max (exp(−100) = 0 in f32) loses it; the exact modulated max (pass 1) or per-side maxima keep it.
    const n = 24;
    const d = 8;
    const rnd = random(11);
    const bits = Uint32Array.from({ length: n }, (_, i) => (i < 8 ? 1 : i < 23 ? 2 : 0));
    const maps = selfModulationMaps(bits, new Float32Array(n).fill(1));
    const q = normals(n * d, rnd, 0.3);
    const k = normals(n * d, rnd, 0.3);
    const v = normals(n * d, rnd);
    for (let t = 0; t < n; t++) {
      q[t * d] = 10;
      k[t * d] = (t < 8 ? -1 : 1) * 100 * Math.sqrt(d) * 0.1;
    }
    const r = await compare({
      shape: selfShape(1, n, 1, d),
      maps,
      itemStrength: new Float32Array([0.5]),
      inputs: [q, k, v],
    });
    // The region side really counts for region-1 rows: its share of the oracle's weight is far from 0 and 1.
    const plainLike = referenceAttention(selfShape(1, n, 1, d), q, k, v);
    expect(maxAbsDiff(r.cpuOut.subarray(0, 8 * d), plainLike.subarray(0, 8 * d))).toBeGreaterThan(0.1);
    expect(r.diff).toBeLessThan(1e-4);
  });

  test('a = 0 in the modulated kernel is plain attention exactly', async () => {
    const shape = selfShape(2, 33, 2, 8);
    const core = new AttentionCore(gpu.device, { headDim: 8, storage: 'f32' });
    const maps = randomSelfMaps(33, 5);
    const zero = await compare({ shape, maps, itemStrength: new Float32Array(2), core, seed: 9 });
    const plain = await compare({ shape, core, seed: 9 });
    expect(maxAbsDiff(zero.gpuOut, plain.gpuOut)).toBe(0);
    expect(plain.diff).toBeLessThan(1e-4);
  });

  test('calls beyond the dispatch/binding limits are split into chunks with the same result', async () => {
    // Tight fake limits: 2 workgroups per dimension, 4 KiB bindings → per-item row chunks and item chunks.
    const core = new AttentionCore(gpu.device, {
      headDim: 8,
      storage: 'f32',
      limits: { maxComputeWorkgroupsPerDimension: 2, maxStorageBufferBindingSize: 4096 },
    });
    const shape: AttentionShape = { batch: 3, kvBatch: 3, queries: 150, keys: 40, heads: 2, headDim: 8 };
    const plan = core.plan(shape, { groups: 1 });
    expect(plan.chunks.length).toBeGreaterThan(3);
    expect(plan.chunks.every((c) => c.qBinding.size <= 4096 && c.workgroups[0] <= 2)).toBe(true);
    const rnd = random(2);
    const maps: ModulationMaps = {
      groups: 1,
      queryBits: Uint32Array.from({ length: 150 }, () => Math.floor(rnd() * 4)),
      keyBits: Uint32Array.from({ length: 40 }, () => Math.floor(rnd() * 4)),
      sizeReg: Float32Array.from({ length: 150 }, () => rnd()),
    };
    const r = await compare({ shape, core, maps, itemStrength: new Float32Array([0.9, 0, 0.4]) });
    expect(r.diff).toBeLessThan(1e-4);
    const small: AttentionShape = { batch: 6, kvBatch: 6, queries: 5, keys: 7, heads: 2, headDim: 8 };
    expect(core.plan(small).chunks.length).toBe(3); // 2 items per dispatch (z ≤ 2)
    expect((await compare({ shape: small, core })).diff).toBeLessThan(1e-4);
  });

  test('the naive materialized baseline (benchmark only) computes the same attention', async () => {
    const shape = selfShape(2, 27, 2, 8);
    const rnd = random(4);
    const n = 2 * 27 * 16;
    const [q, k, v] = [normals(n, rnd), normals(n, rnd), normals(n, rnd)];
    const [qb, kb, vb] = [upload(q), upload(k), upload(v)];
    const out = new NaiveAttention(gpu.device).run(shape, qb, kb, vb);
    const got = new Float32Array(await readBuffer(gpu.device, out, n * 4));
    expect(maxAbsDiff(got, referenceAttention(shape, q, k, v))).toBeLessThan(1e-4);
    for (const b of [qb, kb, vb, out]) b.destroy();
  });
});
