/**
 * Local model folders as ModelSources: a `FileSystemDirectoryHandle` (directory picker, a dropped folder, or
 * the OPFS cache folder) or a list of dropped files with their relative paths. Reads are `Blob.slice` ranges,
 * so checking a 1.7 GB file's header reads a few kilobytes.
 */
import { ModelError } from '../../../src/core/models/errors';
import { checkRelativePath, type ByteRange, type FileStat, type ModelSource } from '../../../src/core/models/source';

function notFound(id: string, path: string): ModelError {
  return new ModelError(
    'MODEL_FILE_NOT_FOUND',
    `${id} has no ${path}. Pick the folder that contains model_index.json (or config.json for a ControlNet).`,
    {
      file: path,
    },
  );
}

async function readBlob(blob: Blob, range?: ByteRange): Promise<Uint8Array> {
  const part = range ? blob.slice(range.start, range.end) : blob;
  return new Uint8Array(await part.arrayBuffer());
}

/** Resolves a relative path to a file handle, or null. */
export async function fileHandleAt(
  root: FileSystemDirectoryHandle,
  path: string,
): Promise<FileSystemFileHandle | null> {
  const parts = checkRelativePath(path).split('/');
  let dir = root;
  try {
    for (const p of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(p);
    return await dir.getFileHandle(parts[parts.length - 1]!);
  } catch (e) {
    if ((e as DOMException).name === 'NotFoundError' || (e as DOMException).name === 'TypeMismatchError') return null;
    throw e;
  }
}

export class DirectoryModelSource implements ModelSource {
  readonly remote = false;

  constructor(
    private readonly root: FileSystemDirectoryHandle,
    readonly id: string = root.name,
  ) {}

  async list(): Promise<null> {
    return null; // probing a dozen paths is cheaper than walking a folder that may hold other checkpoints
  }

  async file(path: string): Promise<File | null> {
    const h = await fileHandleAt(this.root, path);
    return h ? h.getFile() : null;
  }

  async stat(path: string): Promise<FileStat | null> {
    const f = await this.file(path);
    return f ? { size: f.size } : null;
  }

  async read(path: string, range?: ByteRange): Promise<Uint8Array> {
    const f = await this.file(path);
    if (!f) throw notFound(this.id, path);
    return readBlob(f, range);
  }
}

/**
 * Dropped files (`DataTransfer` / `<input webkitdirectory>`): paths are `webkitRelativePath` (or the given
 * names) with the common top folder removed, so dropping "sd15/" or its contents both work.
 */
export class FileListModelSource implements ModelSource {
  readonly remote = false;
  private readonly files = new Map<string, Blob>();

  constructor(
    entries: readonly { readonly path: string; readonly file: Blob }[],
    readonly id = 'dropped files',
  ) {
    const split = entries.map((e) => e.path.replace(/^\/+/, '').split('/'));
    const first = split[0]?.[0];
    const strip = split.length > 0 && split.every((s) => s.length > 1 && s[0] === first) ? 1 : 0;
    entries.forEach((e, i) => this.files.set(split[i]!.slice(strip).join('/'), e.file));
  }

  static fromFiles(files: Iterable<File>, id?: string): FileListModelSource {
    return new FileListModelSource(
      [...files].map((file) => ({ path: file.webkitRelativePath || file.name, file })),
      id,
    );
  }

  async list(): Promise<string[]> {
    return [...this.files.keys()];
  }

  async stat(path: string): Promise<FileStat | null> {
    const f = this.files.get(path);
    return f ? { size: f.size } : null;
  }

  async read(path: string, range?: ByteRange): Promise<Uint8Array> {
    const f = this.files.get(path);
    if (!f) throw notFound(this.id, path);
    return readBlob(f, range);
  }
}
