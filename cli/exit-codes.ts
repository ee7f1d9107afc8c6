/**
 * The CLI's one exit-code convention (issue 13, DESIGN §7, §9), for every command:
 *   0   success
 *   2   the user's input: a bad option, file, config, prompt, mask, output path (fix the input and rerun)
 *   1   the environment or the model: missing/corrupt model files, no WebGPU, out of memory, a bug
 *   130 cancelled (Ctrl-C)
 * `exitCodeFor` is the only place that maps a thrown value to a code. A CliUsageError is the user's input by
 * definition; an AppError is classified by its code: USER_CODES below, until the error-code catalog
 * (src/core/protocol/error-codes.ts, issue 19) is committed — then `exitCodeFor` should defer to its cause.
 */
import { CliUsageError } from './command.ts';

export const EXIT_OK = 0;
export const EXIT_ENVIRONMENT = 1;
export const EXIT_USER_INPUT = 2;
export const EXIT_CANCELLED = 130;

export type ExitCode = typeof EXIT_OK | typeof EXIT_ENVIRONMENT | typeof EXIT_USER_INPUT | typeof EXIT_CANCELLED;

/** AppError codes caused by the user's input (the catalog's `cause: 'user'`). */
const USER_CODES: ReadonlySet<string> = new Set([
  'NOT_A_VIDEO',
  'NO_VIDEO_STREAM',
  'UNSUPPORTED_CODEC',
  'CORRUPT_FILE',
  'TOO_FEW_FRAMES',
  'FILE_TOO_LARGE',
  'BAD_OPTIONS',
  'CONFIG_INVALID',
  'TOKENIZER_INVALID',
  'TEXT_COND_INVALID',
  'LAYOUT_INVALID',
  'EDIT_INPUT_INVALID',
  'MASKS_INVALID',
  'MODEL_SOURCE_INVALID',
]);

const CANCEL_NAMES: ReadonlySet<string> = new Set(['AbortError', 'EditCancelledError']);

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CliUsageError) return EXIT_USER_INPUT;
  if (typeof error !== 'object' || error === null) return EXIT_ENVIRONMENT;
  const { code, name } = error as { code?: unknown; name?: unknown };
  if (code === 'CANCELLED' || (typeof name === 'string' && CANCEL_NAMES.has(name))) return EXIT_CANCELLED;
  if (typeof code === 'string' && (USER_CODES.has(code) || code.startsWith('MASK_'))) return EXIT_USER_INPUT;
  return EXIT_ENVIRONMENT;
}
