/**
 * Byte-range reads of a local file for streamed weights (workers/engine/models/weights.ts): each read opens
 * the file, reads [start, end) at its offset with FileHandle.read and closes it, so no whole file is ever in
 * memory (files over 2 GiB work; `readFile` refuses them) and no handle outlives a read. Also a local folder
 * as a ModelSource (NodeFolderSource) for the loader's checks.
 */
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelError } from '../../src/core/models/errors';
import { checkRelativePath, type ByteRange, type FileStat, type ModelSource } from '../../src/core/models/source';
import type { RangeReader } from '../../workers/engine/models/weights';

export async function fileRangeReader(path: string): Promise<RangeReader> {
  const { size } = await stat(path);
  return {
    size,
    async read(start, end) {
      if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && 0 <= start && start <= end && end <= size))
        throw new RangeError(`${path}: byte range [${start}, ${end}) is outside the ${size}-byte file`);
      const out = new Uint8Array(end - start);
      const handle = await open(path, 'r');
      try {
        let done = 0;
        while (done < out.byteLength) {
          const { bytesRead } = await handle.read(out, done, out.byteLength - done, start + done);
          if (bytesRead === 0) throw new Error(`${path}: file ended at byte ${start + done}, ${end} expected`);
          done += bytesRead;
        }
      } finally {
        await handle.close();
      }
      return out;
    },
  };
}

/**
 * A local folder as a ModelSource (the Node side of the app's directory-handle source), for the loader
 * (src/core/models/resolve.ts, validate.ts) and for streamed weights: `read` with a range reads only it.
 */
export class NodeFolderSource implements ModelSource {
  readonly remote = false;
  constructor(readonly id: string) {}

  /** Probed file by file (stat follows symlinks, which a recursive listing would not). */
  async list(): Promise<null> {
    return null;
  }

  async stat(path: string): Promise<FileStat | null> {
    const s = await stat(join(this.id, checkRelativePath(path))).catch(() => null);
    return s?.isFile() ? { size: s.size } : null;
  }

  async read(path: string, range?: ByteRange): Promise<Uint8Array> {
    const file = join(this.id, checkRelativePath(path));
    const reader = await fileRangeReader(file).catch(() => {
      throw new ModelError('MODEL_FILE_NOT_FOUND', `${this.id} has no ${path}`, { file: path });
    });
    return reader.read(range?.start ?? 0, Math.min(range?.end ?? reader.size, reader.size));
  }
}
