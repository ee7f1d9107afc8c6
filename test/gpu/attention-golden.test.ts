/** The fused kernels reproduce ../shared/golden/expected/st_layout_attention.safetensors within 1e-5 (fp32). */
import { afterEach, beforeAll, beforeEach, expect, test } from 'vitest';
import { readBuffer, startGpuTest, type GpuHarness } from '../helpers/browser/gpu-harness';
import { describeShared, fetchShared } from '../helpers/browser/shared';
import { AttentionCore } from '../../workers/engine/kernels/attention/attention';
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

async function runCase(c: GoldenCase, modulated: boolean): Promise<Float32Array> {
  const core = new AttentionCore(gpu.device, { headDim: c.shape.headDim, storage: 'f32' });
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

  test.each(['self', 'selfFhw', 'cross'] as const)('%s: modulated and unmodulated outputs', async (name) => {
    const c = golden[name];
    const out = await runCase(c, true);
    expect(out.length).toBe(c.expected.length);
    expect(maxAbsDiff(out, c.expected)).toBeLessThan(1e-5);
    expect(maxAbsDiff(await runCase(c, false), c.expectedUnmodulated)).toBeLessThan(1e-5);
  });
});
