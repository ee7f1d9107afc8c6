import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliUsageError } from './command.ts';

/** node:util parseArgs with unknown options reported as usage errors. */
export function parseCliArgs<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new CliUsageError((e as Error).message);
  }
}

export function intOption(
  value: string | undefined,
  name: string,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new CliUsageError(`--${name} must be an integer in [${min}, ${max}], got "${value}"`);
  return n;
}
