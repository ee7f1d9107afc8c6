/**
 * One settings check (src/core/settings/validate.ts, issue 19): the run panel and the engine refuse exactly the
 * same settings with the same words, at the limits of the one table; the CLI's flags take their bounds from it.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_EDIT_SETTINGS, type EditRequest, type EditSettings } from '../../src/core/protocol/edit';
import { SETTINGS_LIMITS, validateSettings } from '../../src/core/settings/validate';
import { settingsProblems } from '../../src/features/run/settings';
import { checkRequest } from '../../workers/engine/edit/request';

const L = SETTINGS_LIMITS;

function request(settings: EditSettings): EditRequest {
  const size = 64;
  return {
    width: size,
    height: size,
    frames: [new Uint8Array(size * size * 4)],
    sourcePrompt: '',
    targetPrompt: 'a cat',
    regions: [{ name: 'all', prompt: 'a cat', masks: [new Uint8Array(size * size).fill(1)] }],
    settings,
  } as EditRequest;
}

/** The engine's verdict: its EDIT_INPUT_INVALID message, or '' when it accepts. */
function engine(settings: EditSettings): string {
  try {
    checkRequest(request(settings));
    return '';
  } catch (e) {
    expect(e).toMatchObject({ code: 'EDIT_INPUT_INVALID' });
    return (e as Error).message;
  }
}

const cases: readonly (readonly [string, Partial<EditSettings>, boolean])[] = [
  ['defaults', {}, true],
  ['steps at the minimum', { steps: L.steps.min }, true],
  ['steps at the maximum', { steps: L.steps.max }, true],
  ['steps above the maximum', { steps: L.steps.max + 1 }, false],
  ['fractional steps', { steps: 2.5 }, false],
  ['zero steps', { steps: 0 }, false],
  ['guidance at the maximum', { guidance: L.guidance.max }, true],
  ['guidance above the maximum', { guidance: L.guidance.max + 0.5 }, false],
  ['negative guidance', { guidance: -1 }, false],
  ['NaN guidance', { guidance: Number.NaN }, false],
  ['largest uint32 seed', { seed: L.seed.max }, true],
  ['seed above uint32', { seed: L.seed.max + 1 }, false],
  ['negative seed', { seed: -1 }, false],
  ['ControlNet scale at the maximum', { condition: { kind: 'canny', scale: L.conditionScale.max } }, true],
  ['ControlNet scale above the maximum', { condition: { kind: 'canny', scale: 2.5 } }, false],
  ['w_self above 1', { wSelf: 1.5 }, false],
  ['w_cross negative', { wCross: -0.1 }, false],
  ['modulated steps = steps', { steps: 10, modulatedSteps: 10 }, true],
  ['modulated steps > steps', { steps: 10, modulatedSteps: 11 }, false],
  ['unknown CFG batching', { cfgBatch: 'both' } as unknown as Partial<EditSettings>, false],
];

describe('settings limits: one table, one check', () => {
  it.each(cases)('%s: UI and engine agree', (_name, patch, ok) => {
    const s = { ...DEFAULT_EDIT_SETTINGS, ...patch };
    const problems = validateSettings(s).map((p) => p.message);
    expect(problems.length === 0).toBe(ok);
    expect(settingsProblems(s)).toEqual(problems);
    expect(engine(s)).toBe(problems.join(' '));
  });

  it('each problem names its setting and the allowed range', () => {
    const [p] = validateSettings({ ...DEFAULT_EDIT_SETTINGS, steps: 1001 });
    expect(p).toEqual({ setting: 'steps', message: expect.stringContaining(`from 1 to ${L.steps.max}`) });
    const tight = { ...L, guidance: { min: 0, max: 10 } };
    expect(validateSettings({ ...DEFAULT_EDIT_SETTINGS, guidance: 12 }, tight)[0]?.setting).toBe('guidance');
  });
});
