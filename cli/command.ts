/** What every `videograin` sub-command provides. */
export interface CliCommand {
  readonly name: string;
  /** One line for `videograin --help`. */
  readonly summary: string;
  readonly usage: string;
  /** Returns the process exit code; bad input → a one-line reason on stderr and a non-zero code. */
  run(argv: string[]): Promise<number>;
}

/** A failure the user caused: printed as one line, exit code 2. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}
