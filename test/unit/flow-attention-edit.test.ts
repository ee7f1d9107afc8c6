/**
 * FLATTEN in the edit (DESIGN §3.6) on the Node CPU components with the tiny SD + ControlNet models
 * (test/fixtures/edit-fixture.ts, 2 frames 64², 2 steps): the flow attention runs in every UNet call of the
 * inversion and of denoising at the flattened level, and nowhere else; a key table with only the token itself
 * is the identity (bit-identical to no flow: the kernel sits exactly between the attention core and to_out);
 * the fixture's synthetic flow changes the result, and old_qk changes it again.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, expect, it } from 'vitest';
import { INVALID_KEY } from '../../workers/engine/kernels/flow/keys';
import { cpuAttentionBackend } from '../../workers/engine/onnx/cpu-attention';
import type { AttentionBackend } from '../../workers/engine/onnx/runner';
import { createNodeComponents } from '../../workers/engine/pipeline/components-node';
import { runEdit, type EditOptions, type EditResult } from '../../workers/engine/pipeline/edit';
import { prepareFlowPlan, type FlowPlan } from '../../workers/engine/pipeline/flow';
import { buildEditFixture, EDIT_FIXTURE_TOKENIZER, fixtureFlows, type EditFixture } from '../fixtures/edit-fixture';
import { describeShared, readShared, sharedPath } from '../helpers/node/shared';

const STEPS = 2;

describeShared('FLATTEN flow attention in the tiny-model edit (Node CPU)', () => {
  let fixture: EditFixture;
  const calls: { stage: string; core: string; tokens: number }[] = [];
  let stage = '';
  const counting: AttentionBackend = {
    run: (...args) => cpuAttentionBackend.run(...args),
    runFlow(core, shape, flow, q, k, v) {
      calls.push({ stage, core: core.name, tokens: flow.keys.height * flow.keys.width });
      return cpuAttentionBackend.runFlow!(core, shape, flow, q, k, v);
    },
  };
  const edit = async (flow?: FlowPlan): Promise<EditResult> => {
    const read = (dir: string) => (p: string) => readShared(`${dir}/${p}`);
    const components = createNodeComponents({
      sd: read('golden/tiny-sd'),
      controlnet: read('golden/tiny-controlnet'),
      attention: counting,
    });
    const options: EditOptions = {
      ...fixture.options,
      steps: STEPS,
      modulatedSteps: 1,
      ...(flow ? { flow } : {}),
      onProgress: (p) => (stage = p.stage),
    };
    try {
      return await runEdit(components, fixture.input, options);
    } finally {
      await components.release();
    }
  };
  const plan = (oldQk: boolean): FlowPlan =>
    prepareFlowPlan(fixtureFlows(), { resolutions: [1], oldQk }, { frames: 2, width: 64, height: 64 });
  let plain: EditResult;

  beforeAll(async () => {
    fixture = buildEditFixture(readFileSync(sharedPath(EDIT_FIXTURE_TOKENIZER), 'utf8'), 7);
    plain = await edit();
  }, 600_000);

  it('runs in every UNet call (inversion and denoising) at the 8×8 level only; the identity table changes nothing', async () => {
    // Keys: only the token itself (every trajectory entry masked): softmax over one key returns V exactly.
    const real = plan(false);
    const k = real.levels[0]!;
    const index = k.index.map((v, i) => (i % k.keysPerToken === 0 ? v : INVALID_KEY));
    calls.length = 0;
    const identity = await edit({ oldQk: false, levels: [{ ...k, index }] });
    expect(Buffer.from(identity.latents.buffer).equals(Buffer.from(plain.latents.buffer))).toBe(true);
    expect(Buffer.from(identity.inversion.latentsT.buffer).equals(Buffer.from(plain.inversion.latentsT.buffer))).toBe(
      true,
    );
    const cores = new Set(calls.map((c) => c.core));
    console.info(`[flatten] flow attention after ${cores.size} cores: ${[...cores].join(', ')}`);
    expect(cores.size).toBeGreaterThan(0);
    expect([...cores].every((c) => c.endsWith('.attn1'))).toBe(true);
    expect(calls.every((c) => c.tokens === 64)).toBe(true);
    // Inversion: STEPS − 1 UNet calls; denoising: STEPS steps × 2 sequential CFG halves.
    const per = (s: string) => calls.filter((c) => c.stage === s).length;
    expect(per('invert')).toBe((STEPS - 1) * cores.size);
    expect(per('denoise')).toBe(STEPS * 2 * cores.size);
  }, 600_000);

  it('the fixture flow changes the edit; old_qk (Q, K from to_q/to_k) changes it again', async () => {
    const output = await edit(plan(false));
    const oldQk = await edit(plan(true));
    const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
    const dOut = maxDiff(output.latents, plain.latents);
    const dQk = maxDiff(oldQk.latents, output.latents);
    const dInv = maxDiff(output.inversion.latentsT, plain.inversion.latentsT);
    console.info(
      `[flatten] max|Δ| vs no flow: x_T ${dInv.toExponential(2)}, final ${dOut.toExponential(2)}; old_qk vs not: ${dQk.toExponential(2)}`,
    );
    expect(output.latents.every(Number.isFinite)).toBe(true);
    expect(oldQk.latents.every(Number.isFinite)).toBe(true);
    expect(dInv).toBeGreaterThan(1e-6);
    expect(dOut).toBeGreaterThan(1e-6);
    expect(dQk).toBeGreaterThan(1e-6);
  }, 600_000);
});
