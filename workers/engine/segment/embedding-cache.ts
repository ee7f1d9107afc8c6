/**
 * Frame embeddings of the segmenter, cached per (clipKey, frameIndex) in host memory within a byte budget,
 * least recently used dropped first (issue 18). A different clipKey means the frames changed: everything goes.
 * SAM 2.1 tiny's embeddings are 16 MiB per frame (fp32: 32×256² + 64×128² + 256×64²), so the default
 * 512 MiB budget keeps 32 frames — a whole clip of the sizes VideoGrain edits.
 */

export const DEFAULT_EMBEDDING_BUDGET_BYTES = 512 * 1024 * 1024;

export class EmbeddingCache<T> {
  private clipKey: string | undefined;
  /** Insertion order is recency order: a hit is re-inserted at the end. */
  private readonly entries = new Map<number, { readonly value: T; readonly bytes: number }>();
  private used = 0;

  constructor(readonly budgetBytes: number = DEFAULT_EMBEDDING_BUDGET_BYTES) {}

  get(clipKey: string, frame: number): T | undefined {
    if (clipKey !== this.clipKey) return undefined;
    const hit = this.entries.get(frame);
    if (!hit) return undefined;
    this.entries.delete(frame);
    this.entries.set(frame, hit);
    return hit.value;
  }

  set(clipKey: string, frame: number, value: T, bytes: number): void {
    if (clipKey !== this.clipKey) {
      this.clear();
      this.clipKey = clipKey;
    }
    const old = this.entries.get(frame);
    if (old) {
      this.used -= old.bytes;
      this.entries.delete(frame);
    }
    // One embedding over the budget is still used for this click, just not kept.
    if (bytes > this.budgetBytes) return;
    while (this.used + bytes > this.budgetBytes) {
      const [oldest, entry] = this.entries.entries().next().value as [number, { bytes: number }];
      this.entries.delete(oldest);
      this.used -= entry.bytes;
    }
    this.entries.set(frame, { value, bytes });
    this.used += bytes;
  }

  clear(): void {
    this.entries.clear();
    this.used = 0;
    this.clipKey = undefined;
  }

  get bytes(): number {
    return this.used;
  }

  get frames(): readonly number[] {
    return [...this.entries.keys()];
  }
}
