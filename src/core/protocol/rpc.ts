/**
 * Comlink set-up shared by both ends of every worker: errors keep their `code` across the hop.
 * Import this module (for its side effect) before `Comlink.wrap` / `Comlink.expose`.
 */
import * as Comlink from 'comlink';
import { deserializeError, serializeError, type SerializedError } from './errors';

type Thrown = { isError: true; value: SerializedError } | { isError: false; value: unknown };

// Comlink's own handler recognises thrown values by a private marker: keep its test, replace the codec.
const builtin = Comlink.transferHandlers.get('throw')!;

Comlink.transferHandlers.set('throw', {
  canHandle: (value: unknown): value is { value: unknown } => builtin.canHandle(value),
  serialize({ value }: { value: unknown }) {
    const out: Thrown =
      value instanceof Error ? { isError: true, value: serializeError(value) } : { isError: false, value };
    return [out, []];
  },
  deserialize(serialized: Thrown) {
    throw serialized.isError ? deserializeError(serialized.value) : serialized.value;
  },
} as Comlink.TransferHandler<unknown, Thrown>);

export { Comlink };
