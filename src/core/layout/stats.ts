/**
 * Summary statistics of a compiled layout for people and scripts (DESIGN §9 `layout --json`). Statistics of
 * size_reg are over tokens in some region; tokens in no region have size_reg 1 by definition.
 */
import type { CompiledLayout, ResolutionLayout } from './types';

export interface RangeStats {
  readonly min: number;
  readonly max: number;
  readonly mean: number;
}

export interface ResolutionStats {
  readonly size: [number, number];
  readonly tokens: number;
  readonly tokensInNoRegion: number;
  /** Query/key pairs with R = 1 in self-attention: Σ_{q,k} [bits(q) & bits(k) ≠ 0]. */
  readonly selfPositivePairs: number;
  /** Null when no token is in any region. */
  readonly selfSizeReg: RangeStats | null;
  readonly selfSizeRegFixed: RangeStats | null;
  readonly crossSizeReg: RangeStats | null;
}

function rangeOver(values: Float32Array, bits: Uint32Array): RangeStats | null {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    if (bits[i] === 0) continue;
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    n++;
  }
  return n === 0 ? null : { min, max, mean: sum / n };
}

/** Counts pairs through the histogram of distinct bitmasks, so it is O(tokens + distinct²), not O(tokens²). */
export function selfPositivePairs(regionBits: Uint32Array): number {
  const histogram = new Map<number, number>();
  for (const b of regionBits) if (b !== 0) histogram.set(b, (histogram.get(b) ?? 0) + 1);
  const entries = [...histogram];
  let pairs = 0;
  for (const [a, ca] of entries) for (const [b, cb] of entries) if ((a & b) !== 0) pairs += ca * cb;
  return pairs;
}

export function resolutionStats(res: ResolutionLayout): ResolutionStats {
  let inNoRegion = 0;
  for (const b of res.regionBits) if (b === 0) inNoRegion++;
  return {
    size: [res.height, res.width],
    tokens: res.tokens,
    tokensInNoRegion: inNoRegion,
    selfPositivePairs: selfPositivePairs(res.regionBits),
    selfSizeReg: rangeOver(res.selfSizeReg, res.regionBits),
    selfSizeRegFixed: rangeOver(res.selfSizeRegFixed, res.regionBits),
    crossSizeReg: rangeOver(res.crossSizeReg, res.regionBits),
  };
}

/** Fraction of latent cells (all frames) inside the blend mask M. */
export function blendCoverage(layout: CompiledLayout): number {
  let covered = 0;
  for (const m of layout.blendMask) covered += m;
  return layout.blendMask.length === 0 ? 0 : covered / layout.blendMask.length;
}
