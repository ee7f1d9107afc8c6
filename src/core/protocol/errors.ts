/**
 * Typed errors that survive a thread hop. Comlink keeps only message/name/stack of a thrown Error, so every
 * error the user can cause carries a stable `code` (what happened; one of ./error-codes.ts) and a message that
 * says what to do; `serializeError` / `deserializeError` move both across (see ./rpc.ts).
 */
import { isErrorCode, type ErrorCode } from './error-codes';

export { ERROR_CODES, exitCodeFor, isUserCaused, type ErrorCode } from './error-codes';

export class AppError<Code extends ErrorCode = ErrorCode> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly details?: Readonly<Record<string, string | number | boolean>>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly details?: Readonly<Record<string, string | number | boolean>>;
  readonly stack?: string;
}

export function serializeError(e: unknown): SerializedError {
  if (e instanceof Error) {
    const withCode = e as Error & { code?: unknown; details?: SerializedError['details'] };
    return {
      name: e.name,
      message: e.message,
      ...(typeof withCode.code === 'string' ? { code: withCode.code } : {}),
      ...(withCode.details ? { details: withCode.details } : {}),
      ...(e.stack ? { stack: e.stack } : {}),
    };
  }
  return { name: 'Error', message: String(e) };
}

/** A code outside the catalog (an older worker build) arrives as a plain Error that keeps its `code` field. */
export function deserializeError(s: SerializedError): Error {
  const err = isErrorCode(s.code)
    ? new AppError(s.code, s.message, s.details)
    : Object.assign(new Error(s.message), s.code ? { code: s.code } : {});
  err.name = s.name;
  if (s.stack) err.stack = s.stack;
  return err;
}

/** True when `e` is an AppError with one of the given codes (works after a thread hop). */
export function hasCode<C extends ErrorCode>(e: unknown, ...codes: readonly C[]): e is AppError<C> {
  return typeof e === 'object' && e !== null && codes.includes((e as { code?: unknown }).code as C);
}
