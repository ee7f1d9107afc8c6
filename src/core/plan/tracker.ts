/**
 * Liveness bookkeeping for the memory plan: tensors held across ops (skip connections, ControlNet residuals,
 * job state) plus the transient bytes of the op running now; the peak is the largest sum seen, with its label.
 */
export class PeakTracker {
  private readonly held = new Map<string, number>();
  private heldBytes = 0;
  peak = 0;
  peakAt = '';
  largestTensor = 0;

  hold(key: string, bytes: number): void {
    this.release(key);
    this.held.set(key, bytes);
    this.heldBytes += bytes;
    this.tensor(bytes);
  }

  release(key: string): number {
    const b = this.held.get(key) ?? 0;
    this.held.delete(key);
    this.heldBytes -= b;
    return b;
  }

  /** Records one op whose own live bytes (inputs not held elsewhere, outputs, intermediates) are `local`. */
  op(label: string, local: number): void {
    const total = this.heldBytes + local;
    if (total > this.peak) {
      this.peak = total;
      this.peakAt = label;
    }
  }

  /** Notes the size of one tensor (the engine needs it under the adapter's maxBufferSize). */
  tensor(bytes: number): void {
    this.largestTensor = Math.max(this.largestTensor, bytes);
  }

  get current(): number {
    return this.heldBytes;
  }
}
