/**
 * The ST-Layout compiler (DESIGN §3.3–3.5): region masks + prompts → everything the modulated attention and
 * the latent blend need, for each modulated UNet resolution. Pure: no I/O, no GPU.
 */
import type { ClipTokenizer } from '../tokenizer/clip';
import { compilePrompts } from '../prompt/spans';
import { masksToLatentGrid, countRegionCells, resampleGrid } from './grid';
import { compileResolution } from './resolution';
import type { CompiledLayout, LayoutIssue, RegionGrid, RegionMaskSet } from './types';

export interface LayoutInput {
  readonly masks: RegionMaskSet;
  readonly tokenizer: ClipTokenizer;
  readonly targetPrompt: string;
  /** regionPrompts[r] is region r's prompt; fewer prompts than masks is allowed (official configs do it). */
  readonly regionPrompts: readonly string[];
  /** Latent grid; defaults to floor(H/8) × floor(W/8) of the masks, as the official dataset. */
  readonly latentHeight?: number;
  readonly latentWidth?: number;
  /** Also modulate the latent-size (H/8) blocks (option `modulateAllResolutions`). */
  readonly modulateAllResolutions?: boolean;
}

/**
 * The modulated attention sizes for a latent grid: int(latent / 2^r) for r = 1, 2, 3 (H/16, H/32, H/64), and
 * r = 0 (H/8) first when all resolutions are modulated — the official loop `h = int(height / 2**r)`.
 */
export function modulatedSizes(
  latentHeight: number,
  latentWidth: number,
  modulateAllResolutions = false,
): [number, number][] {
  const sizes: [number, number][] = [];
  for (let r = modulateAllResolutions ? 0 : 1; r <= 3; r++) {
    const h = Math.floor(latentHeight / 2 ** r);
    const w = Math.floor(latentWidth / 2 ** r);
    if (h >= 1 && w >= 1) sizes.push([h, w]);
  }
  return sizes;
}

export function compileLayout(input: LayoutInput): CompiledLayout {
  const { masks } = input;
  const latentHeight = input.latentHeight ?? Math.floor(masks.height / 8);
  const latentWidth = input.latentWidth ?? Math.floor(masks.width / 8);
  const latent = masksToLatentGrid(masks, latentHeight, latentWidth);
  const blendMask = new Uint8Array(latent.regionBits.length);
  for (let n = 0; n < blendMask.length; n++) blendMask[n] = latent.regionBits[n] !== 0 ? 1 : 0;
  const resolutions = modulatedSizes(latentHeight, latentWidth, input.modulateAllResolutions).map(([h, w]) =>
    compileResolution(resampleGrid(latent, h, w, 'torch')),
  );
  const prompts = compilePrompts(input.tokenizer, input.targetPrompt, input.regionPrompts, latent.regionCount);
  return { latent, blendMask, resolutions, prompts, issues: [...prompts.issues, ...emptyRegionIssues(latent)] };
}

/** Empty regions, judged on the latent grid (what the attention sees): nowhere → error, some frames → warning. */
export function emptyRegionIssues(latent: RegionGrid): LayoutIssue[] {
  const counts = countRegionCells(latent);
  const issues: LayoutIssue[] = [];
  for (let r = 0; r < latent.regionCount; r++) {
    const emptyFrames: number[] = [];
    for (let f = 0; f < latent.frames; f++) if (counts[r * latent.frames + f] === 0) emptyFrames.push(f);
    if (emptyFrames.length === latent.frames)
      issues.push({
        severity: 'error',
        code: 'region-empty',
        region: r,
        message: `region ${r} has no pixels on any frame at the ${latent.width}×${latent.height} latent grid; paint or import its mask`,
      });
    else if (emptyFrames.length > 0)
      issues.push({
        severity: 'warning',
        code: 'region-empty-on-frames',
        region: r,
        message: `region ${r} has no pixels on frame${emptyFrames.length > 1 ? 's' : ''} ${emptyFrames.join(', ')} (latent grid ${latent.width}×${latent.height})`,
      });
  }
  return issues;
}
