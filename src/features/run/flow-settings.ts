/**
 * Small pure rules of the flow-guided consistency setting (FLATTEN, DESIGN §3.6): the default the official configs
 * use (`flatten_res: [1]`, `old_qk: 1`), the levels offered, and turning one level on or off (turning the last one
 * off turns FLATTEN off).
 */
import type { FlattenSettings } from '../../core/protocol/edit';

export const DEFAULT_FLATTEN: FlattenSettings = { resolutions: [1], oldQk: true };

/** `flatten_res` divisors the run panel offers, with the UNet level each one is at a 512² edit. */
export const FLATTEN_LEVEL_LABELS: readonly { readonly divisor: number; readonly label: string }[] = [
  { divisor: 1, label: 'H/8 (64×64 at 512²)' },
  { divisor: 2, label: 'H/16 (32×32)' },
  { divisor: 4, label: 'H/32 (16×16)' },
];

export function toggleFlattenResolution(
  flatten: FlattenSettings,
  divisor: number,
  on: boolean,
): FlattenSettings | null {
  const set = new Set(flatten.resolutions);
  if (on) set.add(divisor);
  else set.delete(divisor);
  if (set.size === 0) return null;
  return { ...flatten, resolutions: [...set].sort((a, b) => a - b) };
}

/**
 * Consistent defaults: loading a flow model turns FLATTEN on with the official settings when it is off (the
 * Models panel's action says so; the user turns it off under Advanced). A setting already on is kept.
 */
export function flattenAfterFlowModel(current: FlattenSettings | null | undefined): FlattenSettings {
  return current ?? DEFAULT_FLATTEN;
}
