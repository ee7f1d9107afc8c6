/** The run panel's flow-guided consistency rules (src/features/run/flow-settings.ts). */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FLATTEN, flattenAfterFlowModel, toggleFlattenResolution } from '../../src/features/run/flow-settings';
import { validateSettings } from '../../src/core/settings/validate';
import { DEFAULT_EDIT_SETTINGS } from '../../src/core/protocol/edit';

describe('flow-guided consistency settings', () => {
  it('defaults to the official configs’ flatten_res [1] with old_qk, a valid setting', () => {
    expect(DEFAULT_FLATTEN).toEqual({ resolutions: [1], oldQk: true });
    expect(validateSettings({ ...DEFAULT_EDIT_SETTINGS, flatten: DEFAULT_FLATTEN })).toEqual([]);
  });

  it('adds and removes levels in order; removing the last one turns FLATTEN off', () => {
    const two = toggleFlattenResolution(DEFAULT_FLATTEN, 4, true)!;
    expect(two.resolutions).toEqual([1, 4]);
    expect(toggleFlattenResolution(two, 2, true)!.resolutions).toEqual([1, 2, 4]);
    expect(toggleFlattenResolution(two, 1, false)!.resolutions).toEqual([4]);
    expect(toggleFlattenResolution(DEFAULT_FLATTEN, 1, false)).toBeNull();
  });

  it('a loaded flow model turns it on when off and keeps a setting that is on', () => {
    expect(flattenAfterFlowModel(null)).toEqual(DEFAULT_FLATTEN);
    const mine = { resolutions: [1, 2], oldQk: false };
    expect(flattenAfterFlowModel(mine)).toBe(mine);
  });
});
