/**
 * The dispatch grid of the element-wise latent kernels (pure): one invocation per element, `workgroupSize` per
 * workgroup, workgroups laid out row-major in a 2-D grid at most `maxPerDimension` wide, so counts above
 * maxPerDimension · workgroupSize (65535 · 256 ≈ 16.8 M values with the default limits) still dispatch. The
 * kernels compute the element as (wg.y · gridX + wg.x) · WORKGROUP_SIZE + lid (`elementIndex` in ./shader.ts)
 * and skip indices ≥ count (the last row may be partly empty).
 */
export interface ElementGrid {
  /** Workgroups per row (Params.gridX) and rows. */
  readonly gridX: number;
  readonly gridY: number;
}

export function elementGrid(count: number, workgroupSize: number, maxPerDimension: number): ElementGrid {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`element count must be a natural number: ${count}`);
  const groups = Math.ceil(count / workgroupSize);
  if (groups === 0) return { gridX: 0, gridY: 0 };
  const gridX = Math.min(groups, maxPerDimension);
  const gridY = Math.ceil(groups / gridX);
  if (gridY > maxPerDimension)
    throw new RangeError(
      `${count} latent values need more than ${maxPerDimension}² workgroups. Use fewer frames or a smaller size.`,
    );
  return { gridX, gridY };
}
