/**
 * The edit pipeline (workers/engine/pipeline/edit.ts) with the tiny SD + ControlNet models on the Node CPU
 * components: 2 frames of 128×128 (16×16 latents), 4–6 steps. UNet calls are counted per pipeline stage.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { addNoiseInto, noiseCoefficients } from '../../src/core/latents/add-noise';
import { gaussianNoise } from '../../src/core/random/gaussian';
import type { ClipTokenizer } from '../../src/core/tokenizer/clip';
import type { Components } from '../../workers/engine/pipeline/components';
import { cpuAttentionBackend } from '../../workers/engine/onnx/cpu-attention';
import type { AttentionBackend } from '../../workers/engine/onnx/runner';
import { createNodeComponents } from '../../workers/engine/pipeline/components-node';
import { cpuTensor } from '../../workers/engine/tensors/device-tensor';
import { BLEND_NOISE_STREAM, type DenoiseStep } from '../../workers/engine/pipeline/edit-denoise';
import { runEdit, type EditInput, type EditOptions, type EditStage } from '../../workers/engine/pipeline/edit';
import { DdimInverseScheduler } from '../../workers/engine/scheduler/ddim-inverse';
import { DdimScheduler } from '../../workers/engine/scheduler/ddim';
import { treg } from '../../workers/engine/scheduler/modulation';
import { describeShared, readShared } from '../helpers/node/shared';
import { conditionFrames, loadTokenizer, makeFrames, makeMasks } from './pipeline-fixture';

const F = 2;
const SOURCE = 'a cat and a dog on grass';
const TARGET = 'a tiger and a wolf on grass';

/** Counts UNet and VAE-encoder calls by the stage the pipeline reported last. */
function counting(inner: Components) {
  const calls = new Map<string, number>();
  let stage: EditStage | 'none' = 'none';
  const bump = (what: string) => calls.set(`${what}:${stage}`, (calls.get(`${what}:${stage}`) ?? 0) + 1);
  const components: Components = {
    ...inner,
    textChannels: inner.textChannels,
    scalingFactor: inner.scalingFactor,
    encodeText: (ids) => inner.encodeText(ids),
    unet: (call) => (bump('unet'), inner.unet(call)),
    controlnet: (call) => (bump('controlnet'), inner.controlnet!(call)),
    vaeEncode: (images) => (bump('vaeEncode'), inner.vaeEncode(images)),
    vaeDecode: (latents) => inner.vaeDecode(latents),
    release: () => inner.release(),
  };
  return {
    components,
    calls,
    onProgress: (p: { stage: EditStage }) => void (stage = p.stage),
    reset: () => {
      calls.clear();
      stage = 'none';
    },
  };
}

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
const rms = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);

/** Cores that received a modulation from the partitioned UNet, in call order. */
const modulatedCores: { name: string; tokens: number; kind: string; items: number[] }[] = [];
const recordingBackend: AttentionBackend = {
  run(core, q, k, v, modulation) {
    if (modulation)
      modulatedCores.push({
        name: core.name,
        tokens: core.queryTokens,
        kind: core.attention,
        items: [...modulation.itemStrength],
      });
    return cpuAttentionBackend.run(core, q, k, v, modulation);
  },
};

describeShared('edit pipeline on the tiny models (2 frames, 128×128)', () => {
  let base: Components;
  let tokenizer: ClipTokenizer;
  let counter: ReturnType<typeof counting>;
  const frames = makeFrames(F);
  const input = (layout: 'objects' | 'full', target = TARGET, regionPrompts = ['tiger', 'wolf']): EditInput => ({
    frames,
    width: 128,
    height: 128,
    masks: makeMasks(F, layout),
    tokenizer,
    sourcePrompt: SOURCE,
    targetPrompt: target,
    regionPrompts,
    negativePrompt: '',
  });
  const edit = (i: EditInput, o: EditOptions) => {
    counter.reset();
    return runEdit(counter.components, i, { ...o, onProgress: counter.onProgress });
  };
  const reference: EditOptions = {
    steps: 4,
    guidance: 7.5,
    seed: 1,
    condition: { frames: conditionFrames(frames), scale: 0.8 },
  };
  let runA: Awaited<ReturnType<typeof runEdit>>;
  let stepsA: DenoiseStep[];

  beforeAll(async () => {
    tokenizer = loadTokenizer();
    base = createNodeComponents({
      sd: (p) => readShared(`golden/tiny-sd/${p}`),
      controlnet: (p) => readShared(`golden/tiny-controlnet/${p}`),
      attention: recordingBackend,
    });
    counter = counting(base);
    stepsA = [];
    counter.reset();
    runA = await runEdit(counter.components, input('objects'), {
      ...reference,
      onProgress: counter.onProgress,
      onStep: (s) => void stepsA.push(s),
    });
  }, 120_000);
  afterAll(async () => {
    await base?.release();
  });

  it('reference run: 3 inversion + 4×2 denoising UNet calls (CFG halves one call each), ControlNet on each, plan on the first step only', () => {
    expect(Object.fromEntries(counter.calls)).toEqual({
      'vaeEncode:encode': 1,
      'controlnet:invert': 3, // t = 1, 251, 501 (0.19 loop: n − 1 calls)
      'unet:invert': 3,
      'controlnet:denoise': 8,
      'unet:denoise': 8,
    });
    expect(stepsA.map((s) => s.t)).toEqual([751, 501, 251, 1]);
    expect(stepsA.map((s) => s.modulation !== undefined)).toEqual([true, false, false, false]); // round(15·4/50)
    expect(stepsA[0]!.modulation!.cores.map((c) => `${c.kind}@${c.height}`)).toEqual([
      'self@8',
      'cross@8',
      'self@4',
      'cross@4',
      'self@2',
      'cross@2',
    ]);
    // At the attention cores: the 11 transformer blocks below the top (16×16) level, self on the uncond
    // sequence (the uncond call), cross on the cond frames (the cond call); nothing at 16×16 (down_blocks.0,
    // up_blocks.3).
    const a = (w: number) => Math.fround(w * treg(751));
    expect(modulatedCores).toHaveLength(22);
    expect(
      modulatedCores.filter((c) => c.name.startsWith('down_blocks.0') || c.name.startsWith('up_blocks.3')),
    ).toEqual([]);
    expect(new Set(modulatedCores.map((c) => c.tokens))).toEqual(new Set([64, 16, 4]));
    for (const c of modulatedCores) expect(c.items, c.name).toEqual(c.kind === 'self' ? [a(0.3)] : [a(1), a(1)]);
    expect(modulatedCores.slice(0, 11).every((c) => c.kind === 'self')).toBe(true); // uncond call first
    expect(runA.frames).toHaveLength(F);
    expect(runA.frames[0]).toHaveLength(128 * 128 * 4);
    expect(runA.latents.every(Number.isFinite)).toBe(true);
  });

  it('latent blend: outside the masks the final latents are add_noise(z0_mean, fresh noise, t = 1)', () => {
    const mask = runA.layout.blendMask;
    const plane = 256;
    expect(mask.reduce((s, v) => s + v, 0)).toBeGreaterThan(0);
    expect(mask.reduce((s, v) => s + v, 0)).toBeLessThan(F * plane);
    const noise = gaussianNoise(1, [F, 4, 16, 16], BLEND_NOISE_STREAM + 3);
    const { sqrtAlpha, sqrtOneMinusAlpha } = noiseCoefficients(new DdimScheduler().alphasCumprod[1]!);
    const background = addNoiseInto(runA.inversion.z0Mean, noise, sqrtAlpha, sqrtOneMinusAlpha);
    let inside = 0;
    for (let i = 0; i < runA.latents.length; i++) {
      const m = mask[Math.floor(i / (4 * plane)) * plane + (i % plane)]!;
      if (m === 0) expect(runA.latents[i]).toBe(background[i]);
      else inside = Math.max(inside, Math.abs(runA.latents[i]! - background[i]!));
    }
    expect(inside).toBeGreaterThan(1e-2); // the edited regions are not the source
  });

  it('same seed → identical output; another seed differs', async () => {
    const again = await edit(input('objects'), reference);
    expect(maxAbsDiff(again.latents, runA.latents)).toBe(0);
    expect(again.frames[1]).toEqual(runA.frames[1]);
    const other = await edit(input('objects'), { ...reference, seed: 2 });
    expect(maxAbsDiff(other.latents, runA.latents)).toBeGreaterThan(1e-2);
  }, 60_000);

  it('re-edit with the cached inversion: no VAE encode, no inversion UNet calls, same output', async () => {
    const reused = await edit(input('objects'), { ...reference, inversion: runA.inversion });
    expect(counter.calls.get('unet:invert')).toBeUndefined();
    expect(counter.calls.get('controlnet:invert')).toBeUndefined();
    expect(counter.calls.get('vaeEncode:encode')).toBeUndefined();
    expect(counter.calls.get('unet:denoise')).toBe(8);
    expect(maxAbsDiff(reused.latents, runA.latents)).toBe(0);
    await expect(edit(input('objects'), { ...reference, steps: 5, inversion: runA.inversion })).rejects.toMatchObject({
      code: 'INVERSION_MISMATCH',
    });
  }, 60_000);

  it('CFG halves as one batch compute what the sequential calls compute', async () => {
    modulatedCores.length = 0;
    const batched = await edit(input('objects'), { ...reference, inversion: runA.inversion, cfgBatch: 'batched' });
    expect(counter.calls.get('unet:denoise')).toBe(4);
    const a = (w: number) => Math.fround(w * treg(751));
    for (const c of modulatedCores)
      expect(c.items, c.name).toEqual(c.kind === 'self' ? [a(0.3), 0] : [0, 0, a(1), a(1)]);
    const d = maxAbsDiff(batched.latents, runA.latents);
    console.log(`CFG batched vs sequential: max |Δ latents| ${d.toExponential(2)}`);
    expect(d).toBeLessThan(1e-5);
  }, 60_000);

  it('modulation changes the output inside the regions', async () => {
    const plain = await edit(input('objects'), { ...reference, inversion: runA.inversion, modulatedSteps: 0 });
    // Outside the masks both runs end on the same blend background; inside, only the plan differs.
    const mask = runA.layout.blendMask;
    let inside = 0;
    let outside = 0;
    plain.latents.forEach((v, i) => {
      const d = Math.abs(v - runA.latents[i]!);
      if (mask[Math.floor(i / 1024) * 256 + (i % 256)]) inside = Math.max(inside, d);
      else outside = Math.max(outside, d);
    });
    console.log(
      `modulated vs unmodulated (1 of 4 steps modulated): max |Δ latents| in regions ${inside.toExponential(2)}`,
    );
    expect(outside).toBe(0);
    expect(inside).toBeGreaterThan(1e-3);
  }, 60_000);

  it('bad input is refused before any model work', async () => {
    await expect(edit({ ...input('objects'), width: 96 }, reference)).rejects.toMatchObject({
      code: 'EDIT_INPUT_INVALID',
    });
    await expect(edit(input('objects', TARGET, ['tiger', 'zebra']), reference)).rejects.toMatchObject({
      code: 'LAYOUT_INVALID',
    });
    expect(counter.calls.size).toBe(0);
  });

  it('cancel mid-denoising rejects with CANCELLED', async () => {
    const controller = new AbortController();
    counter.reset();
    const run = runEdit(counter.components, input('objects'), {
      ...reference,
      inversion: runA.inversion,
      signal: controller.signal,
      onProgress: (p) => {
        counter.onProgress(p);
        if (p.stage === 'denoise' && p.step === 1) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(counter.calls.get('unet:denoise')).toBe(2); // both halves of step 1
  }, 60_000);

  it('blendWithInversion: outside the masks the result is the inverted latent of the last step (z0)', async () => {
    const r = await edit(input('objects'), { ...reference, blendWithInversion: true, encodeWith: 'mean' });
    expect(r.inversion.trajectory!.map((l) => l.t)).toEqual([1, 251, 501, 751]);
    const mask = r.layout.blendMask;
    for (let i = 0; i < r.latents.length; i++)
      if (mask[Math.floor(i / 1024) * 256 + (i % 256)] === 0) expect(r.latents[i]).toBe(r.inversion.z0[i]);
  }, 60_000);

  it('modulation off, full mask, guidance 1: exactly plain DDIM inversion + sampling on the source prompt', async () => {
    const steps = 6;
    const opts: EditOptions = { steps, guidance: 1, modulatedSteps: 0, encodeWith: 'mean', seed: 3 };
    const r = await edit(input('full', SOURCE, ['']), opts);
    expect(counter.calls.get('unet:invert')).toBe(steps - 1);
    // The same thing by hand: the schedulers and the UNet, no pipeline code.
    const source = await base.encodeText([tokenizer.encode(SOURCE).ids]);
    const unet = async (sample: Float32Array, t: number) => {
      const eps = await base.unet({ sample: cpuTensor(sample, [F, 4, 16, 16]), t, textCond: source, frames: F });
      if (eps.location !== 'cpu') throw new Error('CPU tensors only');
      return eps.data;
    };
    const inverse = new DdimInverseScheduler('v0.19');
    inverse.setTimesteps(steps);
    let x: Float32Array = r.inversion.z0.slice();
    for (const t of inverse.loopTimesteps) x = inverse.step(await unet(x, t), t, x).prevSample;
    expect(maxAbsDiff(x, r.inversion.latentsT)).toBe(0);
    const ddim = new DdimScheduler();
    ddim.setTimesteps(steps);
    for (const t of ddim.timesteps) x = ddim.step(await unet(x, t), t, x).prevSample;
    expect(maxAbsDiff(x, r.latents)).toBe(0);
    // The random tiny UNet is not smooth in t (its time embedding changes within one timestep), so DDIM
    // inversion does not round-trip with it even at 50 steps (pipeline-loops.test.ts checks the round trip
    // with a smooth model). Logged for the record.
    const err = rms(r.latents.map((v, i) => v - r.inversion.z0[i]!));
    console.log(
      `tiny UNet DDIM round trip (${steps} steps): RMS error ${err.toFixed(3)}, RMS z0 ${rms(r.inversion.z0).toFixed(3)}`,
    );
  }, 60_000);
});
