/**
 * The video worker's error codes a user causes (a bad or unsupported file, options out of range): the CLI prints
 * them as one line and exits 2, like usage errors; other codes are failures of the tool (exit 1).
 */
import type { VideoErrorCode } from '../../src/core/protocol/video';

export const VIDEO_INPUT_CODES: ReadonlySet<string> = new Set<VideoErrorCode>([
  'NOT_A_VIDEO',
  'NO_VIDEO_STREAM',
  'UNSUPPORTED_CODEC',
  'CORRUPT_FILE',
  'TOO_FEW_FRAMES',
  'FILE_TOO_LARGE',
  'BAD_OPTIONS',
]);
