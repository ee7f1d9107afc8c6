/**
 * `npm run bench:attention` (DESIGN §9): fused ST-Layout modulated attention vs fused plain vs a naive
 * materialized implementation (S written to a buffer, softmax, P·V), same device, fp32. Sizes are scaled so
 * the CI software adapter finishes in a few minutes; the largest is an SD-like shape (8 heads × 40, CFG batch 2,
 * frame-major tokens of F frames at 16×16). Prints a table; returns the figures (times in ms, bytes, ratios).
 */
import { acquireDevice, adapterLabel } from '../workers/engine/gpu/device';
import { AttentionCore } from '../workers/engine/kernels/attention/attention';
import { NaiveAttention } from '../workers/engine/kernels/attention/naive';
import { cfgItemStrength, selfModulationMaps, type AttentionShape } from '../src/core/attention/types';

interface Size {
  readonly name: string;
  readonly shape: AttentionShape;
}

const self = (name: string, n: number, heads: number, headDim: number): Size => ({
  name,
  shape: { batch: 2, kvBatch: 2, queries: n, keys: n, heads, headDim },
});

const SIZES: readonly Size[] = [
  self('small (N 256, 2×16)', 256, 2, 16),
  self('medium (N 512, 4×40)', 512, 4, 40),
  self('SD-like (F 3 × 16², 8×40)', 768, 8, 40),
];
const REPEATS = 3;

function randomBuffer(device: GPUDevice, n: number, seed: number): GPUBuffer {
  const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed * 78.233) * 1.5);
  const buffer = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}

/** Median wall time (ms) of `REPEATS` runs after one warm-up (which also compiles the pipeline). */
async function time(device: GPUDevice, runOnce: () => GPUBuffer): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i <= REPEATS; i++) {
    const start = performance.now();
    const out = runOnce();
    await device.queue.onSubmittedWorkDone();
    if (i > 0) times.push(performance.now() - start);
    out.destroy();
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

export async function run(log: (line: string) => void): Promise<Record<string, unknown>> {
  const { device, capabilities } = await acquireDevice({ preferF16: false });
  log(`adapter: ${adapterLabel(capabilities)}; fp32; median of ${REPEATS} runs after a warm-up`);
  log(
    'size                          | plain ms | modulated ms | naive ms | mod/plain | naive/plain | fused peak B/N | naive peak B/N',
  );
  const results: Record<string, unknown>[] = [];
  const naive = new NaiveAttention(device);
  for (const { name, shape } of SIZES) {
    const n = shape.queries;
    const values = shape.batch * n * shape.heads * shape.headDim;
    const [q, k, v] = [1, 2, 3].map((s) => randomBuffer(device, values, s)) as [GPUBuffer, GPUBuffer, GPUBuffer];
    const core = new AttentionCore(device, { headDim: shape.headDim, storage: 'f32' });
    // Three overlapping regions, a tenth of the tokens in none; both CFG halves modulated (the worst case).
    const bits = Uint32Array.from({ length: n }, (_, i) => (i % 10 === 0 ? 0 : 1 << (i % 3)) | (i % 7 === 0 ? 2 : 0));
    const maps = core.uploadMaps(selfModulationMaps(bits, new Float32Array(n).fill(0.95)));
    const modulation = { maps, itemStrength: cfgItemStrength(2, 'both', 0.3 * 0.9) };
    const plainMs = await time(device, () => core.run({ shape, q, k, v }));
    const modulatedMs = await time(device, () => core.run({ shape, q, k, v, modulation }));
    const naiveMs = await time(device, () => naive.run(shape, q, k, v));
    const plan = core.plan(shape, { groups: 1 });
    const inputBytes = 3 * values * 4;
    const naivePeak = inputBytes + naive.allocatedBytes(shape);
    const row = {
      name,
      shape,
      plainMs: +plainMs.toFixed(2),
      modulatedMs: +modulatedMs.toFixed(2),
      naiveMs: +naiveMs.toFixed(2),
      modulatedOverPlain: +(modulatedMs / plainMs).toFixed(3),
      naiveOverPlain: +(naiveMs / plainMs).toFixed(3),
      fusedPeakBytes: plan.peakBytes,
      fusedAllocatedBytes: plan.allocatedBytes,
      naivePeakBytes: naivePeak,
      fusedPeakBytesPerToken: Math.round(plan.peakBytes / n),
      naivePeakBytesPerToken: Math.round(naivePeak / n),
    };
    results.push(row);
    log(
      `${name.padEnd(29)} | ${row.plainMs.toFixed(1).padStart(8)} | ${row.modulatedMs.toFixed(1).padStart(12)} | ${row.naiveMs
        .toFixed(1)
        .padStart(8)} | ${row.modulatedOverPlain.toFixed(2).padStart(9)} | ${row.naiveOverPlain
        .toFixed(2)
        .padStart(
          11,
        )} | ${String(row.fusedPeakBytesPerToken).padStart(14)} | ${String(row.naivePeakBytesPerToken).padStart(14)}`,
    );
    for (const b of [q, k, v]) b.destroy();
    maps.destroy();
  }
  // Plans only (not run here): the real SD1.5 shapes of a 16-frame 512² edit, CFG batch 2.
  const sdPlans = [
    { level: '64×64 (unmodulated)', shape: self('', 16 * 64 * 64, 8, 40).shape },
    { level: '32×32', shape: self('', 16 * 32 * 32, 8, 80).shape },
    { level: '16×16', shape: self('', 16 * 16 * 16, 8, 160).shape },
  ].map(({ level, shape }) => {
    const plan = new AttentionCore(device, { headDim: shape.headDim, storage: 'f32' }).plan(shape, { groups: 1 });
    const naiveScoreBytes = shape.batch * shape.heads * shape.queries * shape.keys * 4;
    log(
      `SD1.5 16 frames ${level}: N ${shape.queries}, fused peak ${(plan.peakBytes / 2 ** 20).toFixed(0)} MiB ` +
        `(${plan.chunks.length} dispatch chunk(s)); a materialized S would need ${(naiveScoreBytes / 2 ** 30).toFixed(1)} GiB`,
    );
    return {
      level,
      tokens: shape.queries,
      fusedPeakBytes: plan.peakBytes,
      chunks: plan.chunks.length,
      naiveScoreBytes,
    };
  });
  device.destroy();
  return { adapter: adapterLabel(capabilities), storage: 'f32', repeats: REPEATS, sizes: results, sdPlans };
}
