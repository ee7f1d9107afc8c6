/** An in-memory ModelSource for tests; counts bytes read (validation must not read whole weights files). */
import type { ByteRange, ModelSource } from '../../src/core/models/source';

export class MemorySource implements ModelSource {
  readonly remote = false;
  bytesRead = 0;
  constructor(
    readonly files: Record<string, Uint8Array>,
    readonly id = 'memory',
    private readonly listable = true,
  ) {}
  async list() {
    return this.listable ? Object.keys(this.files) : null;
  }
  async stat(path: string) {
    const f = this.files[path];
    return f ? { size: f.byteLength } : null;
  }
  async read(path: string, range?: ByteRange) {
    const f = this.files[path]!;
    const out = range ? f.subarray(range.start, range.end) : f;
    this.bytesRead += out.byteLength;
    return out;
  }
}
