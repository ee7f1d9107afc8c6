/**
 * Mask reductions of DESIGN §3.4: frame masks → latent grid by OpenCV INTER_NEAREST (the official dataset's
 * `cv2.resize(mask, (W//8, H//8), INTER_NEAREST)`), latent grid → a UNet resolution by PyTorch
 * `F.interpolate(mode="nearest")` (the official `_prepare_attention_layout`). Both work on region bitmasks,
 * so every region is resampled with the same index maps.
 */
import { AppError } from '../protocol/errors';
import { nearestSourceIndices, type NearestMode } from '../masks/resize';
import { MAX_REGIONS, type RegionGrid, type RegionMaskSet } from './types';

function checkMasks(set: RegionMaskSet): void {
  const { frames, height, width, masks } = set;
  if (!(frames > 0 && height > 0 && width > 0))
    throw new AppError('MASKS_INVALID', `masks need at least one frame of at least 1×1 pixels`);
  if (masks.length === 0) throw new AppError('MASKS_INVALID', 'a layout needs at least one region mask');
  if (masks.length > MAX_REGIONS)
    throw new AppError('MASKS_INVALID', `${masks.length} regions; at most ${MAX_REGIONS} are supported`);
  masks.forEach((perFrame, r) => {
    if (perFrame.length !== frames)
      throw new AppError('MASKS_INVALID', `region ${r} has masks for ${perFrame.length} frames, expected ${frames}`);
    perFrame.forEach((m, f) => {
      if (m.length !== height * width)
        throw new AppError(
          'MASKS_INVALID',
          `region ${r} frame ${f}: mask has ${m.length} pixels, expected ${width}×${height} = ${width * height}`,
        );
    });
  });
}

/** Frame-resolution masks → region bits on the latent grid (OpenCV INTER_NEAREST). */
export function masksToLatentGrid(set: RegionMaskSet, latentHeight: number, latentWidth: number): RegionGrid {
  checkMasks(set);
  const { frames, height, width, masks } = set;
  const xs = nearestSourceIndices(width, latentWidth, 'opencv');
  const ys = nearestSourceIndices(height, latentHeight, 'opencv');
  const cells = latentHeight * latentWidth;
  const regionBits = new Uint32Array(frames * cells);
  masks.forEach((perFrame, r) => {
    const bit = (1 << r) >>> 0;
    perFrame.forEach((mask, f) => {
      const base = f * cells;
      for (let y = 0; y < latentHeight; y++) {
        const row = ys[y]! * width;
        const o = base + y * latentWidth;
        for (let x = 0; x < latentWidth; x++) if (mask[row + xs[x]!] !== 0) regionBits[o + x]! |= bit;
      }
    });
  });
  return { frames, height: latentHeight, width: latentWidth, regionCount: masks.length, regionBits };
}

/** Region bits of one grid resampled to height×width per frame. */
export function resampleGrid(grid: RegionGrid, height: number, width: number, mode: NearestMode): RegionGrid {
  const xs = nearestSourceIndices(grid.width, width, mode);
  const ys = nearestSourceIndices(grid.height, height, mode);
  const inCells = grid.height * grid.width;
  const outCells = height * width;
  const regionBits = new Uint32Array(grid.frames * outCells);
  for (let f = 0; f < grid.frames; f++) {
    for (let y = 0; y < height; y++) {
      const row = f * inCells + ys[y]! * grid.width;
      const o = f * outCells + y * width;
      for (let x = 0; x < width; x++) regionBits[o + x] = grid.regionBits[row + xs[x]!]!;
    }
  }
  return { frames: grid.frames, height, width, regionCount: grid.regionCount, regionBits };
}

/** regionFrameCounts[r·F + f] = cells of region r in frame f. */
export function countRegionCells(grid: RegionGrid): Uint32Array {
  const { frames, regionCount, regionBits } = grid;
  const cells = grid.height * grid.width;
  const counts = new Uint32Array(regionCount * frames);
  for (let f = 0; f < frames; f++) {
    for (let n = f * cells; n < (f + 1) * cells; n++) {
      let bits = regionBits[n]!;
      while (bits !== 0) {
        const r = 31 - Math.clz32(bits & -bits);
        counts[r * frames + f]!++;
        bits &= bits - 1;
      }
    }
  }
  return counts;
}
