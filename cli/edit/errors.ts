/**
 * Engine errors as the CLI reports them (DESIGN §7, §9), for both backends: the code decides the exit through
 * the one catalog (src/core/protocol/error-codes.ts) — user-caused → one line and exit 2, CANCELLED → exit 130,
 * anything else → exit 1 — and the line ends with the code, so scripts and tests can read it.
 */
import { CliUsageError } from '../command';
import { errorCodeOf, isUserCaused } from '../../src/core/protocol/error-codes';

/** Ctrl-C stopped the work; the command exits 130. */
export class EditCancelledError extends Error {
  override readonly name = 'EditCancelledError';
}

export const firstLine = (s: string): string => s.split('\n')[0]!;

/** The error to throw out of a command for an engine failure (an AppError, also after a thread hop). */
export function engineErrorForCli(e: unknown): Error {
  const code = errorCodeOf(e);
  const err = e instanceof Error ? e : new Error(String(e));
  if (!code) return err;
  if (code === 'CANCELLED') return new EditCancelledError(firstLine(err.message));
  const line = `${firstLine(err.message)} (${code})`;
  // Other codes keep their code: cli/exit-codes.ts classifies them through the same catalog (exit 1).
  return isUserCaused(code) ? new CliUsageError(line) : Object.assign(new Error(line, { cause: err }), { code });
}
