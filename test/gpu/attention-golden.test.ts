/**
 * The fused kernels reproduce ../shared/golden/expected/st_layout_attention.safetensors within 1e-5 (fp32): the
 * adapter's default (on SwiftShader the row kernel) and the tiled kernel (attention.wgsl) with its head dim split
 * across TK invocations, with and without subgroups where the adapter has them.
 */
import { afterEach, beforeAll, beforeEach, expect, test } from 'vitest';
import { readBuffer, startGpuTest, type GpuHarness } from '../helpers/browser/gpu-harness';
import { describeShared, fetchShared } from '../helpers/browser/shared';
import { AttentionCore } from '../../workers/engine/kernels/attention/attention';
import type { AttentionTiles } from '../../workers/engine/kernels/attention/tiles';
import {
  GOLDEN_ATTENTION_FILE,
  loadGoldenAttention,
  maxAbsDiff,
  type GoldenAttention,
  type GoldenCase,
} from './attention-golden-inputs';

let gpu: GpuHarness;
beforeEach(async () => {
  gpu = await startGpuTest();
});
afterEach(async () => {
  await gpu.finish();
});

function upload(data: Float32Array): GPUBuffer {
  const buffer = gpu.device.createBuffer({
    size: Math.ceil(data.byteLength / 16) * 16,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
  });
  gpu.device.queue.writeBuffer(buffer, 0, data.slice());
  return buffer;
}

interface Variant {
  readonly tiles?: AttentionTiles;
  readonly subgroups?: boolean;
}

async function runCase(c: GoldenCase, modulated: boolean, variant: Variant): Promise<Float32Array> {
  const core = new AttentionCore(gpu.device, { headDim: c.shape.headDim, storage: 'f32', ...variant });
  const [q, k, v] = [upload(c.q), upload(c.k), upload(c.v)];
  const maps = modulated ? core.uploadMaps(c.modulation.maps) : undefined;
  const out = core.run({
    shape: c.shape,
    q,
    k,
    v,
    ...(maps ? { modulation: { maps, itemStrength: c.modulation.itemStrength } } : {}),
  });
  const result = new Float32Array(await readBuffer(gpu.device, out, c.q.byteLength));
  for (const b of [q, k, v, out]) b.destroy();
  maps?.destroy();
  return result;
}

describeShared('fused attention kernel vs the golden ST-Layout attention (1e-5)', () => {
  let golden: GoldenAttention;
  beforeAll(async () => {
    golden = loadGoldenAttention(await fetchShared(GOLDEN_ATTENTION_FILE));
  });

  // The tiled kernel: 16 rows × 4 invocations per row (SPLIT_ROWS), the head dim in chunks of 8.
  const tiled: AttentionTiles = { tq: 16, tk: 4, rq: 1, rk: 4, dk: 8 };
  test.each(['self', 'selfFhw', 'cross'] as const)('%s: modulated and unmodulated outputs', async (name) => {
    const c = golden[name];
    const variants: Record<string, Variant> = { default: {}, tiled: { tiles: tiled, subgroups: false } };
    // Shuffle reductions need the subgroups feature on the device (the harness's device requests what exists).
    if (gpu.device.features.has('subgroups')) variants.tiledSubgroups = { tiles: tiled, subgroups: true };
    for (const [label, variant] of Object.entries(variants)) {
      const out = await runCase(c, true, variant);
      expect(out.length).toBe(c.expected.length);
      expect(maxAbsDiff(out, c.expected), label).toBeLessThan(1e-5);
      expect(maxAbsDiff(await runCase(c, false, variant), c.expectedUnmodulated), label).toBeLessThan(1e-5);
    }
  });
});
