/**
 * Tile configurations of the tiled attention kernel (attention.wgsl) — pure, no GPU objects, so the dispatch
 * and workgroup-memory plan of every variant (including those this adapter cannot run: f16, subgroups on
 * other subgroup sizes) is unit-testable.
 *
 * A workgroup of TQ × TK invocations owns BQ = TQ·RQ query rows of one (item, head). Per key tile of
 * BK = TK·RK keys, invocation (tq, tk) computes the register block S[rows tq + TQ·i, keys tk + TK·j]
 * (i < RQ, j < RK) from Q/K chunks of DK head-dim columns staged in workgroup memory, and accumulates
 * O[rows, columns tk + TK·c] (c < DC = ⌈d/TK⌉): the head dimension is split across the TK invocations of a row.
 * Workgroup memory: Q tile BQ × DK, one K/V tile BK × DP (DP = DC·TK ≥ d; K uses BK × DK of it, then V all of
 * it), the P tile BQ × BK in f32, and (without subgroups) per-row partial maxima/minima BQ × TK.
 * TK = 1 with DK = d or DK = 4 (d % 4 = 0) selects the row-register kernel instead (rows.ts, `isRowKernel`):
 * TQ invocations × RQ whole rows each in vec4 registers, keys in blocks of RK, no workgroup memory — the
 * software-adapter default (softwareTiles) and an autotune candidate; with `subgroups` (RK, TQ multiples of 4) its
 * K/V loads are shared by 4 lanes through subgroupBroadcast.
 */

import { ROW_SUBGROUP } from './rows';

export type StorageType = 'f32' | 'f16';

export interface AttentionTiles {
  /** Invocations along query rows / along keys (TK also splits the head dim for P·V). */
  readonly tq: number;
  readonly tk: number;
  /** Query rows / keys per invocation (register block of S). */
  readonly rq: number;
  readonly rk: number;
  /** Head-dim columns per staged Q/K chunk (= d: Q stays resident for the whole workgroup). */
  readonly dk: number;
}

/** The device features a variant uses. */
export interface AttentionFeatures {
  /** Row max/min reductions with subgroupShuffleXor (needs TK ≤ the adapter's minimum subgroup size). */
  readonly subgroups: boolean;
}

export interface TileLimits {
  readonly maxComputeWorkgroupStorageSize: number;
  readonly maxComputeInvocationsPerWorkgroup: number;
  readonly maxComputeWorkgroupSizeX: number;
  /** The adapter's smallest subgroup size (0 or absent: unknown, no subgroup variant). */
  readonly subgroupMinSize?: number;
  /**
   * A software (CPU) adapter such as SwiftShader: registers are not a constraint and barriers are costly, so
   * one query row per invocation over long key tiles (TK = 1) is preferred and the register cap is lifted.
   */
  readonly software?: boolean;
}

export interface TileDerived {
  readonly blockQ: number;
  readonly blockK: number;
  readonly threads: number;
  /** Output columns per invocation and the padded K/V tile row (DC·TK). */
  readonly dc: number;
  readonly dp: number;
  readonly qResident: boolean;
  readonly workgroupBytes: number;
  /** Registers per invocation for S and the output block (a spill indicator). */
  readonly registers: number;
}

/**
 * TK = 1 with d % 4 = 0 and DK = d or DK = 4 selects the row-register kernel (rows.ts): each invocation owns RQ
 * whole rows (vec4 over the head dim), keys stream from storage in blocks of RK, no workgroup memory. DK = d: the
 * head dim is fully unrolled (named registers); DK = 4: a run-time loop over it in vec4 steps (shorter compiles).
 */
export function isRowKernel(t: AttentionTiles, headDim: number): boolean {
  return t.tk === 1 && headDim % 4 === 0 && (t.dk === headDim || t.dk === 4);
}

export function deriveTiles(
  t: AttentionTiles,
  headDim: number,
  storage: StorageType,
  features: AttentionFeatures,
  modulated = true,
): TileDerived {
  const blockQ = t.tq * t.rq;
  const blockK = t.tk * t.rk;
  if (isRowKernel(t, headDim))
    return {
      blockQ,
      blockK,
      threads: t.tq,
      dc: headDim,
      dp: headDim,
      qResident: true,
      workgroupBytes: 0,
      // q and the accumulator (RQ·d each), the RQ·RK scores and m, l, keep, bias per row.
      registers: t.rq * (2 * headDim + t.rk + 4),
    };
  const dc = Math.ceil(headDim / t.tk);
  const dp = dc * t.tk;
  const elem = storage === 'f16' ? 2 : 4;
  const roundUp = (x: number): number => Math.ceil(x / 16) * 16;
  const qBytes = roundUp(blockQ * t.dk * elem);
  const kvBytes = roundUp(blockK * dp * elem);
  const pBytes = blockQ * blockK * 4;
  const partBytes = features.subgroups ? 0 : blockQ * t.tk * 4;
  // Modulated: the run (start, end, bits) shared through workgroupUniformLoad (attention.wgsl runInfo).
  const runBytes = modulated ? 16 : 0;
  return {
    blockQ,
    blockK,
    threads: t.tq * t.tk,
    dc,
    dp,
    qResident: t.dk >= headDim,
    workgroupBytes: qBytes + kvBytes + pBytes + partBytes + runBytes,
    registers: t.rq * t.rk + t.rq * dc + 3 * t.rq,
  };
}

/** Why a tile configuration cannot run on these limits (undefined: it can). */
export function tileProblem(
  t: AttentionTiles,
  headDim: number,
  storage: StorageType,
  features: AttentionFeatures,
  limits: TileLimits,
): string | undefined {
  for (const [k, v] of Object.entries(t))
    if (!Number.isInteger(v) || v < 1) return `tile ${k} must be a positive integer, got ${v}`;
  if (t.dk > headDim) return `d-chunk ${t.dk} exceeds head dim ${headDim}`;
  const d = deriveTiles(t, headDim, storage, features);
  if (d.threads > limits.maxComputeInvocationsPerWorkgroup || d.threads > limits.maxComputeWorkgroupSizeX)
    return `${d.threads} invocations exceed the device's workgroup size`;
  if (d.workgroupBytes > limits.maxComputeWorkgroupStorageSize)
    return `${d.workgroupBytes} bytes of workgroup memory exceed the device's ${limits.maxComputeWorkgroupStorageSize}`;
  // The row kernel reduces nothing across invocations: it uses subgroups only for the K/V broadcast where its
  // tiles fit that (rows.ts rowSubgroupsFit) and otherwise runs without, so the feature never rules it out.
  if (features.subgroups && !isRowKernel(t, headDim)) {
    const min = limits.subgroupMinSize ?? 0;
    if ((t.tk & (t.tk - 1)) !== 0) return `subgroup reductions need a power-of-two TK, got ${t.tk}`;
    if (min < t.tk) return `subgroup reductions need TK ${t.tk} ≤ the adapter's minimum subgroup size (${min})`;
    if (d.threads % min !== 0) return `subgroup variant needs whole subgroups (${d.threads} invocations)`;
  }
  return undefined;
}

/** Register budget above which a configuration is not offered (it would spill on real GPUs). */
export const MAX_REGISTERS = 96;

/**
 * Tile configurations worth timing for a head dim, storage and feature set on these limits (the autotuner's
 * sweep; first entry = the untuned default). Keys per tile stay ≤ 64 so short key sets (cross-attention,
 * Nk = 77) do not waste most of a tile.
 */
export function candidateTiles(
  headDim: number,
  storage: StorageType,
  features: AttentionFeatures,
  limits: TileLimits,
): AttentionTiles[] {
  const out: AttentionTiles[] = [];
  const seen = new Set<string>();
  const tks = features.subgroups ? [4, 2, 8, 16, 32] : [4, 8, 2, 16];
  if (limits.software) out.push(...softwareTiles(headDim, storage, features, limits));
  for (const t of out) seen.add(tileKey(t));
  for (const tk of tks)
    for (const tq of [16, 8, 32, 4])
      for (const rq of [4, 2, 8, 1])
        for (const rk of [4, 8, 2, 1]) {
          if (tk * rk > 64 || tk * rk < 8) continue;
          // Q resident when it fits, else chunks of 32 / 16 columns.
          for (const dk of [headDim, 32, 16, 8]) {
            if (dk > headDim) continue;
            const t: AttentionTiles = { tq, tk, rq, rk, dk };
            const key = tileKey(t);
            if (seen.has(key)) continue;
            if (tileProblem(t, headDim, storage, features, limits)) continue;
            const d = deriveTiles(t, headDim, storage, features);
            if ((!limits.software && d.registers > MAX_REGISTERS) || d.threads < 32) continue;
            seen.add(key);
            out.push(t);
            break; // the largest chunk that fits
          }
        }
  return out;
}

/** A tile configuration as a short string (cache keys, labels). */
export function tileKey(t: AttentionTiles): string {
  return `tq${t.tq}tk${t.tk}rq${t.rq}rk${t.rk}dk${t.dk}`;
}

/**
 * Row-kernel configurations (isRowKernel) for software adapters, best first, as measured on SwiftShader
 * (`npm run bench:attention`): a CPU rasterizer runs 4 invocations per SIMD group, so what counts is arithmetic
 * per (bounds-checked) load: 8 rows per invocation share every K/V load, and small head dims unroll fully (named
 * registers) while large ones loop over the head dim (an unrolled d = 160 kernel takes minutes to compile).
 * Head dims not divisible by 4 get the tiled kernel with one row per invocation (TK = 1, d in chunks).
 */
export function softwareTiles(
  headDim: number,
  storage: StorageType,
  features: AttentionFeatures,
  limits: TileLimits,
): AttentionTiles[] {
  const fits = (t: AttentionTiles): boolean => !tileProblem(t, headDim, storage, features, limits);
  if (headDim % 4 === 0) {
    const unrolled = headDim <= 48;
    // With the subgroup K/V broadcast (4 keys per block) the head dim unrolls at every SD1.5 size: SwiftShader,
    // plain pass vs the looped 4-row tiles: 2.1–2.3× faster at d = 80 (8 rows), 1.5× at d = 160 (4 rows; 8 rows'
    // registers spill), 1.2× at d = 40 vs the unrolled 8 rows × 2 keys.
    const broadcast = features.subgroups && (limits.subgroupMinSize ?? 0) >= ROW_SUBGROUP;
    const rows: AttentionTiles[] = broadcast
      ? [
          { tq: 16, tk: 1, rq: headDim <= 96 ? 8 : 4, rk: 4, dk: headDim },
          { tq: 16, tk: 1, rq: 4, rk: 4, dk: headDim },
          { tq: 16, tk: 1, rq: 4, rk: 4, dk: 4 },
        ]
      : unrolled
        ? [
            { tq: 16, tk: 1, rq: 8, rk: 2, dk: headDim },
            { tq: 16, tk: 1, rq: 8, rk: 4, dk: headDim },
            { tq: 16, tk: 1, rq: 4, rk: 4, dk: headDim },
            { tq: 16, tk: 1, rq: 4, rk: 4, dk: 4 },
          ]
        : [
            // Looped head dim: 4 rows (8 rows' arrays spill and run 4× slower at d = 160).
            { tq: 16, tk: 1, rq: 4, rk: 4, dk: 4 },
            { tq: 16, tk: 1, rq: 4, rk: 2, dk: 4 },
            { tq: 16, tk: 1, rq: 2, rk: 4, dk: 4 },
            { tq: 16, tk: 1, rq: 8, rk: 4, dk: 4 },
          ];
    const seen = new Set<string>();
    return rows.filter((t) => fits(t) && !seen.has(tileKey(t)) && !!seen.add(tileKey(t)));
  }
  const out: AttentionTiles[] = [];
  for (const [tq, rk] of [
    [64, 32],
    [64, 16],
    [32, 32],
    [32, 16],
  ] as const)
    for (const dk of [headDim, 64, 32, 16]) {
      if (dk > headDim) continue;
      const t: AttentionTiles = { tq, tk: 1, rq: 1, rk, dk };
      if (fits(t)) {
        out.push(t);
        break;
      }
    }
  return out;
}

/** The untuned choice: a balanced configuration that fits (see candidateTiles). */
export function defaultTiles(
  headDim: number,
  storage: StorageType,
  features: AttentionFeatures,
  limits: TileLimits,
): AttentionTiles {
  // On a CPU rasterizer the row kernel (or one row per invocation) wins whatever the features.
  if (limits.software) {
    const first = softwareTiles(headDim, storage, features, limits)[0];
    if (first) return first;
  }
  const preferred: AttentionTiles[] = [
    { tq: 16, tk: 4, rq: 4, rk: 4, dk: headDim },
    { tq: 16, tk: 4, rq: 2, rk: 4, dk: headDim },
    { tq: 16, tk: 4, rq: 2, rk: 4, dk: Math.min(headDim, 32) },
    { tq: 8, tk: 4, rq: 2, rk: 4, dk: Math.min(headDim, 16) },
    { tq: 8, tk: 4, rq: 1, rk: 2, dk: Math.min(headDim, 8) },
  ];
  for (const t of preferred) {
    if (tileProblem(t, headDim, storage, features, limits)) continue;
    if (deriveTiles(t, headDim, storage, features).registers <= MAX_REGISTERS) return t;
  }
  const any = candidateTiles(headDim, storage, features, limits)[0];
  if (any) return any;
  const small: AttentionTiles = { tq: 4, tk: 1, rq: 1, rk: 4, dk: Math.min(headDim, 4) };
  if (!tileProblem(small, headDim, storage, features, limits)) return small;
  throw new Error(`head dim ${headDim} does not fit this GPU's workgroup memory`);
}
