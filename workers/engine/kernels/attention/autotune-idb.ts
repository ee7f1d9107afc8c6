/**
 * The autotuner's browser cache (autotune.ts): one IndexedDB store of tile choices keyed by adapter + target.
 * Separate from autotune.ts so Node code (unit tests, CLI) never needs the IndexedDB types.
 */
import type { TuneCache } from './autotune';
import type { AttentionTiles } from './tiles';

const DB_NAME = 'videograin-attention-tuning';
const STORE = 'tiles';

function isTiles(x: unknown): x is AttentionTiles {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  return ['tq', 'tk', 'rq', 'rk', 'dk'].every((k) => Number.isInteger(r[k]) && (r[k] as number) > 0);
}

/** The browser cache: one IndexedDB store of tile choices keyed by adapter + target. */
export function indexedDbTuneCache(factory: IDBFactory = indexedDB): TuneCache {
  let db: Promise<IDBDatabase> | undefined;
  const open = (): Promise<IDBDatabase> =>
    (db ??= new Promise((resolve, reject) => {
      const req = factory.open(DB_NAME, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error('IndexedDB open failed'));
    }));
  const request = <T>(mode: IDBTransactionMode, run: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> =>
    open().then(
      (d) =>
        new Promise<T>((resolve, reject) => {
          const req = run(d.transaction(STORE, mode).objectStore(STORE));
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
        }),
    );
  return {
    async get(key) {
      const value = await request<unknown>('readonly', (s) => s.get(key));
      // A stale or foreign entry is ignored (and re-tuned), never trusted.
      return isTiles(value) ? value : undefined;
    },
    async set(key, tiles) {
      await request('readwrite', (s) => s.put({ ...tiles }, key));
    },
  };
}
