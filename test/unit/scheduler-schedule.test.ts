/**
 * set_timesteps for any n, inverse conventions, the modulation schedule and treg — from the diffusers /
 * VideoGrain definitions, plus the treg and 4-step timestep values stored in the goldens.
 */
import { describe, expect, it } from 'vitest';
import { readAllFloat32 } from '../../src/core/tensors/safetensors';
import { describeShared, readShared } from '../helpers/node/shared';
import { DdimInverseScheduler } from '../../workers/engine/scheduler/ddim-inverse';
import { DdimScheduler } from '../../workers/engine/scheduler/ddim';
import { isModulatedStep, modulatedStepCount, treg } from '../../src/core/schedule/policy';
import { leadingTimesteps, SD15_SCHEDULE } from '../../src/core/schedule/schedule';

const list = (a: Int32Array): number[] => Array.from(a);

describe('set_timesteps ("leading", steps_offset 1)', () => {
  it.each([
    [1, [1]],
    [4, [751, 501, 251, 1]],
    [7, [853, 711, 569, 427, 285, 143, 1]],
    [10, [901, 801, 701, 601, 501, 401, 301, 201, 101, 1]],
  ])('n = %i', (n, expected) => {
    const s = new DdimScheduler();
    s.setTimesteps(n);
    expect(list(s.timesteps)).toEqual(expected);
  });

  it('n = 50 spans 981 … 1 in steps of 20; n = 1000 is the full grid', () => {
    const t50 = list(leadingTimesteps(50, SD15_SCHEDULE));
    expect(t50[0]).toBe(981);
    expect(t50.every((t, i) => i === 0 || t50[i - 1]! - t === 20)).toBe(true);
    expect(list(leadingTimesteps(1000, SD15_SCHEDULE)).slice(0, 2)).toEqual([1000, 999]);
  });

  it.each([0, -3, 2.5, 1001])('rejects n = %s', (n) => {
    expect(() => new DdimScheduler().setTimesteps(n)).toThrow(RangeError);
  });

  it('refuses to step before set_timesteps and outside the schedule', () => {
    const s = new DdimScheduler();
    const x = new Float32Array(4);
    expect(() => s.step(x, 981, x)).toThrow(/setTimesteps/);
    s.setTimesteps(1000);
    expect(() => s.step(x, 1000, x)).toThrow(/outside the schedule/);
    s.setTimesteps(50);
    expect(() => s.step(new Float32Array(3), 981, x)).toThrow(RangeError);
  });
});

describe('DDIM inverse conventions', () => {
  it('v0.19: rolled grid, loop over [1:], each step moves ᾱ[t] → ᾱ[t + T//n]', () => {
    const inv = new DdimInverseScheduler('v0.19');
    inv.setTimesteps(10);
    expect(list(inv.timesteps)).toEqual([-99, 1, 101, 201, 301, 401, 501, 601, 701, 801]);
    expect(list(inv.loopTimesteps)).toEqual([1, 101, 201, 301, 401, 501, 601, 701, 801]);
    const a = inv.alphasCumprod;
    const c = inv.stepCoefficients(801);
    expect(c.sqrtAlphaSource).toBe(Math.fround(Math.sqrt(a[801]!)));
    expect(c.sqrtAlphaTarget).toBe(Math.fround(Math.sqrt(a[901]!)));
    // t = −99 (never used by the loop) starts from initial_alpha_cumprod = ᾱ[0].
    expect(inv.stepCoefficients(-99).sqrtAlphaSource).toBe(Math.fround(Math.sqrt(a[0]!)));
    expect(() => new DdimInverseScheduler('v0.19').setTimesteps(1)).toThrow(RangeError);
  });

  it('v0.40: ascending grid, step(t) moves ᾱ[t − T//n] → ᾱ[t]', () => {
    const inv = new DdimInverseScheduler('v0.40');
    inv.setTimesteps(10);
    expect(list(inv.timesteps)).toEqual([1, 101, 201, 301, 401, 501, 601, 701, 801, 901]);
    expect(list(inv.loopTimesteps)).toEqual(list(inv.timesteps));
    const a = inv.alphasCumprod;
    const c = inv.stepCoefficients(901);
    expect(c.sqrtAlphaSource).toBe(Math.fround(Math.sqrt(a[801]!)));
    expect(c.sqrtAlphaTarget).toBe(Math.fround(Math.sqrt(a[901]!)));
    expect(inv.stepCoefficients(1).sqrtAlphaSource).toBe(Math.fround(Math.sqrt(inv.initialAlphaCumprod)));
  });

  it('one inverse step undoes one DDIM step for the same ε (both conventions agree on the update)', () => {
    const ddim = new DdimScheduler();
    ddim.setTimesteps(50);
    const inv = new DdimInverseScheduler('v0.19');
    inv.setTimesteps(50);
    const x = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i) * 2);
    const eps = Float32Array.from({ length: 64 }, (_, i) => Math.cos(i * 1.3));
    const down = ddim.step(eps, 501, x).prevSample; // ᾱ[501] → ᾱ[481]
    const up = inv.step(eps, 481, down).prevSample; // ᾱ[481] → ᾱ[501]
    for (let i = 0; i < x.length; i++) expect(up[i]).toBeCloseTo(x[i]!, 5);
  });
});

describe('modulation schedule (first 15 of 50 denoising steps, scaled)', () => {
  it('reference: steps 0..14 of 50', () => {
    const n = modulatedStepCount(50);
    expect(n).toBe(15);
    expect(isModulatedStep(14, n)).toBe(true);
    expect(isModulatedStep(15, n)).toBe(false);
    expect(isModulatedStep(-1, n)).toBe(false);
  });

  it.each([
    [100, 30],
    [25, 8],
    [20, 6],
    [4, 1],
    [1, 0],
  ])('n = %i → %i modulated steps', (steps, count) => {
    expect(modulatedStepCount(steps)).toBe(count);
  });

  it('the modulatedSteps option overrides, clamped to the step count', () => {
    expect(modulatedStepCount(50, 0)).toBe(0);
    expect(modulatedStepCount(50, 20)).toBe(20);
    expect(modulatedStepCount(10, 20)).toBe(10);
    expect(() => modulatedStepCount(50, -1)).toThrow(RangeError);
    expect(() => modulatedStepCount(0)).toThrow(RangeError);
  });

  it('treg(t) = ((t − 1)/1000)^5 in float32', () => {
    expect(treg(1)).toBe(0);
    expect(treg(1001)).toBe(1);
    expect(treg(501)).toBe(Math.fround(0.5 ** 5));
    expect(treg(981)).toBeCloseTo(0.903920889, 8);
    expect(treg(961)).toBeLessThan(treg(981));
  });
});

describeShared('golden values', () => {
  it('treg(981) equals st_layout_attention.safetensors `treg` bit-exactly', () => {
    const g = readAllFloat32(readShared('golden/expected/st_layout_attention.safetensors'));
    expect(g.get('t')!.data[0]).toBe(981);
    expect(treg(981)).toBe(g.get('treg')!.data[0]);
  });

  it('4-step timesteps equal pipeline.safetensors `timesteps`', () => {
    const g = readAllFloat32(readShared('golden/expected/pipeline.safetensors'));
    const s = new DdimScheduler();
    s.setTimesteps(4);
    expect(Float32Array.from(s.timesteps)).toEqual(g.get('timesteps')!.data);
  });
});
