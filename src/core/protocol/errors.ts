/**
 * Typed errors that survive a thread hop. Comlink keeps only message/name/stack of a thrown Error, so every
 * error the user can cause carries a stable `code` (what happened) and a message that says what to do;
 * `serializeError` / `deserializeError` move both across (see ./rpc.ts).
 */

export class AppError<Code extends string = string> extends Error {
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

export function deserializeError(s: SerializedError): Error {
  const err = s.code ? new AppError(s.code, s.message, s.details) : new Error(s.message);
  err.name = s.name;
  if (s.stack) err.stack = s.stack;
  return err;
}

/** True when `e` is an AppError with one of the given codes (works after a thread hop). */
export function hasCode<C extends string>(e: unknown, ...codes: C[]): e is AppError<C> {
  return typeof e === 'object' && e !== null && codes.includes((e as { code?: unknown }).code as C);
}
