/**
 * `npm run bench:attention` (DESIGN §9, issue 15): the tiled ST-Layout attention kernel at the SD1.5 UNet levels
 * of a 16-frame 512² edit, on the adapter it runs on, against what a user would get without it:
 *  - GFLOP/s (4·Nq·Nk·d·H per call) of plain and modulated self-attention, and of the cross-attention core
 *    (Nk = 77 text tokens);
 *  - onnxruntime-web's own com.microsoft MultiHeadAttention on the same device and layout (a one-node graph per
 *    shape, written with the project's protobuf writer, run by the engine's ORT build on WebGPU):
 *    `oursOverOrtMha` = our time / ORT's (below 1 = we are faster);
 *  - an ORT MatMul of the QKᵀ shape ([H, N, d] × [H, d, N], emitted with graph/onnx.ts) as a roofline proxy:
 *    `attentionOverMatmulRate` = our GFLOP/s / MatMul GFLOP/s;
 *  - `modulatedOverPlain` (time ratio) with spatially coherent region maps (shapes on frames, as an edit's masks),
 *    and `modulatedScatteredOverPlain` with the regions scattered token by token (every key block mixed; the
 *    kernels walk keys in region order, so only the number of distinct key bits counts, rows.ts);
 *  - on software adapters, whose default is the row kernel, also the tiled kernel (attention.wgsl) with the tiles a
 *    hardware adapter defaults to: `tiledModulatedOverPlain` (on hardware adapters the default already is it).
 * On software (fallback) adapters N is scaled down by the factor printed per level (to 1024 / 512 / 1024 / 1024: the
 * mid block runs at its full size, 16×16 at a quarter), on real GPUs the full N. At d = 160 the factor stays small
 * because the modulated pass's per-run cost (a swap of the two accumulators and, on SwiftShader, one masked block per
 * run of region keys) is fixed per run, so at N = 256 the benchmark's 7 runs over 64 key blocks would weigh 4× what
 * they do at N = 1024 and 16× what they do at the real 16×16 size (N = 4096).
 * fp32 (the engine's WebGPU attention storage), the kernel's default tiles for the adapter. Prints a table;
 * returns the figures (times in ms).
 *
 * Measurement, robust on a shared (loaded) CPU: per level every variant (ours plain, modulated, cross, cross
 * modulated; ORT MHA, cross MHA, MatMul) is compiled and run once as a warm-up, then `REPEATS` rounds run each
 * variant once in turn (interleaved, so a slow load change hits all variants alike), and each variant's figure is
 * its FASTEST round (the one least disturbed by other processes; on 2 shared cores medians swing 2×). Ratios
 * (modulated/plain, ours/ORT) are ratios of those minima; the rows also carry the medians of the per-round ratios
 * (`…Median`) to show the spread.
 */
import { acquireDevice, adapterLabel } from '../workers/engine/gpu/device';
import { AttentionCore, tileLimitsOf } from '../workers/engine/kernels/attention/attention';
import { defaultTiles } from '../workers/engine/kernels/attention/tiles';
import {
  cfgItemStrength,
  crossModulationMaps,
  selfModulationMaps,
  type AttentionShape,
} from '../src/core/attention/types';
import { createSession, gpuFloat32Tensor, type OrtSession } from '../workers/engine/onnx/ort';
import { emitModel, OPSET } from '../workers/engine/graph/onnx';
import { ProtoMessage } from '../workers/engine/graph/protobuf';

interface Level {
  readonly level: string;
  /** Full-size tokens (16 frames) and head dim of the SD1.5 level; 8 heads everywhere. */
  readonly tokens: number;
  readonly headDim: number;
  /** Scale-down factor on software adapters. */
  readonly softwareFactor: number;
}

const LEVELS: readonly Level[] = [
  { level: '64×64', tokens: 16 * 64 * 64, headDim: 40, softwareFactor: 64 },
  { level: '32×32', tokens: 16 * 32 * 32, headDim: 80, softwareFactor: 32 },
  { level: '16×16', tokens: 16 * 16 * 16, headDim: 160, softwareFactor: 4 },
  { level: 'mid 8×8', tokens: 16 * 8 * 8, headDim: 160, softwareFactor: 1 },
];
const HEADS = 8;
const TEXT_TOKENS = 77;
const REPEATS = 5;

/** Wall time (ms) of one run, until the device's queue is idle. */
async function timeOnce(device: GPUDevice, runOnce: () => Promise<unknown> | unknown): Promise<number> {
  const start = performance.now();
  await runOnce();
  await device.queue.onSubmittedWorkDone();
  return performance.now() - start;
}

const median = (xs: readonly number[]): number => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Runs the named variants: one warm-up each (compiles pipelines), then REPEATS interleaved rounds.
 * Returns every variant's per-round times (NaN where a variant is missing, e.g. ORT failed to build).
 */
async function interleaved(
  device: GPUDevice,
  variants: Record<string, (() => Promise<unknown> | unknown) | undefined>,
): Promise<Record<string, number[]>> {
  const times: Record<string, number[]> = {};
  for (const [name, fn] of Object.entries(variants)) {
    times[name] = [];
    if (fn) await timeOnce(device, fn);
  }
  for (let r = 0; r < REPEATS; r++)
    for (const [name, fn] of Object.entries(variants)) times[name]!.push(fn ? await timeOnce(device, fn) : NaN);
  return times;
}

/** Median over rounds of a / b (the same round's times: load changes cancel). */
const medianRatio = (a: readonly number[], b: readonly number[]): number => median(a.map((x, i) => x / b[i]!));

function randomBuffer(device: GPUDevice, n: number, seed: number): GPUBuffer {
  const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed * 78.233) * 1.5);
  const buffer = device.createBuffer({
    size: Math.ceil((n * 4) / 16) * 16,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
  });
  device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}

/** ValueInfoProto of a float32 tensor with a static shape (onnx.proto field numbers as in graph/onnx.ts). */
function valueInfo(name: string, shape: readonly number[]): ProtoMessage {
  const dims = new ProtoMessage();
  for (const d of shape) dims.message(1, new ProtoMessage().varint(1, d));
  const tensor = new ProtoMessage().varint(1, 1).message(2, dims);
  return new ProtoMessage().string(1, name).message(2, new ProtoMessage().message(1, tensor));
}

/**
 * One com.microsoft MultiHeadAttention node: query [1, Nq, H·d], key/value [1, Nk, H·d] → [1, Nq, H·d]
 * (the layout of our kernel's inputs). NodeProto.domain is field 7; a second opset_import names com.microsoft.
 */
function mhaModel(nq: number, nk: number, headDim: number): Uint8Array {
  const c = HEADS * headDim;
  const node = new ProtoMessage()
    .string(1, 'q')
    .string(1, 'k')
    .string(1, 'v')
    .string(2, 'out')
    .string(3, 'mha')
    .string(4, 'MultiHeadAttention')
    .message(5, new ProtoMessage().string(1, 'num_heads').varint(3, HEADS).varint(20, 2))
    .string(7, 'com.microsoft');
  const graph = new ProtoMessage()
    .message(1, node)
    .string(2, 'mha')
    .message(11, valueInfo('q', [1, nq, c]))
    .message(11, valueInfo('k', [1, nk, c]))
    .message(11, valueInfo('v', [1, nk, c]))
    .message(12, valueInfo('out', [1, nq, c]));
  return new ProtoMessage()
    .varint(1, 8)
    .string(2, 'videograin-bench')
    .message(7, graph)
    .message(8, new ProtoMessage().string(1, '').varint(2, OPSET))
    .message(8, new ProtoMessage().string(1, 'com.microsoft').varint(2, 1))
    .encode();
}

/** The QKᵀ-shaped batched MatMul [H, N, d] × [H, d, N] (2·H·N²·d FLOP), emitted with the engine's emitter. */
function matmulModel(n: number, headDim: number): Uint8Array {
  return emitModel({
    name: 'matmul',
    inputs: [
      { name: 'a', dtype: 'float32', shape: [HEADS, n, headDim] },
      { name: 'b', dtype: 'float32', shape: [HEADS, headDim, n] },
    ],
    outputs: [{ name: 'c', dtype: 'float32', shape: [HEADS, n, n] }],
    nodes: [{ kind: 'op', name: 'mm', op: 'MatMul', inputs: ['a', 'b'], outputs: ['c'], attrs: {} }],
    initializers: new Map(),
  }).model;
}

async function runOrt(session: OrtSession, feeds: Record<string, ReturnType<typeof gpuFloat32Tensor>>): Promise<void> {
  const outputs = await session.run(feeds);
  for (const t of Object.values(outputs)) t.dispose();
}

/**
 * Region bits of n tokens laid out as frames of w×w (raster order, w ≈ √(n/4): about 4 frames), the same shapes
 * on every frame: region 1 a disc on the left, region 2 the upper right, region 3 a box overlapping both; the rest
 * (about 40%: the bottom band and corners) in no region.
 */
function shapeRegionBits(n: number): Uint32Array {
  const w = Math.max(4, Math.round(Math.sqrt(n / 4)));
  return Uint32Array.from({ length: n }, (_, i) => {
    const j = i % (w * w);
    const [u, v] = [((j % w) + 0.5) / w, (Math.floor(j / w) + 0.5) / w];
    let b = 0;
    if ((u - 0.3) ** 2 + (v - 0.45) ** 2 < 0.28 ** 2) b |= 1;
    if (u > 0.55 && v < 0.7) b |= 2;
    if (u > 0.4 && u < 0.75 && v > 0.35 && v < 0.85) b |= 4;
    return b;
  });
}

const gflops = (flop: number, ms: number): number => +(flop / ms / 1e6).toFixed(3);

export async function run(log: (line: string) => void): Promise<Record<string, unknown>> {
  const { device, capabilities } = await acquireDevice({ preferF16: false });
  const software = capabilities.isFallbackAdapter || /swiftshader/i.test(adapterLabel(capabilities));
  log(
    `adapter: ${adapterLabel(capabilities)}; fp32; ${HEADS} heads; batch 1; fastest of ${REPEATS} interleaved rounds after a warm-up`,
  );
  log(
    'level    | N (÷factor)  | d   | variant                 | plain GF/s | mod GF/s | mod/plain | ORT MHA GF/s | ours/ORT | MatMul GF/s | att/MatMul | cross GF/s | cross mod GF/s | cross ours/ORT',
  );
  const rows: Record<string, unknown>[] = [];
  for (const lv of LEVELS) {
    const factor = software ? lv.softwareFactor : 1;
    const n = lv.tokens / factor;
    const d = lv.headDim;
    const c = HEADS * d;
    const shape: AttentionShape = { batch: 1, kvBatch: 1, queries: n, keys: n, heads: HEADS, headDim: d };
    const cross: AttentionShape = { ...shape, keys: TEXT_TOKENS };
    const [q, k, v] = [1, 2, 3].map((s) => randomBuffer(device, n * c, s)) as [GPUBuffer, GPUBuffer, GPUBuffer];
    const [tk, tv] = [4, 5].map((s) => randomBuffer(device, TEXT_TOKENS * c, s)) as [GPUBuffer, GPUBuffer];
    const out = device.createBuffer({ size: n * c * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const core = new AttentionCore(device, { headDim: d, storage: 'f32' });
    // Software adapters: the tiled kernel with the tiles a hardware adapter of the same limits would default to.
    const tiledCore = software
      ? new AttentionCore(device, {
          headDim: d,
          storage: 'f32',
          tiles: defaultTiles(d, 'f32', { subgroups: false }, { ...tileLimitsOf(device), software: false }),
          subgroups: false,
        })
      : undefined;
    // Self maps (DESIGN §3.4): three overlapping regions drawn as shapes on frames (spatially coherent, like the
    // masks of an edit), some tokens in none; and the same region counts scattered token by token (every key
    // block mixes regions: the tiled kernels' worst case, reported beside).
    const bits = shapeRegionBits(n);
    const selfMaps = core.uploadMaps(selfModulationMaps(bits, new Float32Array(n).fill(0.95)));
    const scatteredBits = Uint32Array.from(
      { length: n },
      (_, i) => (i % 10 === 0 ? 0 : 1 << (i % 3)) | (i % 7 === 0 ? 2 : 0),
    );
    const scatteredMaps = core.uploadMaps(selfModulationMaps(scatteredBits, new Float32Array(n).fill(0.95)));
    const tiledMaps = tiledCore?.uploadMaps(selfModulationMaps(bits, new Float32Array(n).fill(0.95)));
    const textBits = Uint32Array.from({ length: TEXT_TOKENS }, (_, i) => (i > 0 && i < 12 ? 1 << (i % 3) : 0));
    const crossMaps = core.uploadMaps(crossModulationMaps(1, bits, new Float32Array(n).fill(0.7), textBits));
    const strength = cfgItemStrength(1, 'both', 0.3 * 0.9);
    const flop = 4 * n * n * d * HEADS;
    const crossFlop = 4 * n * TEXT_TOKENS * d * HEADS;

    // ORT sessions first (their build is not timed); a failure leaves that variant out (NaN figures).
    const sessions: OrtSession[] = [];
    const ortRun = async (
      model: Uint8Array,
      feeds: Record<string, [GPUBuffer, number[]]>,
    ): Promise<(() => Promise<void>) | undefined> => {
      try {
        const session = await createSession({ model }, { kind: 'webgpu', device });
        sessions.push(session);
        const tensors = Object.fromEntries(
          Object.entries(feeds).map(([name, [buffer, dims]]) => [name, gpuFloat32Tensor(buffer, dims)]),
        );
        return () => runOrt(session, tensors);
      } catch (e) {
        log(`ORT failed at ${lv.level}: ${(e as Error).message}`);
        return undefined;
      }
    };
    const mha = await ortRun(mhaModel(n, n, d), { q: [q, [1, n, c]], k: [k, [1, n, c]], v: [v, [1, n, c]] });
    const crossMha = await ortRun(mhaModel(n, TEXT_TOKENS, d), {
      q: [q, [1, n, c]],
      k: [tk, [1, TEXT_TOKENS, c]],
      v: [tv, [1, TEXT_TOKENS, c]],
    });
    // MatMul operands: Q and K reinterpreted as [H, N, d] and [H, d, N] (same byte counts; values do not matter).
    const matmul = await ortRun(matmulModel(n, d), { a: [q, [HEADS, n, d]], b: [k, [HEADS, d, n]] });
    const matmulFlop = 2 * HEADS * n * n * d;

    const t = await interleaved(device, {
      plain: () => core.run({ shape, q, k, v, out }),
      modulated: () => core.run({ shape, q, k, v, out, modulation: { maps: selfMaps, itemStrength: strength } }),
      modulatedScattered: () =>
        core.run({ shape, q, k, v, out, modulation: { maps: scatteredMaps, itemStrength: strength } }),
      mha,
      cross: () => core.run({ shape: cross, q, k: tk, v: tv, out }),
      crossModulated: () =>
        core.run({ shape: cross, q, k: tk, v: tv, out, modulation: { maps: crossMaps, itemStrength: strength } }),
      crossMha,
      matmul,
      tiledPlain: tiledCore && (() => tiledCore.run({ shape, q, k, v, out })),
      tiledModulated:
        tiledCore &&
        tiledMaps &&
        (() => tiledCore.run({ shape, q, k, v, out, modulation: { maps: tiledMaps, itemStrength: strength } })),
    });
    for (const session of sessions) await session.release();
    const fastest = (xs: readonly number[]): number => Math.min(...xs.map((x) => (Number.isFinite(x) ? x : Infinity)));
    const plainMs = fastest(t.plain!);
    const modMs = fastest(t.modulated!);
    const scatteredMs = fastest(t.modulatedScattered!);
    const crossMs = fastest(t.cross!);
    const crossModMs = fastest(t.crossModulated!);
    const mhaMs = fastest(t.mha!);
    const crossMhaMs = fastest(t.crossMha!);
    const matmulMs = fastest(t.matmul!);
    const tiledPlainMs = fastest(t.tiledPlain!);
    const tiledModMs = fastest(t.tiledModulated!);

    const row = {
      level: lv.level,
      tokens: n,
      fullTokens: lv.tokens,
      factor,
      headDim: d,
      heads: HEADS,
      variant: core.variantLabel,
      plainMs: +plainMs.toFixed(2),
      modulatedMs: +modMs.toFixed(2),
      modulatedScatteredMs: +scatteredMs.toFixed(2),
      crossMs: +crossMs.toFixed(2),
      crossModulatedMs: +crossModMs.toFixed(2),
      ortMhaMs: +mhaMs.toFixed(2),
      ortCrossMhaMs: +crossMhaMs.toFixed(2),
      ortMatmulMs: +matmulMs.toFixed(2),
      plainGflops: gflops(flop, plainMs),
      modulatedGflops: gflops(flop, modMs),
      crossGflops: gflops(crossFlop, crossMs),
      crossModulatedGflops: gflops(crossFlop, crossModMs),
      ortMhaGflops: gflops(flop, mhaMs),
      matmulGflops: gflops(matmulFlop, matmulMs),
      modulatedOverPlain: +(modMs / plainMs).toFixed(3),
      modulatedScatteredOverPlain: +(scatteredMs / plainMs).toFixed(3),
      oursOverOrtMha: +(plainMs / mhaMs).toFixed(3),
      crossModulatedOverPlain: +(crossModMs / crossMs).toFixed(3),
      crossOursOverOrtMha: +(crossMs / crossMhaMs).toFixed(3),
      modulatedOverPlainMedian: +medianRatio(t.modulated!, t.plain!).toFixed(3),
      oursOverOrtMhaMedian: +medianRatio(t.plain!, t.mha!).toFixed(3),
      attentionOverMatmulRate: +(flop / plainMs / (matmulFlop / matmulMs)).toFixed(3),
      ...(tiledCore
        ? {
            tiledVariant: tiledCore.variantLabel,
            tiledPlainMs: +tiledPlainMs.toFixed(2),
            tiledModulatedMs: +tiledModMs.toFixed(2),
            tiledModulatedOverPlain: +(tiledModMs / tiledPlainMs).toFixed(3),
          }
        : {}),
    };
    rows.push(row);
    const f = (x: number, w: number): string => (Number.isFinite(x) ? x.toFixed(3) : 'n/a').padStart(w);
    log(
      `${lv.level.padEnd(8)} | ${`${n} (÷${factor})`.padEnd(12)} | ${String(d).padEnd(3)} | ${core.variantLabel.padEnd(23)} | ${f(row.plainGflops, 10)} | ${f(row.modulatedGflops, 8)} | ${f(row.modulatedOverPlain, 9)} | ${f(row.ortMhaGflops, 12)} | ${f(row.oursOverOrtMha, 8)} | ${f(row.matmulGflops, 11)} | ${f(row.attentionOverMatmulRate, 10)} | ${f(row.crossGflops, 10)} | ${f(row.crossModulatedGflops, 14)} | ${f(row.crossOursOverOrtMha, 14)}`,
    );
    if (tiledCore)
      log(
        `         tiled kernel ${tiledCore.variantLabel}: plain ${f(gflops(flop, tiledPlainMs), 0)} GF/s, modulated ${f(gflops(flop, tiledModMs), 0)} GF/s, mod/plain ${f(tiledModMs / tiledPlainMs, 0)}`,
      );
    for (const b of [q, k, v, tk, tv, out]) b.destroy();
    selfMaps.destroy();
    scatteredMaps.destroy();
    tiledMaps?.destroy();
    crossMaps.destroy();
  }
  device.destroy();
  const perLevel = (key: string): Record<string, unknown> =>
    Object.fromEntries(rows.map((r) => [r.level as string, r[key]]));
  return {
    adapter: adapterLabel(capabilities),
    storage: 'f32',
    repeats: REPEATS,
    levels: rows,
    modulatedOverPlain: perLevel('modulatedOverPlain'),
    modulatedScatteredOverPlain: perLevel('modulatedScatteredOverPlain'),
    oursOverOrtMha: perLevel('oursOverOrtMha'),
    attentionOverMatmulRate: perLevel('attentionOverMatmulRate'),
    ...(software ? { tiledModulatedOverPlain: perLevel('tiledModulatedOverPlain') } : {}),
  };
}
