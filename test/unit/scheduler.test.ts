/**
 * Schedulers against the diffusers goldens (../shared/golden/expected/README.md):
 * scheduler.safetensors (v0.40 inverse convention) and scheduler_v019.safetensors (v0.19, with the
 * 49-step inversion and 50-step sampling loops driven by the fixed fake model). Every tensor in both files
 * is checked (a test asserts the list is exhaustive).
 *
 * Tolerances: the schedule (betas, ᾱ, timesteps) is bit-exact. Single steps: max |Δ| ≤ 1e-6 · max |x| — our
 * float32 op order matches torch's (t = 1 steps are bit-exact); the residual is torch 2.13 returning
 * (1 − ᾱ)^0.5 one ulp away from the correctly rounded sqrt for some t (e.g. 981), which x̂0's division by
 * √ᾱ_981 ≈ 0.076 amplifies. Loops: ≤ 1e-5 relative to the tensor's max |x| (README's suggestion).
 */
import { beforeAll, expect, it } from 'vitest';
import { type HostTensor, readAllFloat32 } from '../../src/core/tensors/safetensors';
import { describeShared, readShared } from '../helpers/node/shared';
import { DdimInverseScheduler } from '../../workers/engine/scheduler/ddim-inverse';
import { DdimScheduler } from '../../workers/engine/scheduler/ddim';

type Golden = Map<string, HostTensor>;
const f32 = Math.fround;

function load(name: string): Golden {
  return readAllFloat32(readShared(`golden/expected/${name}`));
}

function tensor(g: Golden, name: string, checked: Set<string>): Float32Array {
  const t = g.get(name);
  if (!t) throw new Error(`golden tensor ${name} missing`);
  checked.add(name);
  return t.data;
}

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

/** max |actual − expected| ≤ rel · max |expected|. */
function expectClose(actual: Float32Array, expected: Float32Array, rel = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  let m = 0;
  for (let i = 0; i < actual.length; i++) m = Math.max(m, Math.abs(actual[i]! - expected[i]!));
  expect(m).toBeLessThanOrEqual(rel * maxAbs(expected));
}

const expectLoopClose = (actual: Float32Array, expected: Float32Array): void => expectClose(actual, expected, 1e-5);

/** The README's fake model ε(x, t) = 0.1·x + 0.01·(t/1000), each op in float32 as torch evaluates it. */
function fakeEpsilon(x: Float32Array, t: number): Float32Array {
  const bias = f32(f32(0.01) * f32(t / 1000));
  const k = f32(0.1);
  return x.map((v) => f32(k * v) + bias);
}

const ints = (a: Int32Array): Float32Array => Float32Array.from(a);

describeShared('DDIM, v0.40 inverse convention (scheduler.safetensors)', () => {
  let g: Golden;
  const checked = new Set<string>();
  const ddim = new DdimScheduler();
  const inv = new DdimInverseScheduler('v0.40');
  beforeAll(() => {
    g = load('scheduler.safetensors');
    ddim.setTimesteps(50);
    inv.setTimesteps(50);
  });

  it('reproduces betas, ᾱ and the end-of-schedule alphas bit-exactly', () => {
    expect(ddim.betas).toEqual(tensor(g, 'ddim.betas', checked));
    expect(ddim.alphasCumprod).toEqual(tensor(g, 'ddim.alphas_cumprod', checked));
    expect(ddim.finalAlphaCumprod).toBe(tensor(g, 'ddim.final_alpha_cumprod', checked)[0]);
    expect(inv.initialAlphaCumprod).toBe(tensor(g, 'inverse.initial_alpha_cumprod', checked)[0]);
  });

  it('timesteps: 981 … 1 and 1 … 981', () => {
    expect(ints(ddim.timesteps)).toEqual(tensor(g, 'ddim.timesteps', checked));
    expect(ints(inv.timesteps)).toEqual(tensor(g, 'inverse.timesteps', checked));
    expect(inv.loopTimesteps.length).toBe(50);
  });

  it.each([981, 1])('ddim.step(t = %i)', (t) => {
    const r = ddim.step(tensor(g, 'step.model_output', checked), t, tensor(g, 'step.sample', checked));
    expectClose(r.prevSample, tensor(g, `ddim.step_t${t}.prev_sample`, checked));
    expectClose(r.predOriginalSample, tensor(g, `ddim.step_t${t}.pred_original_sample`, checked));
  });

  it.each([1, 961])('inverse.step(t = %i) goes ᾱ[t − 20] → ᾱ[t]', (t) => {
    const r = inv.step(tensor(g, 'step.model_output', checked), t, tensor(g, 'step.sample', checked));
    expectClose(r.prevSample, tensor(g, `inverse.step_t${t}.prev_sample`, checked));
    expectClose(r.predOriginalSample, tensor(g, `inverse.step_t${t}.pred_original_sample`, checked));
  });

  it('add_noise at t = 981', () => {
    const noisy = ddim.addNoise(tensor(g, 'add_noise.original', checked), tensor(g, 'add_noise.noise', checked), 981);
    expectClose(noisy, tensor(g, 'add_noise_t981.noisy', checked));
  });

  it('checked every tensor of the file', () => {
    expect([...checked].sort()).toEqual([...g.keys()].sort());
  });
});

describeShared('DDIM, v0.19 inverse convention and full loops (scheduler_v019.safetensors)', () => {
  let g: Golden;
  const checked = new Set<string>();
  const ddim = new DdimScheduler();
  const inv = new DdimInverseScheduler('v0.19');
  beforeAll(() => {
    g = load('scheduler_v019.safetensors');
    ddim.setTimesteps(50);
    inv.setTimesteps(50);
  });

  it('schedule and timesteps ([−19, 1, …, 961] for the inverse)', () => {
    expect(ddim.alphasCumprod).toEqual(tensor(g, 'alphas_cumprod', checked));
    expect(inv.alphasCumprod).toEqual(tensor(g, 'inverse.alphas_cumprod', checked));
    expect(ddim.finalAlphaCumprod).toBe(tensor(g, 'ddim.final_alpha_cumprod', checked)[0]);
    expect(inv.initialAlphaCumprod).toBe(tensor(g, 'inverse.initial_alpha_cumprod', checked)[0]);
    expect(ints(ddim.timesteps)).toEqual(tensor(g, 'ddim.timesteps', checked));
    const its = tensor(g, 'inverse.timesteps', checked);
    expect(ints(inv.timesteps)).toEqual(its);
    expect(its[0]).toBe(-19);
    expect(its[49]).toBe(961);
  });

  it.each([981, 1])('ddim.step(t = %i)', (t) => {
    const r = ddim.step(tensor(g, 'step.model_output', checked), t, tensor(g, 'step.sample', checked));
    expectClose(r.prevSample, tensor(g, `ddim.step_t${t}.prev_sample`, checked));
    expectClose(r.predOriginalSample, tensor(g, `ddim.step_t${t}.pred_original_sample`, checked));
  });

  it.each([1, 961])('inverse.step(t = %i) goes ᾱ[t] → ᾱ[t + 20]', (t) => {
    const r = inv.step(tensor(g, 'step.model_output', checked), t, tensor(g, 'step.sample', checked));
    expectClose(r.prevSample, tensor(g, `inverse.step_t${t}.prev_sample`, checked));
    expectClose(r.predOriginalSample, tensor(g, `inverse.step_t${t}.pred_original_sample`, checked));
  });

  it('49-step inversion then 50-step DDIM sampling with the fake model', () => {
    const size = 2 * 4 * 16 * 16;
    const invTs = inv.loopTimesteps;
    expect(ints(invTs)).toEqual(tensor(g, 'loop.inverse_step_timesteps', checked));
    const invTraj = tensor(g, 'loop.inverse_trajectory', checked);
    let x = tensor(g, 'loop.x0', checked);
    invTs.forEach((t, i) => {
      x = inv.step(fakeEpsilon(x, t), t, x).prevSample;
      expectLoopClose(x, invTraj.subarray(i * size, (i + 1) * size));
      if (i === 0) expectLoopClose(x, tensor(g, 'loop.inverse_after_step1', checked));
      if (i === 9) expectLoopClose(x, tensor(g, 'loop.inverse_after_step10', checked));
    });
    expectLoopClose(x, tensor(g, 'loop.inverse_after_step49', checked));
    expectLoopClose(x, tensor(g, 'loop.inverse_final', checked));

    const ddimTs = ddim.timesteps;
    expect(ints(ddimTs)).toEqual(tensor(g, 'loop.ddim_step_timesteps', checked));
    const ddimTraj = tensor(g, 'loop.ddim_trajectory', checked);
    x = tensor(g, 'loop.inverse_final', checked);
    ddimTs.forEach((t, i) => {
      x = ddim.step(fakeEpsilon(x, t), t, x).prevSample;
      expectLoopClose(x, ddimTraj.subarray(i * size, (i + 1) * size));
    });
    expectLoopClose(x, tensor(g, 'loop.ddim_final', checked));
  });

  it('checked every tensor of the file', () => {
    expect([...checked].sort()).toEqual([...g.keys()].sort());
  });
});
