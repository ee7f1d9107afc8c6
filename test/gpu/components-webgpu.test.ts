/**
 * The WebGPU components (workers/engine/pipeline/components-webgpu.ts: ORT WebGPU sessions + the WGSL attention
 * kernels, UNet partitioned) driving the whole edit (runEdit) on the tiny SD + ControlNet models, against the
 * same edit on the Node CPU components (ORT wasm + the CPU reference attention), run in the Node process by the
 * `runFixtureEditInNode` command (test/helpers/node/edit-commands.ts). Fixture: test/fixtures/edit-fixture.ts
 * (2 frames of 64×64, 3 steps, CFG 7.5, canny ControlNet, 2 modulated steps).
 *
 * Tolerances: GPU fp32 sums run in another order than ORT's CPU kernels, and the difference grows through
 * 2 inversion + 3 sampling steps at guidance 7.5; measured figures are printed. Latents: max |Δ| ≤ 1e-3 ·
 * max |latent| (a wrong modulation branch, a missing ControlNet residual or a wrong timestep moves them by
 * 1e-2 or more); decoded frames: ≤ 2 levels of 255.
 * The networks are compiled once for the whole file (one harness; its finish() runs after release()).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { commands } from 'vitest/browser';
import type { AttentionCore } from '../../workers/engine/graph/ir';
import type { Components, ProbedTensor } from '../../workers/engine/pipeline/components';
import { createWebGpuComponents, type ModelFiles } from '../../workers/engine/pipeline/components-webgpu';
import { runEdit, type EditResult } from '../../workers/engine/pipeline/edit';
import type { DeviceTensor, TransferCounts } from '../../workers/engine/tensors/device-tensor';
import {
  buildEditFixture,
  EDIT_FIXTURE_TOKENIZER,
  type EditFixture,
  type FixtureEditResult,
} from '../fixtures/edit-fixture';
import { startGpuTest, type GpuHarness } from '../helpers/browser/gpu-harness';
import { describeShared, fetchShared } from '../helpers/browser/shared';

declare module 'vitest/browser' {
  interface BrowserCommands {
    runFixtureEditInNode: (seed: number) => Promise<FixtureEditResult>;
  }
}

const folder = (dir: string): ModelFiles => ({ read: (p) => fetchShared(`${dir}/${p}`) });

function compare(actual: ArrayLike<number>, expected: ArrayLike<number>) {
  expect(actual.length).toBe(expected.length);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < actual.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i]! - expected[i]!));
    maxRef = Math.max(maxRef, Math.abs(expected[i]!));
  }
  return { maxDiff, maxRef, relative: maxDiff / maxRef };
}

class StopAtDenoise extends Error {}

/**
 * x_T of the fixture edit with `seed`: runs it until the first network call of denoising (its sample is x_T,
 * once per CFG half in the call) and stops there.
 */
async function invertedLatents(components: Components, fixture: EditFixture, seed: number): Promise<Float32Array> {
  const { frames, width, height } = fixture.input;
  const size = frames.length * 4 * (height / 8) * (width / 8);
  let latentsT: Float32Array | undefined;
  let denoising = false;
  const stopAtDenoise = async (sample: DeviceTensor) => {
    if (!denoising) return;
    latentsT = (await components.runtime.download(sample)).slice(0, size);
    throw new StopAtDenoise();
  };
  const stopping: Components = {
    ...components,
    unet: async (call) => (await stopAtDenoise(call.sample), components.unet(call)),
    controlnet: async (call) => (await stopAtDenoise(call.sample), components.controlnet!(call)),
  };
  const onProgress = (p: { stage: string }) => void (denoising ||= p.stage === 'denoise');
  await expect(runEdit(stopping, fixture.input, { ...fixture.options, seed, onProgress })).rejects.toBeInstanceOf(
    StopAtDenoise,
  );
  return latentsT!;
}

function bitIdentical(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

describeShared('WebGPU components: the fixture edit against the Node CPU components', () => {
  let gpu: GpuHarness;
  let components: Components | undefined;
  let fixture: EditFixture;
  let node: Promise<FixtureEditResult>;
  let first: EditResult;
  let firstTransfers: Readonly<Record<string, TransferCounts>>;

  beforeAll(async () => {
    gpu = await startGpuTest();
    const tokenizerJson = new TextDecoder().decode(await fetchShared(EDIT_FIXTURE_TOKENIZER));
    fixture = buildEditFixture(tokenizerJson, 7);
    // The Node run goes on in the other process while the browser compiles.
    node = commands.runFixtureEditInNode(7);
    node.catch(() => undefined);
    components = await createWebGpuComponents(gpu.device, {
      sd: folder('golden/tiny-sd'),
      controlnet: folder('golden/tiny-controlnet'),
    });
    const start = performance.now();
    const stageMs = new Map<string, number>();
    let last = start;
    let stage = 'start';
    first = await runEdit(components, fixture.input, {
      ...fixture.options,
      onProgress: (p) => {
        const now = performance.now();
        stageMs.set(stage, (stageMs.get(stage) ?? 0) + now - last);
        [last, stage] = [now, p.stage];
      },
    });
    stageMs.set(stage, (stageMs.get(stage) ?? 0) + performance.now() - last);
    firstTransfers = components.runtime.transfers.stages();
    const stages = [...stageMs].map(([s, ms]) => `${s} ${(ms / 1000).toFixed(1)}`).join(', ');
    console.info(
      `[webgpu] fixture edit, compiles included: ${((performance.now() - start) / 1000).toFixed(1)} s (${stages})`,
    );
  }, 600_000);
  afterAll(async () => {
    await components?.release();
  });

  it('agrees with the same edit on the Node CPU components (inverted and final latents, frames)', async () => {
    const ref = await node;
    console.info(`[node] fixture edit ${ref.ms.toFixed(0)} ms`);
    const inverted = compare(first.inversion.latentsT, ref.inverted);
    const latents = compare(first.latents, ref.latents);
    let frameDiff = 0;
    first.frames.forEach((f, i) => (frameDiff = Math.max(frameDiff, compare(f, ref.frames[i]!).maxDiff)));
    console.info(
      `[webgpu vs node] inverted max|Δ| ${inverted.maxDiff.toExponential(2)} (max|x_T| ${inverted.maxRef.toFixed(2)}, ` +
        `rel ${inverted.relative.toExponential(2)}); final max|Δ| ${latents.maxDiff.toExponential(2)} ` +
        `(max|z| ${latents.maxRef.toFixed(2)}, rel ${latents.relative.toExponential(2)}); frames max|Δ| ${frameDiff} levels`,
    );
    expect(inverted.relative).toBeLessThan(1e-3);
    expect(latents.relative).toBeLessThan(1e-3);
    expect(frameDiff).toBeLessThanOrEqual(2);
  });

  it('tensors stay on the GPU: nothing is read back while denoising, and only the noise is uploaded per step', () => {
    const { frames, width, height } = fixture.input;
    const latentBytes = frames.length * 4 * (height / 8) * (width / 8) * 4;
    const steps = fixture.options.steps!;
    console.info(`[webgpu] transfers per stage: ${JSON.stringify(firstTransfers)}`);
    expect(firstTransfers.denoise).toMatchObject({ readbackBytes: 0 });
    // Per step: the blend noise [F, 4, h, w]; the timestep scalars ORT uploads (4 bytes per segment that reads one).
    const perStep = firstTransfers.denoise!.uploadBytes / steps;
    expect(perStep).toBeGreaterThanOrEqual(latentBytes);
    expect(perStep).toBeLessThan(latentBytes + 4096);
    // The inversion: x_T, z0 and z0_mean read back once at its end (the reusable InversionResult).
    expect(firstTransfers.invert!.readbackBytes).toBe(3 * latentBytes);
  });

  it('same seed → bit-identical output; another seed differs', async () => {
    // Inversion: two more runs stopped at the first denoising network call, whose input holds x_T.
    const seven = await invertedLatents(components!, fixture, 7);
    const eight = await invertedLatents(components!, fixture, 8);
    expect(bitIdentical(seven, first.inversion.latentsT)).toBe(true);
    const d = compare(eight, first.inversion.latentsT);
    console.info(`[webgpu] seed 8 vs seed 7: max|Δ x_T| ${d.maxDiff.toExponential(2)}`);
    expect(d.maxDiff).toBeGreaterThan(1e-2);
    // Denoising + decoding again from the same inversion.
    const again = await runEdit(components!, fixture.input, { ...fixture.options, inversion: first.inversion });
    expect(bitIdentical(again.latents, first.latents)).toBe(true);
    expect(again.frames.every((f, i) => f.every((v, j) => v === first.frames[i]![j]))).toBe(true);
  });

  it('a probe on one UNet call captures Q/K of the wanted cross-attention cores', async () => {
    const c = components!;
    const F = 2;
    const [h, w] = [8, 8];
    const batch = 2 * F;
    const sample = c.runtime.upload(
      Float32Array.from({ length: batch * 4 * h * w }, (_, i) => Math.sin(i * 0.37)),
      [batch, 4, h, w],
    );
    const text = await c.encodeText([
      fixture.input.tokenizer.encode('').ids,
      fixture.input.tokenizer.encode('a cat').ids,
    ]);
    const condition = c.runtime.upload(new Float32Array(batch * 3 * 8 * h * 8 * w).fill(0.5), [batch, 3, 8 * h, 8 * w]);
    const residuals = await c.controlnet!({ sample, t: 501, textCond: text, condition, scale: 1 });
    const captured: { core: AttentionCore; q: ProbedTensor; k: ProbedTensor }[] = [];
    const plainOut = await c.unet({ sample, t: 501, textCond: text, frames: F, controlResiduals: residuals });
    const probedOut = await c.unet({
      sample,
      t: 501,
      textCond: text,
      frames: F,
      controlResiduals: residuals,
      probe: {
        wants: (core) => core.attention === 'cross' && core.queryTokens === 16,
        capture: (core, q, k) => captured.push({ core, q, k }),
      },
    });
    const plain = await c.runtime.download(plainOut);
    const probed = await c.runtime.download(probedOut);
    for (const t of [sample, text, condition, plainOut, probedOut, ...residuals.down, residuals.mid]) t.dispose();
    expect(bitIdentical(probed, plain)).toBe(true); // probing does not disturb the run
    expect(captured.length).toBeGreaterThan(0);
    for (const { core, q, k } of captured) {
      const channels = core.heads * core.headDim;
      expect(core.attention).toBe('cross');
      expect(q.dims).toEqual([batch, 16, channels]);
      expect(k.dims).toEqual([2, 77, channels]);
      expect(q.data.length).toBe(batch * 16 * channels);
      expect(k.data.length).toBe(2 * 77 * channels);
      expect(q.data.every(Number.isFinite) && k.data.every(Number.isFinite)).toBe(true);
      expect(Math.max(...q.data.map(Math.abs))).toBeGreaterThan(0);
    }
    console.info(`[webgpu] probe captured ${captured.map((x) => x.core.name).join(', ')}`);
  });

  it('release() frees every GPU buffer of ours (harness finish passes)', async () => {
    expect(gpu.liveBuffers()).toBeGreaterThan(0);
    await components!.release();
    components = undefined;
    await gpu.finish();
  });
});
