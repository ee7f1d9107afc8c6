/**
 * Keys in region order: the table the row kernel's one-pass modulated form walks (rows.ts, stage 'grouped').
 *
 * R[q, k] = (queryBits[q] & keyBits[k]) ≠ 0 (DESIGN §3.4) depends on the key only through its bits, and softmax
 * is invariant under a permutation of the keys. Sorting the keys by their bits therefore splits the key axis into
 * runs of equal bits — one run per distinct value, a handful per edit (one per region overlap combination plus
 * "no region") — over which R is constant for every query. A kernel that visits the keys run by run knows R per
 * run instead of per key, so each key's P·V goes to one of two accumulators chosen once per run.
 *
 * Layout (u32): [G, then G × (start, end, bits), then perm[Nk]]. Run g covers slots [start, end) of perm;
 * perm[slot] is the original key index. Runs are in ascending bits; keys within a run in ascending index.
 */

/** u32 words of the table for `keys` keys in `runs` runs. */
export const keyOrderWords = (keys: number, runs: number): number => 1 + 3 * runs + keys;

export interface KeyOrder {
  /** Distinct key bit values (runs). */
  readonly runs: number;
  readonly table: Uint32Array;
}

export function keyRegionOrder(keyBits: Uint32Array): KeyOrder {
  const counts = new Map<number, number>();
  for (const b of keyBits) counts.set(b, (counts.get(b) ?? 0) + 1);
  const values = [...counts.keys()].sort((a, b) => a - b);
  const table = new Uint32Array(keyOrderWords(keyBits.length, values.length));
  table[0] = values.length;
  const permBase = 1 + 3 * values.length;
  // Counting sort: each value's next free slot, in ascending key index.
  const next = new Map<number, number>();
  let start = 0;
  values.forEach((bits, g) => {
    const end = start + counts.get(bits)!;
    table.set([start, end, bits], 1 + 3 * g);
    next.set(bits, start);
    start = end;
  });
  keyBits.forEach((bits, k) => {
    const slot = next.get(bits)!;
    table[permBase + slot] = k;
    next.set(bits, slot + 1);
  });
  return { runs: values.length, table };
}
