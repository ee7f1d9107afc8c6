/**
 * ModulationPlan of the edit pipeline (DESIGN §3.4) from a compiled layout: which resolutions, which CFG
 * halves, which steps, what a-weight. Pure (no models).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { compileLayout } from '../../src/core/layout/compile';
import type { CompiledLayout } from '../../src/core/layout/types';
import type { ClipTokenizer } from '../../src/core/tokenizer/clip';
import { modulationForCore, modulationPlanFor, prepareModulation } from '../../workers/engine/pipeline/modulation';
import { treg } from '../../src/core/schedule/policy';
import { describeShared } from '../helpers/node/shared';
import { loadTokenizer, makeMasks } from './pipeline-fixture';

const F = 2;
const TARGET = 'a tiger and a wolf on grass';

describeShared('ModulationPlan from a compiled layout (latent 16×16, 2 frames)', () => {
  let tokenizer: ClipTokenizer;
  let layout: CompiledLayout;
  const compile = (all = false) =>
    compileLayout({
      masks: makeMasks(F, 'objects'),
      tokenizer,
      targetPrompt: TARGET,
      regionPrompts: ['tiger', 'wolf'],
      modulateAllResolutions: all,
    });
  beforeAll(() => {
    tokenizer = loadTokenizer();
    layout = compile();
  });

  it('reference options: self on the uncond half, cross on the cond half, H/16…H/64, first 15 of 50 steps', () => {
    const prepared = prepareModulation(layout, 50);
    expect(prepared.modulatedCount).toBe(15);
    const plan = modulationPlanFor(prepared, 0, 981, ['uncond', 'cond'])!;
    expect(plan.cores.map((c) => `${c.kind}@${c.height}x${c.width}`)).toEqual([
      'self@8x8',
      'cross@8x8',
      'self@4x4',
      'cross@4x4',
      'self@2x2',
      'cross@2x2',
    ]);
    const a = (w: number) => Math.fround(w * treg(981));
    for (const c of plan.cores) {
      if (c.kind === 'self') {
        expect([...c.modulation.itemStrength]).toEqual([a(0.3), 0]); // [uncond, cond] sequences
        expect(c.modulation.maps.sizeReg).toBe(layout.resolutions.find((r) => r.height === c.height)!.selfSizeReg);
      } else {
        expect([...c.modulation.itemStrength]).toEqual([0, 0, a(1), a(1)]); // (half, frame) items
        expect(c.modulation.maps.groups).toBe(F);
        expect(c.modulation.maps.keyBits).toBe(layout.prompts.textTokenBits);
      }
    }
    expect(modulationPlanFor(prepared, 14, 701, ['uncond', 'cond'])).toBeDefined();
    expect(modulationPlanFor(prepared, 15, 681, ['uncond', 'cond'])).toBeUndefined();
    // Core lookup by kind and tokens per frame; the 16×16 (top) level is not modulated.
    expect(modulationForCore(plan, 'self', 64)).toBe(plan.cores[0]!.modulation);
    expect(modulationForCore(plan, 'cross', 4)).toBe(plan.cores[5]!.modulation);
    expect(modulationForCore(plan, 'self', 256)).toBeUndefined();
    expect(modulationForCore(undefined, 'self', 64)).toBeUndefined();
  });

  it('steps scale with the step count; modulatedSteps overrides', () => {
    expect(prepareModulation(layout, 4).modulatedCount).toBe(1);
    expect(prepareModulation(layout, 10).modulatedCount).toBe(3);
    expect(prepareModulation(layout, 4, { modulatedSteps: 0 }).modulatedCount).toBe(0);
    expect(modulationPlanFor(prepareModulation(layout, 4, { modulatedSteps: 0 }), 0, 751, ['cond'])).toBeUndefined();
  });

  it('options: selfModulationBranch, fixSelfSizeReg, weights, guidance-1 batches, modulateAllResolutions', () => {
    const both = modulationPlanFor(prepareModulation(layout, 50, { selfModulationBranch: 'both' }), 0, 981, [
      'uncond',
      'cond',
    ])!;
    expect([...both.cores[0]!.modulation.itemStrength].every((v) => v > 0)).toBe(true);
    const cond = modulationPlanFor(
      prepareModulation(layout, 50, { selfModulationBranch: 'cond', fixSelfSizeReg: true, wSelf: 0.5 }),
      0,
      981,
      ['uncond', 'cond'],
    )!;
    expect([...cond.cores[0]!.modulation.itemStrength]).toEqual([0, Math.fround(0.5 * treg(981))]);
    expect(cond.cores[0]!.modulation.maps.sizeReg).toBe(layout.resolutions[0]!.selfSizeRegFixed);
    // Guidance 1: only the cond half is in the batch, so 'uncond' self modulation has nothing to act on.
    const single = modulationPlanFor(prepareModulation(layout, 50), 0, 981, ['cond'])!;
    expect(single.cores.every((c) => c.kind === 'cross')).toBe(true);
    expect([...single.cores[0]!.modulation.itemStrength]).toEqual([1, 1].map(() => Math.fround(treg(981))));
    const all = modulationPlanFor(prepareModulation(compile(true), 50), 0, 981, ['uncond', 'cond'])!;
    expect(all.cores.map((c) => c.height)).toEqual([16, 16, 8, 8, 4, 4, 2, 2]);
    expect(modulationForCore(all, 'self', 256)).toBeDefined();
  });
});

describe('ModulationPlan without regions', () => {
  it('a layout with no regions is never modulated', () => {
    const empty = {
      latent: { frames: 1, height: 2, width: 2, regionCount: 0, regionBits: new Uint32Array(4) },
      resolutions: [],
      prompts: { textTokenBits: new Uint32Array(77) },
    } as unknown as CompiledLayout;
    expect(prepareModulation(empty, 50).modulatedCount).toBe(0);
  });
});
