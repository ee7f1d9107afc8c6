/**
 * Tiled attention kernel without a GPU: tile configurations and their workgroup-memory plan (tiles.ts), the
 * generated WGSL of every variant — including those the CI software adapter cannot run (f16 storage, other
 * subgroup sizes) — the dispatch plan, and the autotuner's sweep with a fake timer and cache.
 */
import { describe, expect, test } from 'vitest';
import {
  candidateTiles,
  defaultTiles,
  deriveTiles,
  isRowKernel,
  MAX_REGISTERS,
  tileKey,
  tileProblem,
  type AttentionTiles,
  type TileLimits,
} from '../../workers/engine/kernels/attention/tiles';
import { attentionShaderSource } from '../../workers/engine/kernels/attention/shader';
import { rowKernelSource, rowSubgroupsFit } from '../../workers/engine/kernels/attention/rows';
import { keyOrderWords } from '../../workers/engine/kernels/attention/key-order';
import { planAttention, type AttentionLimits } from '../../workers/engine/kernels/attention/plan';
import {
  AttentionAutotuner,
  deviceTiles,
  kindOfShape,
  OVERRIDE_PREFIX,
  memoryTuneCache,
  sweepTiles,
  targetKey,
  type TuneTarget,
} from '../../workers/engine/kernels/attention/autotune';
import { tuneAttentionAtStart } from '../../workers/engine/kernels/attention/engine-tuning';

const SOFTWARE: TileLimits = {
  maxComputeWorkgroupStorageSize: 32768,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  subgroupMinSize: 4,
};
/** WebGPU's guaranteed minimum: 16 KiB of workgroup memory, 256 invocations, no subgroups. */
const MINIMUM: TileLimits = {
  maxComputeWorkgroupStorageSize: 16384,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
};
/** A discrete GPU with 32-wide subgroups. */
const DISCRETE: TileLimits = { ...SOFTWARE, subgroupMinSize: 32 };

const SD_HEAD_DIMS = [40, 80, 160] as const;
const TINY_HEAD_DIMS = [8, 16, 32, 64] as const;

describe('tile configurations', () => {
  test.each([...SD_HEAD_DIMS, ...TINY_HEAD_DIMS])(
    'head dim %i: the default fits the minimum limits and every candidate fits its limits',
    (d) => {
      for (const storage of ['f32', 'f16'] as const) {
        const t = defaultTiles(d, storage, { subgroups: false }, MINIMUM);
        expect(tileProblem(t, d, storage, { subgroups: false }, MINIMUM)).toBeUndefined();
        for (const [limits, subgroups] of [
          [SOFTWARE, true],
          [SOFTWARE, false],
          [DISCRETE, true],
          [MINIMUM, false],
        ] as const) {
          const all = candidateTiles(d, storage, { subgroups }, limits);
          expect(all.length).toBeGreaterThan(3);
          for (const c of all) {
            expect(tileProblem(c, d, storage, { subgroups }, limits)).toBeUndefined();
            const derived = deriveTiles(c, d, storage, { subgroups });
            expect(derived.workgroupBytes).toBeLessThanOrEqual(limits.maxComputeWorkgroupStorageSize);
            expect(derived.registers).toBeLessThanOrEqual(MAX_REGISTERS);
            // The head dim is split across the TK invocations of a row: DC·TK covers d.
            expect(derived.dc * c.tk).toBeGreaterThanOrEqual(d);
            expect(derived.dc * c.tk - d).toBeLessThan(c.tk);
          }
        }
      }
    },
  );

  test('workgroup memory: Q tile + K/V tile + P tile (+ row partials without subgroups, + the run when modulated), f16 tiles halve Q and K/V', () => {
    const t: AttentionTiles = { tq: 16, tk: 4, rq: 4, rk: 4, dk: 40 };
    const f32 = deriveTiles(t, 40, 'f32', { subgroups: false });
    expect(f32.blockQ).toBe(64);
    expect(f32.blockK).toBe(16);
    expect(f32.qResident).toBe(true);
    expect(f32.workgroupBytes).toBe(64 * 40 * 4 + 16 * 40 * 4 + 64 * 16 * 4 + 64 * 4 * 4 + 16);
    expect(deriveTiles(t, 40, 'f32', { subgroups: false }, false).workgroupBytes).toBe(f32.workgroupBytes - 16);
    const f16 = deriveTiles(t, 40, 'f16', { subgroups: true });
    expect(f16.workgroupBytes).toBe(64 * 40 * 2 + 16 * 40 * 2 + 64 * 16 * 4 + 16);
    // d = 160 does not keep Q resident in 16 KiB: the default chunks the head dim.
    const big = defaultTiles(160, 'f32', { subgroups: false }, MINIMUM);
    expect(big.dk).toBeLessThan(160);
    expect(deriveTiles(big, 160, 'f32', { subgroups: false }).workgroupBytes).toBeLessThanOrEqual(16384);
  });

  test.each(SD_HEAD_DIMS)(
    'software adapter, head dim %i: the row kernel (TK 1, no workgroup memory, no barriers)',
    (d) => {
      const sw: TileLimits = { ...SOFTWARE, software: true };
      for (const subgroups of [false, true]) {
        const t = defaultTiles(d, 'f32', { subgroups }, sw);
        expect(isRowKernel(t, d)).toBe(true);
        if (subgroups) {
          // The K/V broadcast (4 keys per block): head dim unrolled at every SD1.5 size, 8 rows up to d = 96.
          expect(t).toMatchObject({ rq: d <= 96 ? 8 : 4, rk: 4, dk: d });
          expect(rowSubgroupsFit(t, sw.subgroupMinSize ?? 0)).toBe(true);
          // Without subgroups on the adapter (minimum size 0) the feature flag alone does not pick them.
          const noBroadcast = defaultTiles(d, 'f32', { subgroups }, { ...sw, subgroupMinSize: 0 });
          expect(noBroadcast).toEqual(defaultTiles(d, 'f32', { subgroups: false }, sw));
        } else {
          // 8 rows per invocation with the head dim unrolled up to d = 48, else 4 rows and a head-dim loop.
          expect(t.rq).toBe(d <= 48 ? 8 : 4);
          expect(t.dk).toBe(d <= 48 ? d : 4);
        }
        const derived = deriveTiles(t, d, 'f32', { subgroups });
        expect(derived.workgroupBytes).toBe(0);
        expect(derived.blockQ).toBe(t.tq * t.rq);
        expect(candidateTiles(d, 'f32', { subgroups }, sw)[0]).toEqual(t);
        expect(tileProblem(t, d, 'f32', { subgroups }, sw)).toBeUndefined();
      }
      const t = defaultTiles(d, 'f32', { subgroups: false }, sw);
      for (const modulated of [false, true]) {
        const src = attentionShaderSource({
          headDim: d,
          storage: 'f32',
          modulated,
          tiles: t,
          features: { subgroups: false },
        });
        expect(src).not.toContain('var<workgroup>');
        expect(src).not.toContain('Barrier');
        expect(src).toContain('var<storage, read> kIn: array<vec4<Elem>>;');
        expect(src).toContain(`@workgroup_size(${t.tq})`);
        expect(src.includes('queryBits')).toBe(modulated);
      }
    },
  );

  test('row kernel WGSL: unrolled rows × vec4 registers, or a head-dim loop; f16 storage with f32 math', () => {
    const rowsD40 = (modulated: boolean): string =>
      attentionShaderSource({
        headDim: 40,
        storage: 'f32',
        modulated,
        tiles: { tq: 16, tk: 1, rq: 8, rk: 2, dk: 40 },
        features: { subgroups: false },
      });
    const unrolled = rowsD40(true);
    // q and O of 8 rows × 10 vec4 in named registers; keys in blocks of 2.
    expect(unrolled).toContain('o7_9 += p7_1 * vv;');
    // q pre-scaled by 1/√d; keys walked run by run in region order (perm through the key order table).
    expect(unrolled).toContain('let q7_9 = vec4f(qIn[qb7 + 9u]) * params.scale;');
    expect(unrolled).toContain('for (var run = 0u; run < runs; run++) {');
    expect(unrolled).toContain('let kb1 = kvBase + keyOrder[permBase + min(start + 1u, runEnd - 1u)] * chV;');
    expect(unrolled).toContain('@binding(6) var<storage, read> keyOrder: array<u32>;');
    // R once per (row, run): rows whose R changes swap their active and idle softmax (selects, no branch).
    expect(unrolled).toContain('let wantR7 = (qBits7 & runBits) != 0u;');
    expect(unrolled).toContain('o7_9 = select(x, u7_9, swap7);');
    // Per score: the online softmax of keep·S and the row min; per block one rescale.
    expect(unrolled).toContain('let p7_1 = select(0.0, exp(keep7 * (s7_1 - mNew7)), ok1);');
    expect(unrolled).toContain('mn7 = min(mn7, min(s7_0, s7_1));');
    expect(unrolled).toContain('let corr7 = exp(keep7 * (m7 - mNew7));');
    // The fused form's bias a·(rowmax − rowmin) on the region sum at the end, both sums relative to the largest.
    expect(unrolled).toContain('let aD7 = a7 * (max(m7, mI7) - mn7);');
    expect(unrolled).toContain('let xR7 = select(LOWEST, keep7 * mR7 + aD7, mR7 > LOWEST);');
    expect(unrolled).toContain('o7_9 = o7_9 * cA7 + u7_9 * cI7;');
    expect(unrolled).not.toContain('keyBits');
    expect(unrolled.match(/\bif \(/g)).toHaveLength(8); // the 8 rows' output guards only
    expect(unrolled).not.toContain('for (var c');
    const plain = rowsD40(false);
    expect(plain).toContain('let kb1 = kvBase + min(start + 1u, params.nk - 1u) * chV;');
    expect(plain).not.toMatch(/keyOrder|queryBits|keep/);
    const looped = attentionShaderSource({
      headDim: 160,
      storage: 'f16',
      modulated: false,
      tiles: { tq: 16, tk: 1, rq: 4, rk: 4, dk: 4 },
      features: { subgroups: true },
    });
    expect(looped.startsWith('enable f16;\nenable subgroups;')).toBe(true);
    expect(looped).toContain('alias Elem = f16;');
    expect(looped).toContain('for (var c = 0u; c < 40u; c++)');
    expect(looped).toContain('var o3: array<vec4f, 40>;');
    expect(looped).toContain('outData[qb3 + c] = vec4<Elem>(o3[c] * inv);');
    expect(looped).not.toContain('keyBits');
    // d not divisible by 4 keeps the tiled kernel (one row per invocation, d in chunks).
    expect(isRowKernel({ tq: 64, tk: 1, rq: 1, rk: 32, dk: 10 }, 10)).toBe(false);
    expect(isRowKernel({ tq: 32, tk: 1, rq: 1, rk: 32, dk: 32 }, 160)).toBe(false);
    expect(defaultTiles(10, 'f32', { subgroups: false }, { ...SOFTWARE, software: true }).dk).toBe(10);
  });

  test('row kernel subgroup variant: one K/V load per 4 lanes, broadcast to the block; only where RK, TQ fit', () => {
    const variant = (rk: number, dk: number, subgroups: boolean): string =>
      attentionShaderSource({
        headDim: 40,
        storage: 'f32',
        modulated: true,
        tiles: { tq: 16, tk: 1, rq: 8, rk, dk },
        features: { subgroups },
      });
    const unrolled = variant(8, 40, true);
    expect(unrolled).toContain('enable subgroups;');
    expect(unrolled).toContain('@builtin(subgroup_invocation_id) sgLane: u32');
    // Keys 0–3 from lanes of load group 0, keys 4–7 from group 1; V the same way.
    // (Modulated: slot → key through the key order, one perm load per lane.)
    expect(unrolled).toContain('let kl1 = kvBase + keyOrder[permBase + min(start + 4u + lane, runEnd - 1u)] * chV;');
    expect(unrolled).toContain('let kL1 = vec4f(kIn[kl1 + 9u]);');
    expect(unrolled).toContain('let k6 = subgroupBroadcast(kL1, 2u);');
    expect(unrolled).toContain('let w7 = subgroupBroadcast(wL1, 3u);');
    expect(unrolled).toContain('o7_9 += p7_7 * w7;');
    expect(unrolled).not.toContain('let kb0');
    const looped = variant(4, 4, true);
    expect(looped).toContain('let vL0 = vec4f(vIn[kl0 + c]);');
    expect(looped).toContain('let v3 = subgroupBroadcast(vL0, 3u);');
    // RK 2 cannot fill 4 lanes: the plain row kernel, whatever the feature set says.
    expect(variant(2, 40, true)).not.toContain('subgroup');
    expect(variant(8, 40, false)).not.toContain('subgroup');
    expect(rowSubgroupsFit({ tq: 16, rk: 4 }, 4)).toBe(true);
    expect(rowSubgroupsFit({ tq: 16, rk: 4 }, 0)).toBe(false);
    expect(rowSubgroupsFit({ tq: 16, rk: 6 }, 32)).toBe(false);
    expect(rowSubgroupsFit({ tq: 18, rk: 4 }, 32)).toBe(false);
    expect(() =>
      rowKernelSource({
        headDim: 40,
        storage: 'f32',
        modulated: false,
        tq: 16,
        rq: 1,
        rk: 2,
        subgroups: true,
        paramsStruct: '',
      }),
    ).toThrow(/multiples of 4/);
  });

  test('subgroup variants need TK ≤ the minimum subgroup size and whole subgroups', () => {
    const t: AttentionTiles = { tq: 8, tk: 8, rq: 2, rk: 2, dk: 40 };
    expect(tileProblem(t, 40, 'f32', { subgroups: true }, SOFTWARE)).toMatch(/subgroup size/);
    expect(tileProblem(t, 40, 'f32', { subgroups: true }, DISCRETE)).toBeUndefined();
    expect(tileProblem({ ...t, tk: 3 }, 40, 'f32', { subgroups: true }, DISCRETE)).toMatch(/power-of-two/);
    expect(tileProblem(t, 40, 'f32', { subgroups: true }, MINIMUM)).toMatch(/subgroup size \(0\)/);
    expect(tileProblem({ ...t, dk: 41 }, 40, 'f32', { subgroups: false }, SOFTWARE)).toMatch(/exceeds head dim/);
    expect(tileProblem({ ...t, tq: 64 }, 40, 'f32', { subgroups: false }, SOFTWARE)).toMatch(/invocations/);
  });
});

describe('generated WGSL per variant', () => {
  const tiles: AttentionTiles = { tq: 16, tk: 4, rq: 2, rk: 4, dk: 32 };
  test('f32, no subgroups, d chunked: constants from tiles.ts, partial-max reduction, Q staged per chunk', () => {
    const src = attentionShaderSource({
      headDim: 80,
      storage: 'f32',
      modulated: true,
      tiles,
      features: { subgroups: false },
    });
    expect(src).toContain('const HEAD_DIM: u32 = 80u;');
    expect(src).toContain('const BQ: u32 = 32u;');
    expect(src).toContain('const BK: u32 = 16u;');
    expect(src).toContain('const DC: u32 = 20u;');
    expect(src).toContain('const THREADS: u32 = 64u;');
    expect(src).toContain('var<workgroup> partMax');
    expect(src).not.toContain('subgroupShuffleXor');
    expect(src).not.toMatch(/enable (f16|subgroups)/);
    expect(src).toContain('stageQ(qBase, rows, d0, lid);');
    expect(src).not.toMatch(/\/\/#(if|else|endif)/);
  });

  test('modulated: one pass over the keys in region order (no second QKᵀ), run bounds workgroup-uniform', () => {
    const variant = { headDim: 80, storage: 'f32' as const, tiles, features: { subgroups: false } };
    // The code without its comments (the header names keyBits, keep, … in the formula).
    const code = (wgsl: string): string => wgsl.replace(/\/\/.*$/gm, '');
    const src = code(attentionShaderSource({ ...variant, modulated: true }));
    // The key order at binding 6, K/V staged through perm; no per-key bits.
    expect(src).toContain('@group(0) @binding(6) var<storage, read> keyOrder: array<u32>;');
    expect(src).not.toContain('keyBits');
    expect(src).toContain('return keyOrder[permBase + slot];');
    expect(src).toContain('kIn[kvBase + keyAt(start + key) * params.channels + c]');
    expect(src).toContain('vIn[kvBase + keyAt(start + key) * params.channels + c]');
    // One S block per key tile: scoreBlock is called once, inside the run's tile loop.
    expect(src.match(/scoreBlock\(&s,/g)).toHaveLength(1);
    expect(src).toContain('let span = workgroupUniformLoad(&runInfo);');
    expect(src).toContain('for (var start = span.x; start < end; start += BK) {');
    // Two softmaxes per row, swapped where R changes; keep·S; the row min; the fused combine.
    expect(src).toContain('let wantR = (qBits[i] & span.z) != 0u;');
    expect(src).toContain('let p = exp(keep[i] * (s[i][j] - mNew));');
    expect(src).toContain('mn[i] = min(mn[i], s[i][j]);');
    expect(src).toContain('let xR = select(LOWEST, keep[i] * mR + aD, mR > LOWEST);');
    expect(src).toContain('acc[i][c] = acc[i][c] * cA + u[i][c] * cI;');
    // The row min reduced across the TK invocations through the partials (no subgroups here).
    expect(src).toContain('mn[i] = min(mn[i], partMax[(tq + TQ * i) * TK + t]);');
    // The plain variant: keys in their own order, none of the modulated state.
    const plain = code(attentionShaderSource({ ...variant, modulated: false }));
    expect(plain).toContain('return slot;');
    expect(plain).toContain('for (var start = 0u; start < end; start += BK) {');
    expect(plain).toContain('let p = exp(s[i][j] - mNew);');
    for (const absent of ['keyOrder', 'runInfo', 'keep', 'wantR', 'mn[i]']) expect(plain).not.toContain(absent);
  });

  test('f16 storage + subgroups (not runnable on the CI adapter): enables, f16 tiles, shuffles, no partials', () => {
    const src = attentionShaderSource({
      headDim: 40,
      storage: 'f16',
      modulated: false,
      tiles: { ...tiles, dk: 40 },
      features: { subgroups: true },
    });
    expect(src.startsWith('enable f16;\nenable subgroups;')).toBe(true);
    expect(src).toContain('alias Elem = f16;');
    expect(src).toContain('alias TileElem = f16;');
    expect(src).toContain('subgroupShuffleXor(tileMax[i], off)');
    expect(src).not.toContain('partMax');
    expect(src).not.toContain('var<storage, read> itemStrength');
    // Q resident (DK = d): staged once, not per chunk.
    expect(src).not.toContain('stageQ(qBase, rows, d0, lid);');
    expect(src).toContain('stageQ(qBase, rows, 0u, lid);');
    // Math stays f32: scores, P, accumulators.
    expect(src).toContain('var<workgroup> pTile: array<f32, BQ * BK>;');
    expect(src).toContain('var acc: array<array<f32, DC>, RQ>;');
  });
});

describe('dispatch plan of a tiled variant', () => {
  const limits: AttentionLimits = {
    maxStorageBufferBindingSize: 128 * 2 ** 20,
    maxBufferSize: 256 * 2 ** 20,
    maxComputeWorkgroupsPerDimension: 65535,
    minStorageBufferOffsetAlignment: 256,
    minUniformBufferOffsetAlignment: 256,
  };
  test.each([
    [65536, 40, 'f16'],
    [16384, 80, 'f32'],
    [4096, 160, 'f32'],
    [1024, 160, 'f16'],
  ] as const)('SD1.5 level N %i, d %i, %s: workgroups = ⌈rows/BQ⌉ × heads × items, memory linear', (n, d, storage) => {
    const t = defaultTiles(d, storage, { subgroups: true }, DISCRETE);
    const bq = deriveTiles(t, d, storage, { subgroups: true }).blockQ;
    const shape = { batch: 2, kvBatch: 2, queries: n, keys: n, heads: 8, headDim: d };
    const plan = planAttention(shape, { storage, blockQ: bq, modulated: true, groups: 1 }, limits);
    const rows = plan.chunks.reduce((a, c) => a + (c.q1 - c.q0) * (c.b1 - c.b0), 0);
    expect(rows).toBe(2 * n);
    for (const c of plan.chunks) {
      expect(c.workgroups[0]).toBe(Math.ceil((c.q1 - c.q0) / bq));
      expect(c.workgroups[1]).toBe(8);
      expect(c.qBinding.size).toBeLessThanOrEqual(limits.maxStorageBufferBindingSize);
    }
    const elem = storage === 'f16' ? 2 : 4;
    // Output + maps (3 per-token arrays + the key order's worst case, 4 words a key) + scratch: O(tokens), never N².
    expect(plan.allocatedBytes).toBeLessThan(2 * n * 8 * d * elem + 7 * n * 4 + 64 * 1024);
  });

  test('row kernel (software default) at the SD1.5 levels: BQ = TQ·RQ rows per workgroup, no workgroup memory', () => {
    const sw: TileLimits = { ...SOFTWARE, software: true };
    for (const [n, d] of [
      [1024, 40],
      [512, 80],
      [256, 160],
    ] as const) {
      const t = defaultTiles(d, 'f32', { subgroups: false }, sw);
      const bq = deriveTiles(t, d, 'f32', { subgroups: false }).blockQ;
      const plan = planAttention(
        { batch: 1, kvBatch: 1, queries: n, keys: n, heads: 8, headDim: d },
        { storage: 'f32', blockQ: bq, modulated: true, groups: 1 },
        limits,
      );
      expect(plan.chunks).toHaveLength(1);
      expect(plan.chunks[0]!.workgroups).toEqual([Math.ceil(n / bq), 8, 1]);
      // Q/O element offsets stay multiples of 4 (the kernel reads vec4).
      expect(plan.chunks[0]!.qOffset % 4).toBe(0);
      // The maps include the key order: 1 + 3·runs + Nk words (worst case runs = Nk when the plan has no maps).
      const maps = (runs: number): number =>
        2 * Math.ceil((n * 4) / 16) * 16 +
        Math.ceil((n * 4) / 16) * 16 +
        Math.ceil((keyOrderWords(n, runs) * 4) / 16) * 16;
      expect(plan.mapsBytes).toBe(maps(n));
      const withRuns = planAttention(
        { batch: 1, kvBatch: 1, queries: n, keys: n, heads: 8, headDim: d },
        { storage: 'f32', blockQ: bq, modulated: true, groups: 1, keyRuns: 5 },
        limits,
      );
      expect(withRuns.mapsBytes).toBe(maps(5));
    }
    // Row kernel: items with strength 0 get chunks of their own (the plain kernel); otherwise the modulated kernel
    // branches per item and chunks mix them.
    const cfg = { batch: 4, kvBatch: 4, queries: 64, keys: 64, heads: 8, headDim: 8 };
    const split = planAttention(
      cfg,
      {
        storage: 'f32',
        blockQ: 16,
        modulated: true,
        splitByStrength: true,
        modulatedItems: [false, false, true, true],
      },
      limits,
    );
    expect(split.chunks.map((c) => [c.b0, c.b1, c.modulated])).toEqual([
      [0, 2, false],
      [2, 4, true],
    ]);
    const mixed = planAttention(
      cfg,
      { storage: 'f32', blockQ: 16, modulated: true, modulatedItems: [false, false, true, true] },
      limits,
    );
    expect(mixed.chunks.map((c) => [c.b0, c.b1, c.modulated])).toEqual([[0, 4, true]]);
    expect(() =>
      planAttention(cfg, { storage: 'f32', blockQ: 16, modulated: true, modulatedItems: [true] }, limits),
    ).toThrow(/1 item flags for 4 items/);
  });

  test('cross-attention (Nk 77) tunes separately from self-attention', () => {
    expect(kindOfShape({ batch: 32, kvBatch: 2, queries: 4096, keys: 77, heads: 8, headDim: 40 })).toBe('cross');
    expect(kindOfShape({ batch: 2, kvBatch: 2, queries: 4096, keys: 4096, heads: 8, headDim: 40 })).toBe('self');
  });
});

/** A clock that advances only when the fake measurement says so. */
function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 0;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('autotune sweep (fake timer)', () => {
  const a: AttentionTiles = { tq: 16, tk: 4, rq: 4, rk: 4, dk: 40 };
  const b: AttentionTiles = { tq: 8, tk: 4, rq: 2, rk: 4, dk: 40 };
  const c: AttentionTiles = { tq: 32, tk: 2, rq: 2, rk: 8, dk: 40 };
  const times: Record<string, number> = { [tileKey(a)]: 10, [tileKey(b)]: 4, [tileKey(c)]: 7 };

  test('picks the fastest configuration (fastest of its repeats counts)', async () => {
    const clock = fakeClock();
    let calls = 0;
    const result = await sweepTiles({
      candidates: [a, b, c],
      budgetMs: 1e9,
      repeats: 2,
      now: clock.now,
      measure: (t) => {
        calls++;
        const ms = times[tileKey(t)]! + (calls % 2) * 5; // noisy repeats
        clock.advance(ms);
        return Promise.resolve(ms);
      },
    });
    expect(result.best).toEqual(b);
    expect(result.timings.map((x) => x.ms)).toEqual([10, 4, 7]);
    expect(calls).toBe(6);
  });

  test('stops at the budget (the first candidate is always measured) and skips failing ones', async () => {
    const clock = fakeClock();
    const result = await sweepTiles({
      candidates: [a, c, b],
      budgetMs: 15,
      repeats: 1,
      now: clock.now,
      measure: (t) => {
        clock.advance(times[tileKey(t)]!);
        if (t === c) return Promise.reject(new Error('pipeline failed'));
        return Promise.resolve(times[tileKey(t)]!);
      },
    });
    // a (10 ms) measured, c failed (7 ms spent) → 17 ms ≥ 15: b is skipped.
    expect(result.timings.map((x) => x.tiles)).toEqual([a]);
    expect(result.failed).toEqual([{ tiles: c, error: 'pipeline failed' }]);
    expect(result.skipped).toBe(1);
    expect(result.best).toEqual(a);
    const zero = await sweepTiles({
      candidates: [b, a],
      budgetMs: 0,
      now: clock.now,
      measure: () => Promise.resolve(1),
    });
    expect(zero.best).toEqual(b);
    expect(zero.skipped).toBe(1);
  });

  test('all failing: the first candidate, nothing cached', async () => {
    const fakeDevice = {
      limits: { ...SOFTWARE },
      features: new Set<string>(),
      adapterInfo: { subgroupMinSize: 4 },
    } as unknown as GPUDevice;
    const cache = memoryTuneCache();
    const tuner = new AttentionAutotuner(fakeDevice, {
      adapterKey: 'fake',
      cache,
      measure: () => Promise.reject(new Error('lost')),
    });
    const target: TuneTarget = { headDim: 40, storage: 'f32', features: { subgroups: false }, kind: 'self' };
    const t = await tuner.tiles(target);
    expect(t).toEqual(defaultTiles(40, 'f32', { subgroups: false }, SOFTWARE));
    expect(await cache.get(`fake|${targetKey(target)}`)).toBeUndefined();
  });

  test('autotuner: override wins, else cache, else one sweep per target (stored per adapter)', async () => {
    const fakeDevice = {
      limits: { ...SOFTWARE },
      features: new Set(['subgroups']),
      adapterInfo: { subgroupMinSize: 4 },
    } as unknown as GPUDevice;
    const clock = fakeClock();
    const measured: string[] = [];
    const cache = memoryTuneCache();
    const target: TuneTarget = { headDim: 80, storage: 'f32', features: { subgroups: true }, kind: 'cross' };
    const measure = (_t: TuneTarget, tiles: AttentionTiles): Promise<number> => {
      measured.push(tileKey(tiles));
      const ms = tiles.tq * tiles.rq === 32 ? 1 : 3; // 32-row tiles are fastest here
      clock.advance(ms);
      return Promise.resolve(ms);
    };
    const tuner = new AttentionAutotuner(fakeDevice, {
      adapterKey: 'gpu A',
      cache,
      measure,
      now: clock.now,
      budgetMs: 1e9,
    });
    const [first, again] = await Promise.all([tuner.tiles(target), tuner.tiles(target)]);
    expect(first).toBe(again);
    expect(first.tq * first.rq).toBe(32);
    const sweptOnce = measured.length;
    expect(sweptOnce).toBeGreaterThan(2);
    expect(await cache.get(`gpu A|${targetKey(target)}`)).toEqual(first);

    // A new session on the same adapter reads the cache: no sweep.
    const next = new AttentionAutotuner(fakeDevice, { adapterKey: 'gpu A', cache, measure, now: clock.now });
    expect(await next.tiles(target)).toEqual(first);
    expect(measured.length).toBe(sweptOnce);

    // An override wins over the cache.
    const forced: AttentionTiles = { tq: 8, tk: 4, rq: 1, rk: 4, dk: 16 };
    const overridden = new AttentionAutotuner(fakeDevice, {
      adapterKey: 'gpu A',
      cache,
      measure,
      overrides: { [targetKey(target)]: forced },
    });
    expect(await overridden.tiles(target)).toEqual(forced);
    expect(measured.length).toBe(sweptOnce);

    // Another adapter sweeps for itself.
    const other = new AttentionAutotuner(fakeDevice, { adapterKey: 'gpu B', cache, measure, now: clock.now });
    await other.tiles(target);
    expect(measured.length).toBeGreaterThan(sweptOnce);
  });
});

describe('tuning at engine start (engine-tuning.ts) without a sweep', () => {
  const fakeDevice = (): GPUDevice =>
    ({
      limits: { ...SOFTWARE },
      features: new Set(['subgroups']),
      adapterInfo: { subgroupMinSize: 4, isFallbackAdapter: true },
    }) as unknown as GPUDevice;
  const sw: TileLimits = { ...SOFTWARE, software: true };

  test('software adapter: a stored override, else the cached choice, else the default (never timed)', async () => {
    const device = fakeDevice();
    const cache = memoryTuneCache();
    const forced: AttentionTiles = { tq: 16, tk: 1, rq: 4, rk: 4, dk: 40 };
    const cached: AttentionTiles = { tq: 16, tk: 1, rq: 4, rk: 2, dk: 4 };
    const key = (headDim: number, kind: 'self' | 'cross'): string =>
      targetKey({ headDim, storage: 'f32', features: { subgroups: true }, kind });
    await cache.set(`${OVERRIDE_PREFIX}${key(40, 'self')}`, forced);
    await cache.set(`adapter A|${key(80, 'self')}`, cached);
    // An override this device cannot run (1024 invocations) is ignored.
    await cache.set(`${OVERRIDE_PREFIX}${key(160, 'self')}`, { tq: 1024, tk: 1, rq: 1, rk: 4, dk: 160 });
    const result = await tuneAttentionAtStart(device, { label: 'adapter A', software: true }, { cache });
    expect(result.mode).toBe('cached');
    const choice = deviceTiles(device)!;
    expect(choice(40, 'self')).toEqual(forced);
    expect(choice(80, 'self')).toEqual(cached);
    expect(choice(160, 'self')).toEqual(defaultTiles(160, 'f32', { subgroups: true }, sw));
    expect(choice(40, 'cross')).toEqual(defaultTiles(40, 'f32', { subgroups: true }, sw));
    // Nothing was stored: defaults are not remembered as tuned choices.
    expect(await cache.get(`adapter A|${key(40, 'cross')}`)).toBeUndefined();
  });

  test("mode 'off': the kernels' own defaults (no choice for any head dim)", async () => {
    const device = fakeDevice();
    await tuneAttentionAtStart(device, { label: 'adapter A', software: false }, { mode: 'off' });
    expect(deviceTiles(device)!(40, 'self')).toBeUndefined();
  });
});
