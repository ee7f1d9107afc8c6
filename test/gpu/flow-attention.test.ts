/**
 * FLATTEN flow attention on WebGPU (DESIGN §3.6, issue 17):
 *  - the WGSL kernel (workers/engine/kernels/flow) against its CPU oracle on the tiny UNet's shapes (2 frames of
 *    8×8 tokens, 2 CFG halves, heads of d = 4 as the tiny UNet's attention_head_dim) with the fixture flow's keys,
 *    for both old_qk settings (Q, K = separate to_q/to_k projections, or Q = K = V = the core output), and a
 *    longer clip with masked keys;
 *  - the tiny-model edit with flatten_res [1] on the WebGPU components against the same edit on the Node CPU
 *    components (`runFixtureEditInNode(7, 'flatten')`), within the fixture edit's tolerances
 *    (test/gpu/components-webgpu.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from 'vitest/browser';
import { sampleTrajectories } from '../../src/core/flow/trajectories';
import { readBack } from '../../workers/engine/gpu/readback';
import { FlowAttentionKernel } from '../../workers/engine/kernels/flow/flow-attention';
import { flowKeys, type FlowKeys } from '../../workers/engine/kernels/flow/keys';
import { flowAttentionReference, type FlowAttentionShape } from '../../workers/engine/kernels/flow/reference';
import type { Components } from '../../workers/engine/pipeline/components';
import { createWebGpuComponents, type ModelFiles } from '../../workers/engine/pipeline/components-webgpu';
import { runEdit } from '../../workers/engine/pipeline/edit';
import { prepareFlowPlan } from '../../workers/engine/pipeline/flow';
import {
  buildEditFixture,
  EDIT_FIXTURE_FRAMES,
  EDIT_FIXTURE_SIZE,
  EDIT_FIXTURE_TOKENIZER,
  fixtureFlows,
  FLATTEN_FIXTURE_STEPS,
  type FixtureEditResult,
} from '../fixtures/edit-fixture';
import { startGpuTest, type GpuHarness } from '../helpers/browser/gpu-harness';
import { describeShared, fetchShared } from '../helpers/browser/shared';

const nodeEdit = (
  commands as unknown as {
    runFixtureEditInNode: (seed: number, variant: 'flatten') => Promise<FixtureEditResult>;
  }
).runFixtureEditInNode;

const folder = (dir: string): ModelFiles => ({ read: (p) => fetchShared(`${dir}/${p}`) });

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): { diff: number; ref: number } {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let ref = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    ref = Math.max(ref, Math.abs(b[i]!));
  }
  return { diff, ref };
}

/** Deterministic values in about [−2, 2]. */
const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => 2 * Math.sin(i * 0.731 + seed));

describe('flow attention kernel vs its CPU oracle', () => {
  let gpu: GpuHarness;
  let kernel: FlowAttentionKernel;
  beforeAll(async () => {
    gpu = await startGpuTest();
    kernel = new FlowAttentionKernel(gpu.device);
  });
  afterAll(async () => {
    await gpu.finish();
  });

  const upload = (data: Float32Array<ArrayBuffer>): GPUBuffer => {
    const b = gpu.device.createBuffer({
      size: data.byteLength,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    gpu.device.queue.writeBuffer(b, 0, data);
    return b;
  };

  async function check(shape: FlowAttentionShape, keys: FlowKeys, oldQk: boolean, label: string): Promise<void> {
    const n = shape.groups * keys.frames * keys.height * keys.width * shape.heads * shape.headDim;
    const v = values(n, 1);
    const [q, k] = oldQk ? [values(n, 2), values(n, 3)] : [v, v];
    const expected = flowAttentionReference(shape, keys, q, k, v);
    const buffers = [q, k, v].map(upload);
    const table = kernel.uploadKeys(keys);
    const out = kernel.run(shape, table, buffers[0]!, buffers[1]!, buffers[2]!);
    const actual = new Float32Array(await readBack(gpu.device, out, n * 4));
    [...buffers, out].forEach((b) => b.destroy());
    table.destroy();
    const { diff, ref } = maxDiff(actual, expected);
    console.info(`[flow kernel] ${label}: max|Δ| ${diff.toExponential(2)} (max|out| ${ref.toFixed(2)})`);
    expect(diff).toBeLessThan(1e-5 * Math.max(1, ref));
  }

  const fixtureKeys = () => {
    const f = fixtureFlows();
    const [pairs, , h, w] = f.dims;
    return flowKeys(sampleTrajectories({ pairs, height: h, width: w, data: f.data })[0]!);
  };

  it('tiny UNet shapes, old_qk on and off', async () => {
    const keys = fixtureKeys();
    expect(keys.keysPerToken).toBe(2);
    await check({ groups: 2, heads: 2, headDim: 4 }, keys, true, 'old_qk 1, 2×8×8 tokens, 2 heads of 4');
    await check({ groups: 2, heads: 2, headDim: 4 }, keys, false, 'old_qk 0, 2×8×8 tokens, 2 heads of 4');
  });

  it('5 frames with exits and conflicts (masked keys), 3 heads of 8', async () => {
    // Converging flow: the left half moves right by 8 px per frame, the right half stands still.
    const S = 64;
    const pairs = 4;
    const data = new Float32Array(pairs * 2 * S * S);
    for (let p = 0; p < pairs; p++)
      for (let y = 0; y < S; y++) for (let x = 0; x < S / 2; x++) data[p * 2 * S * S + y * S + x] = 8;
    const keys = flowKeys(sampleTrajectories({ pairs, height: S, width: S, data })[1]!);
    expect(keys.keysPerToken).toBe(5);
    await check({ groups: 1, heads: 3, headDim: 8 }, keys, true, 'old_qk 1, 5×4×4 tokens, 3 heads of 8');
  });
});

describeShared('FLATTEN tiny-model edit: WebGPU against the Node CPU components', () => {
  let gpu: GpuHarness;
  let components: Components | undefined;

  beforeAll(async () => {
    gpu = await startGpuTest();
  });
  afterAll(async () => {
    await components?.release();
    await gpu.finish();
  });

  it('flatten_res [1] (old_qk 0, fixture flow, 2 frames 64², 2 steps, no ControlNet) agrees within the fixture tolerances', async () => {
    const node = nodeEdit(7, 'flatten');
    node.catch(() => undefined);
    const tokenizerJson = new TextDecoder().decode(await fetchShared(EDIT_FIXTURE_TOKENIZER));
    const fixture = buildEditFixture(tokenizerJson, 7);
    // No ControlNet (as the Node side): fewer networks to compile on the software adapter.
    components = await createWebGpuComponents(gpu.device, { sd: folder('golden/tiny-sd') });
    const edit = { frames: EDIT_FIXTURE_FRAMES, width: EDIT_FIXTURE_SIZE, height: EDIT_FIXTURE_SIZE };
    const flow = prepareFlowPlan(fixtureFlows(), { resolutions: [1], oldQk: false }, edit);
    const start = performance.now();
    const { condition: _none, ...options } = fixture.options;
    const result = await runEdit(components, fixture.input, {
      ...options,
      steps: FLATTEN_FIXTURE_STEPS,
      modulatedSteps: 1,
      flow,
    });
    const ref = await node;
    const inv = maxDiff(result.inversion.latentsT, ref.inverted);
    const fin = maxDiff(result.latents, ref.latents);
    let frameDiff = 0;
    result.frames.forEach((f, i) => (frameDiff = Math.max(frameDiff, maxDiff(f, ref.frames[i]!).diff)));
    console.info(
      `[flatten webgpu vs node] ${((performance.now() - start) / 1000).toFixed(1)} s; x_T max|Δ| ${inv.diff.toExponential(2)} ` +
        `(rel ${(inv.diff / inv.ref).toExponential(2)}), final max|Δ| ${fin.diff.toExponential(2)} ` +
        `(rel ${(fin.diff / fin.ref).toExponential(2)}), frames ${frameDiff} levels`,
    );
    expect(inv.diff / inv.ref).toBeLessThan(1e-3);
    expect(fin.diff / fin.ref).toBeLessThan(1e-3);
    expect(frameDiff).toBeLessThanOrEqual(2);
  }, 600_000);
});
