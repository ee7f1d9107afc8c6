/**
 * The CLI's one exit-code convention (issue 13, DESIGN §7, §9), for every command:
 *   0   success
 *   2   the user's input: a bad option, file, config, prompt, mask, output path (fix the input and rerun)
 *   1   the environment or the model: missing/corrupt model files, no WebGPU, out of memory, a bug
 *   130 cancelled (Ctrl-C)
 * `exitCodeFor` is the only place in cli/ that maps a thrown value to a code: a CliUsageError is the user's
 * input by definition; an AppError's code is classified by the error-code catalog
 * (src/core/protocol/error-codes.ts: `cause` user / environment / cancelled); an AbortError or a cancelled
 * edit is 130; anything else is 1.
 */
import { CliUsageError } from './command';
import { exitCodeFor as catalogExitCode } from '../src/core/protocol/error-codes';

export const EXIT_OK = 0;
export const EXIT_ENVIRONMENT = 1;
export const EXIT_USER_INPUT = 2;
export const EXIT_CANCELLED = 130;

export type ExitCode = typeof EXIT_OK | typeof EXIT_ENVIRONMENT | typeof EXIT_USER_INPUT | typeof EXIT_CANCELLED;

const CANCEL_NAMES: ReadonlySet<string> = new Set(['AbortError', 'EditCancelledError']);

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CliUsageError) return EXIT_USER_INPUT;
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  if (typeof name === 'string' && CANCEL_NAMES.has(name)) return EXIT_CANCELLED;
  return catalogExitCode(error);
}
