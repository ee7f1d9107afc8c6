/**
 * The txt2img loop (diffusers StableDiffusionPipeline semantics: CFG batch order, DDIM steps) driven by a
 * fake noise predictor, checked against an independent double-precision DDIM + CFG computation, and the
 * CFG combination itself.
 */
import { describe, expect, it } from 'vitest';
import { combineGuidance, combineGuidanceBatched } from '../../src/core/latents/cfg';
import { hasCode } from '../../src/core/protocol/errors';
import { readAllFloat32 } from '../../src/core/tensors/safetensors';
import { describeShared, readShared } from '../helpers/node/shared';
import { type PredictNoise, runTxt2Img } from '../../workers/engine/pipeline/txt2img';
import { DdimScheduler } from '../../workers/engine/scheduler/ddim';

const C = 2;
const size = 4 * 4 * 4;
const latentsIn = Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.7) * 1.5);
/** Uncond states all 0, cond states all 1: the fake model can tell the halves apart. */
const textCond = Float32Array.from({ length: 2 * 77 * C }, (_, i) => (i < 77 * C ? 0 : 1));

/** ε depends on x, t and the text half it is given: ε = 0.1·x + 0.05·c̄ + t/10000. */
const fakeModel: PredictNoise = (sample, t, states) => {
  const per = sample.length / (states.length / (77 * C));
  return sample.map((x, i) => 0.1 * x + 0.05 * states[Math.floor(i / per) * 77 * C]! + t / 10000);
};

/** The same loop in float64 from the formulas, independent of the module under test. */
function referenceLoop(steps: number, scale: number): Float64Array {
  const alphas = new DdimScheduler().alphasCumprod;
  const ratio = Math.floor(1000 / steps);
  let x = Float64Array.from(latentsIn);
  for (let k = steps - 1; k >= 0; k--) {
    const t = k * ratio + 1;
    const a = alphas[t]!;
    const aPrev = t - ratio >= 0 ? alphas[t - ratio]! : alphas[0]!;
    x = x.map((v) => {
      const eu = 0.1 * v + t / 10000;
      const ec = 0.1 * v + 0.05 + t / 10000;
      const eps = scale > 1 ? eu + scale * (ec - eu) : ec;
      const x0 = (v - Math.sqrt(1 - a) * eps) / Math.sqrt(a);
      return Math.sqrt(aPrev) * x0 + Math.sqrt(1 - aPrev) * eps;
    });
  }
  return x;
}

describe('runTxt2Img', () => {
  it('calls the model at 751, 501, 251, 1 with [latents, latents] and [uncond, cond] when s > 1', async () => {
    const calls: { t: number; n: number; halvesEqual: boolean; states: number[] }[] = [];
    const recorder: PredictNoise = (sample, t, states) => {
      const half = sample.length / 2;
      calls.push({
        t,
        n: sample.length,
        halvesEqual: sample.subarray(0, half).every((v, i) => v === sample[half + i]),
        states: [states[0]!, states[77 * C]!, states.length],
      });
      return fakeModel(sample, t, states);
    };
    const steps: number[] = [];
    await runTxt2Img({
      latents: latentsIn,
      textCond,
      steps: 4,
      guidanceScale: 7.5,
      predictNoise: recorder,
      onStep: (s) => steps.push(s.t),
    });
    expect(calls.map((c) => c.t)).toEqual([751, 501, 251, 1]);
    expect(steps).toEqual([751, 501, 251, 1]);
    for (const c of calls) {
      expect(c.n).toBe(2 * size);
      expect(c.halvesEqual).toBe(true);
      expect(c.states).toEqual([0, 1, 2 * 77 * C]);
    }
  });

  it.each([7.5, 1])('matches the float64 formula loop (guidance %s) to 1e-5 relative', async (scale) => {
    const out = await runTxt2Img({
      latents: latentsIn,
      textCond,
      steps: 4,
      guidanceScale: scale,
      predictNoise: fakeModel,
    });
    const ref = referenceLoop(4, scale);
    let maxRef = 0;
    let maxErr = 0;
    for (let i = 0; i < size; i++) {
      maxRef = Math.max(maxRef, Math.abs(ref[i]!));
      maxErr = Math.max(maxErr, Math.abs(out[i]! - ref[i]!));
    }
    expect(maxErr).toBeLessThan(1e-5 * maxRef);
    expect(latentsIn[1]).toBe(Math.fround(Math.sin(0.7) * 1.5)); // input untouched
  });

  it('without guidance (s ≤ 1) runs a single batch conditioned on the prompt only', async () => {
    const sizes: number[] = [];
    await runTxt2Img({
      latents: latentsIn,
      textCond,
      steps: 3,
      guidanceScale: 1,
      predictNoise: (sample, t, states) => {
        sizes.push(sample.length, states.length, states[0]!);
        return fakeModel(sample, t, states);
      },
    });
    expect(sizes).toEqual([size, 77 * C, 1, size, 77 * C, 1, size, 77 * C, 1]);
  });

  it('repeats the text states per image for a batch of 2', async () => {
    let seen: Float32Array = new Float32Array(0);
    await runTxt2Img({
      latents: new Float32Array(2 * size),
      batch: 2,
      textCond,
      steps: 1,
      guidanceScale: 5,
      predictNoise: (sample, _t, states) => {
        seen = states.slice();
        return new Float32Array(sample.length);
      },
    });
    expect([0, 1, 2, 3].map((b) => seen[b * 77 * C])).toEqual([0, 0, 1, 1]);
  });

  it('stops with CANCELLED when aborted and rejects mis-sized predictions', async () => {
    const controller = new AbortController();
    let count = 0;
    const run = runTxt2Img({
      latents: latentsIn,
      textCond,
      steps: 4,
      guidanceScale: 7.5,
      signal: controller.signal,
      predictNoise: (s, t, st) => {
        if (++count === 2) controller.abort();
        return fakeModel(s, t, st);
      },
    });
    await expect(run).rejects.toSatisfy((e: unknown) => hasCode(e, 'CANCELLED'));
    expect(count).toBe(2);
    await expect(
      runTxt2Img({
        latents: latentsIn,
        textCond,
        steps: 2,
        guidanceScale: 7.5,
        predictNoise: () => new Float32Array(3),
      }),
    ).rejects.toThrow(/noise prediction/);
  });
});

describe('classifier-free guidance', () => {
  const u = Float32Array.from([0, 1, -2, 0.5]);
  const c = Float32Array.from([1, 1, 2, -0.5]);
  it('ε_u + s(ε_c − ε_u); s = 1 gives ε_c exactly, s = 0 gives ε_u', () => {
    expect(Array.from(combineGuidance(u, c, 7.5))).toEqual([7.5, 1, 28, -7]);
    expect(combineGuidance(u, c, 1)).toEqual(c);
    expect(combineGuidance(u, c, 0)).toEqual(u);
  });
  it('the batched form splits [uncond, cond]', () => {
    const both = new Float32Array(8);
    both.set(u, 0);
    both.set(c, 4);
    expect(combineGuidanceBatched(both, 7.5)).toEqual(combineGuidance(u, c, 7.5));
    expect(() => combineGuidanceBatched(new Float32Array(3), 2)).toThrow(RangeError);
    expect(() => combineGuidance(u, c.subarray(1), 2)).toThrow(RangeError);
  });
});

describeShared('pipeline.safetensors semantics', () => {
  it('the loop runs the golden’s 4 timesteps on its [1, 4, 16, 16] latents (real UNet wired by the engine)', async () => {
    const g = readAllFloat32(readShared('golden/expected/pipeline.safetensors'));
    const latents = g.get('latents_in')!;
    expect(latents.shape).toEqual([1, 4, 16, 16]);
    const ts: number[] = [];
    const out = await runTxt2Img({
      latents: latents.data,
      textCond: new Float32Array(2 * 77 * 32),
      steps: 4,
      guidanceScale: 7.5,
      predictNoise: (s, t) => {
        ts.push(t);
        return new Float32Array(s.length);
      },
    });
    expect(Float32Array.from(ts)).toEqual(g.get('timesteps')!.data);
    expect(out.length).toBe(g.get('latents_out')!.data.length);
  });
});
