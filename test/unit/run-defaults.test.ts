/** Consistent run-panel defaults (issue 14, item 3): condition follows the ControlNet; reset says what it changed. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_EDIT_SETTINGS } from '../../src/core/protocol/edit';
import {
  OFFICIAL_NEGATIVE_PROMPT,
  conditionForControlNet,
  loadedControlNet,
  referenceSettings,
  resetToReference,
} from '../../src/features/run/defaults';

describe('run defaults', () => {
  it('the condition is none without a loaded ControlNet, else its own', () => {
    expect(
      [null, 'none', 'canny', 'depth', 'openpose', 'custom'].map((c) => conditionForControlNet(c as never)),
    ).toEqual(['none', 'none', 'canny', 'depth', 'dwpose', 'canny']);
    const state = (state: string, preset: 'canny' | 'none') => ({
      models: { controlnet: { state } },
      modelChoices: { controlnet: { preset } },
    });
    expect(loadedControlNet(state('idle', 'canny'))).toBeNull();
    expect(loadedControlNet(state('ready', 'canny'))).toBe('canny');
    expect(referenceSettings(null).condition.kind).toBe('none');
    expect(referenceSettings(null).negativePrompt).toBe(OFFICIAL_NEGATIVE_PROMPT);
  });

  it('reset fills the official negative prompt, keeps steps and seed, and lists every change', () => {
    const current = { ...DEFAULT_EDIT_SETTINGS, steps: 3, seed: 9, guidance: 5, negativePrompt: '', wSelf: 0.5 };
    const r = resetToReference(current, 'canny');
    expect(r.settings).toEqual({ ...referenceSettings('canny'), steps: 3, seed: 9 });
    expect(r.changes).toEqual([
      'Guidance 5 → 7.5',
      `Negative prompt "" → "${OFFICIAL_NEGATIVE_PROMPT}"`,
      'w_self 0.5 → 0.3',
    ]);
    expect(r.kept).toMatch(/Steps \(3\) and seed \(9\) were kept; the reference uses 50 steps/);
    expect(resetToReference(r.settings, 'canny').changes).toEqual([]);
  });
});
