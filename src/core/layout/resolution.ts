/**
 * Per-token data of one modulated resolution (DESIGN §3.4), from its region bitmasks:
 *   self  size_reg(q)   = 1 − Σ_{r ∋ q} count_r / (F·F·h·w)   (official `(h·F)·(w·F)` denominator)
 *   fixSelfSizeReg      = 1 − Σ_{r ∋ q} count_r / (F·h·w)
 *   cross size_reg_c(q) = 1 − Σ_{r ∋ q} area_r(f_q) / (h·w)
 * count_r = region r's tokens over all frames, area_r(f) = its tokens in frame f. Σ_{r ∋ q} count_r is the
 * official row sum of the count matrix Σ_s M_s M_sᵀ, computed here without building that matrix.
 * Values are rounded like the official fp32 `1 - 1.*rowsum/denominator` (the official self maps are fp16;
 * here they are fp32).
 */
import { countRegionCells } from './grid';
import type { RegionGrid, ResolutionLayout } from './types';

export function compileResolution(grid: RegionGrid): ResolutionLayout {
  const { frames, height, width, regionCount, regionBits } = grid;
  const cells = height * width;
  const tokens = frames * cells;
  const regionFrameCounts = countRegionCells(grid);
  const regionTotals = new Float64Array(regionCount);
  for (let r = 0; r < regionCount; r++)
    for (let f = 0; f < frames; f++) regionTotals[r]! += regionFrameCounts[r * frames + f]!;

  const selfSizeReg = new Float32Array(tokens);
  const selfSizeRegFixed = new Float32Array(tokens);
  const crossSizeReg = new Float32Array(tokens);
  const selfDenominator = frames * frames * cells;
  const fixedDenominator = frames * cells;
  for (let f = 0; f < frames; f++) {
    for (let n = f * cells; n < (f + 1) * cells; n++) {
      let bits = regionBits[n]!;
      let total = 0;
      let area = 0;
      while (bits !== 0) {
        const r = 31 - Math.clz32(bits & -bits);
        total += regionTotals[r]!;
        area += regionFrameCounts[r * frames + f]!;
        bits &= bits - 1;
      }
      selfSizeReg[n] = 1 - Math.fround(total / selfDenominator);
      selfSizeRegFixed[n] = 1 - Math.fround(total / fixedDenominator);
      crossSizeReg[n] = 1 - Math.fround(area / cells);
    }
  }
  return {
    frames,
    height,
    width,
    tokens,
    regionCount,
    regionBits,
    selfSizeReg,
    selfSizeRegFixed,
    crossSizeReg,
    regionFrameCounts,
  };
}
