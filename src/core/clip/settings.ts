/**
 * Which source frames an edit uses (DESIGN §1 step 1): start, count, stride, output size. Pure checks shared
 * by the UI (before calling the video worker) and the CLI, so both refuse the same inputs with the same words.
 */
import { MAX_EXTRACT_FRAMES, type FrameSizing } from '../protocol/video';

export interface ClipRequest {
  readonly start: number;
  readonly frames: number;
  readonly stride: number;
  readonly sizing: FrameSizing;
}

/** Index of the last source frame a request reads. */
export const lastSourceFrame = (r: ClipRequest): number => r.start + (r.frames - 1) * r.stride;

/** Output size of frames for a source of the given display size (after rotation). */
export function outputSize(
  sizing: FrameSizing,
  srcWidth: number,
  srcHeight: number,
): { width: number; height: number } {
  if (sizing.mode === 'square') return { width: sizing.size, height: sizing.size };
  const scale = sizing.shortSide / Math.min(srcWidth, srcHeight);
  const to64 = (v: number) => Math.max(64, Math.floor((v * scale) / 64) * 64);
  return srcWidth <= srcHeight
    ? { width: sizing.shortSide, height: to64(srcHeight) }
    : { width: to64(srcWidth), height: sizing.shortSide };
}

/** Problems with a request, in words a user can act on; empty when it is fine. */
export function clipRequestProblems(r: ClipRequest, sourceFrameCount?: number): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(r.start) || r.start < 0) problems.push('Start must be a whole frame number ≥ 0.');
  if (!Number.isInteger(r.frames) || r.frames < 1 || r.frames > MAX_EXTRACT_FRAMES)
    problems.push(`Frame count must be between 1 and ${MAX_EXTRACT_FRAMES}.`);
  if (!Number.isInteger(r.stride) || r.stride < 1) problems.push('Stride must be a whole number ≥ 1.');
  const side = r.sizing.mode === 'square' ? r.sizing.size : r.sizing.shortSide;
  if (!Number.isInteger(side) || side < 64 || side > 2048 || side % 64 !== 0)
    problems.push('Frame size must be a multiple of 64 between 64 and 2048.');
  if (problems.length === 0 && sourceFrameCount !== undefined && lastSourceFrame(r) >= sourceFrameCount) {
    problems.push(
      `The clip has ${sourceFrameCount} frames, but start ${r.start} + ${r.frames} frames × stride ${r.stride} needs frame ${lastSourceFrame(r) + 1}. Lower the start, count or stride.`,
    );
  }
  return problems;
}
