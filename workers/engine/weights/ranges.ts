/**
 * A file of a ModelSource as a RangeReader for streamed weights (../models/weights.ts): every tensor is one
 * `read(path, range)` — `Blob.slice` for local folders and OPFS files, an HTTP Range request for URL sources
 * and the CLI's mounted folders. A source that answers with a different length (a server ignoring Range) is an
 * error naming the file rather than a silent whole-file download per tensor.
 */
import { ModelError } from '../../../src/core/models/errors';
import type { ModelSource } from '../../../src/core/models/source';
import type { RangeReader } from '../models/weights';

export function sourceRangeReader(source: ModelSource, path: string, size: number): RangeReader {
  return {
    size,
    async read(start, end) {
      const bytes = await source.read(path, { start, end });
      if (bytes.byteLength !== end - start)
        throw new ModelError(
          'MODEL_TRUNCATED',
          `${source.id}: ${path} gave ${bytes.byteLength} bytes for the range [${start}, ${end}). The file changed or is truncated, or the server ignores Range requests; download the model again.`,
          { file: path, expected: end - start, actual: bytes.byteLength },
        );
      return bytes;
    },
  };
}

/** Opens `path` of `source` for range reads; `size` from the resolved files, else one `stat`. */
export async function openSourceFile(source: ModelSource, path: string, size?: number): Promise<RangeReader> {
  if (size !== undefined) return sourceRangeReader(source, path, size);
  const stat = await source.stat(path);
  if (!stat) throw new ModelError('MODEL_FILE_NOT_FOUND', `${source.id} has no ${path}.`, { file: path });
  return sourceRangeReader(source, path, stat.size);
}
