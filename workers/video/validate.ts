/** Checks on encode requests, in words a caller can act on (pure). Returns the CRF to use. */
import { AppError } from '../../src/core/protocol/errors';
import type { EncodeOptions, FrameSet } from '../../src/core/protocol/video';

export const DEFAULT_CRF = 18;

export function encodeProblems(set: FrameSet, options: EncodeOptions): string[] {
  const problems: string[] = [];
  const { width, height } = set;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 2 || height < 2 || width % 2 || height % 2)
    problems.push(`Frame size must be even and at least 2×2 for H.264 4:2:0, got ${width}×${height}.`);
  if (set.frames.length === 0) problems.push('There are no frames to encode.');
  const expected = width * height * 4;
  const bad = set.frames.findIndex((f) => f.byteLength !== expected);
  if (bad >= 0)
    problems.push(`Frame ${bad} has ${set.frames[bad]!.byteLength} bytes; ${width}×${height} RGBA needs ${expected}.`);
  if (!Number.isFinite(options.fps) || options.fps <= 0 || options.fps > 240)
    problems.push(`fps must be in (0, 240], got ${options.fps}.`);
  const crf = options.crf ?? DEFAULT_CRF;
  if (!Number.isFinite(crf) || crf < 0 || crf > 51) problems.push(`crf must be between 0 and 51, got ${crf}.`);
  if (options.audio) {
    const { startSec, endSec } = options.audio;
    if (!Number.isFinite(startSec) || !Number.isFinite(endSec) || startSec < 0 || endSec <= startSec)
      problems.push(`The audio range must satisfy 0 ≤ start < end, got [${startSec}, ${endSec}).`);
  }
  return problems;
}

export function validateEncode(set: FrameSet, options: EncodeOptions): number {
  const problems = encodeProblems(set, options);
  if (problems.length > 0) throw new AppError('BAD_OPTIONS', problems.join(' '));
  return options.crf ?? DEFAULT_CRF;
}
