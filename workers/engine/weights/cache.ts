/**
 * The persistent model cache in the Origin Private File System (OPFS).
 *
 * Why OPFS and not Cache Storage: a download must resume after an interruption or a reload, which needs
 * appending to a partial file (Cache Storage stores whole Responses only), and the graph builder reads
 * byte ranges of multi-gigabyte weights (`File.slice`) without loading them. In the engine worker, writes go
 * through a `FileSystemSyncAccessHandle` (in place, flushed every few MiB, so a reload keeps what arrived);
 * on the main thread (tests, UI) through `createWritable` (committed when the writer closes, including after a
 * network error, so the next attempt resumes).
 *
 * Layout: `<root>/<encodeURIComponent(sourceId)>/<diffusers path>` plus `manifest.<kind>.<precision>.json`
 * per model: the resolved file list and whether every file completed and passed its checks.
 */
import { ModelError } from '../../../src/core/models/errors';
import type { ModelKind, ResolvedFile, WeightsPrecision } from '../../../src/core/models/files';
import { Sha256 } from '../../../src/core/models/sha256';
import { checkRelativePath } from '../../../src/core/models/source';
import { DirectoryModelSource, fileHandleAt } from './local-source';

export const DEFAULT_CACHE_ROOT = 'videograin-models';

export interface CacheManifest {
  readonly version: 1;
  readonly sourceId: string;
  readonly kind: ModelKind;
  readonly precision: WeightsPrecision;
  readonly complete: boolean;
  readonly files: readonly ResolvedFile[];
}

export interface FileWriter {
  write(chunk: Uint8Array): Promise<void>;
  /** Commits what was written (also after a failed transfer: the next attempt resumes from there). */
  close(): Promise<void>;
}

/** The worker-only handle (typed here: the DOM lib of the UI/test build does not declare it). */
interface SyncAccessHandle {
  write(buffer: Uint8Array, options: { at: number }): number;
  truncate(size: number): void;
  flush(): void;
  close(): void;
}
type MaybeSync = FileSystemFileHandle & { createSyncAccessHandle?: () => Promise<SyncAccessHandle> };

const FLUSH_EVERY = 16 * 2 ** 20;

function storageError(what: string, e: unknown): ModelError {
  const name = (e as DOMException | undefined)?.name;
  if (name === 'QuotaExceededError')
    return new ModelError(
      'MODEL_QUOTA',
      `Browser storage is full while ${what}. Free space (delete cached models or other site data) and try again.`,
    );
  return new ModelError(
    'MODEL_STORAGE',
    `The browser cache failed while ${what} (${(e as Error)?.message ?? String(e)}).`,
  );
}

export class OpfsModelCache {
  constructor(
    readonly rootName: string = DEFAULT_CACHE_ROOT,
    private readonly getRoot: () => Promise<FileSystemDirectoryHandle> = () => navigator.storage.getDirectory(),
  ) {}

  private async root(): Promise<FileSystemDirectoryHandle> {
    try {
      return await (await this.getRoot()).getDirectoryHandle(this.rootName, { create: true });
    } catch (e) {
      throw storageError('opening the model cache (is this a private window?)', e);
    }
  }

  async modelDir(sourceId: string): Promise<FileSystemDirectoryHandle> {
    return (await this.root()).getDirectoryHandle(encodeURIComponent(sourceId), { create: true });
  }

  /** The cached files of a source, as a ModelSource. */
  async source(sourceId: string): Promise<DirectoryModelSource> {
    return new DirectoryModelSource(await this.modelDir(sourceId), `cache:${sourceId}`);
  }

  private manifestName(kind: ModelKind, precision: WeightsPrecision): string {
    return `manifest.${kind}.${precision}.json`;
  }

  async readManifest(sourceId: string, kind: ModelKind, precision: WeightsPrecision): Promise<CacheManifest | null> {
    const h = await fileHandleAt(await this.modelDir(sourceId), this.manifestName(kind, precision));
    if (!h) return null;
    try {
      const m = JSON.parse(await (await h.getFile()).text()) as CacheManifest;
      return m.version === 1 && m.sourceId === sourceId && Array.isArray(m.files) ? m : null;
    } catch {
      return null; // a torn manifest means "not cached": the files are re-checked and resumed
    }
  }

  async writeManifest(m: CacheManifest): Promise<void> {
    const dir = await this.modelDir(m.sourceId);
    const h = await dir.getFileHandle(this.manifestName(m.kind, m.precision), { create: true });
    try {
      const w = await h.createWritable();
      await w.write(JSON.stringify(m));
      await w.close();
    } catch (e) {
      throw storageError('writing the cache manifest', e);
    }
  }

  private async fileHandle(sourceId: string, path: string, create: boolean): Promise<FileSystemFileHandle | null> {
    if (!create) return fileHandleAt(await this.modelDir(sourceId), path);
    const parts = checkRelativePath(path).split('/');
    let dir = await this.modelDir(sourceId);
    for (const p of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(p, { create: true });
    return dir.getFileHandle(parts[parts.length - 1]!, { create: true });
  }

  /** Bytes of a (possibly partial) cached file; 0 when absent. */
  async cachedSize(sourceId: string, path: string): Promise<number> {
    const h = await this.fileHandle(sourceId, path, false);
    return h ? (await h.getFile()).size : 0;
  }

  /** A writer that continues the file at `offset` (dropping anything after it). */
  async openWriter(sourceId: string, path: string, offset: number): Promise<FileWriter> {
    const h = (await this.fileHandle(sourceId, path, true)) as MaybeSync;
    try {
      if (typeof h.createSyncAccessHandle === 'function') {
        const sync = await h.createSyncAccessHandle();
        sync.truncate(offset);
        let at = offset;
        let unflushed = 0;
        return {
          async write(chunk) {
            try {
              at += sync.write(chunk, { at });
            } catch (e) {
              throw storageError(`writing ${path}`, e);
            }
            unflushed += chunk.byteLength;
            if (unflushed >= FLUSH_EVERY) {
              sync.flush();
              unflushed = 0;
            }
          },
          async close() {
            sync.flush();
            sync.close();
          },
        };
      }
      const w = await h.createWritable({ keepExistingData: offset > 0 });
      if (offset > 0) {
        await w.truncate(offset);
        await w.seek(offset);
      }
      return {
        async write(chunk) {
          try {
            await w.write(chunk as Uint8Array<ArrayBuffer>);
          } catch (e) {
            throw storageError(`writing ${path}`, e);
          }
        },
        async close() {
          await w.close();
        },
      };
    } catch (e) {
      if (e instanceof ModelError) throw e;
      throw storageError(`opening ${path} for writing`, e);
    }
  }

  async removeFile(sourceId: string, path: string): Promise<void> {
    const parts = checkRelativePath(path).split('/');
    let dir = await this.modelDir(sourceId);
    try {
      for (const p of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(p);
      await dir.removeEntry(parts[parts.length - 1]!);
    } catch (e) {
      if ((e as DOMException).name !== 'NotFoundError') throw storageError(`deleting ${path}`, e);
    }
  }

  /** sha256 of a cached file, streamed. */
  async sha256(sourceId: string, path: string, signal?: AbortSignal): Promise<string> {
    const h = await this.fileHandle(sourceId, path, false);
    if (!h) throw new ModelError('MODEL_STORAGE', `${path} vanished from the browser cache.`);
    const hash = new Sha256();
    const reader = (await h.getFile()).stream().getReader();
    for (;;) {
      if (signal?.aborted) {
        await reader.cancel();
        throw new ModelError('CANCELLED', 'Cancelled while verifying the download.');
      }
      const { done, value } = await reader.read();
      if (done) return hash.hex();
      hash.update(value);
    }
  }

  /** Cached sources and their sizes ("Manage models" view). */
  async list(): Promise<{ sourceId: string; bytes: number }[]> {
    const out: { sourceId: string; bytes: number }[] = [];
    const sizeOf = async (dir: FileSystemDirectoryHandle): Promise<number> => {
      let n = 0;
      for await (const entry of (dir as unknown as { values(): AsyncIterable<FileSystemHandle> }).values())
        n +=
          entry.kind === 'file'
            ? (await (entry as FileSystemFileHandle).getFile()).size
            : await sizeOf(entry as FileSystemDirectoryHandle);
      return n;
    };
    const root = await this.root();
    for await (const entry of (root as unknown as { values(): AsyncIterable<FileSystemHandle> }).values())
      if (entry.kind === 'directory')
        out.push({ sourceId: decodeURIComponent(entry.name), bytes: await sizeOf(entry as FileSystemDirectoryHandle) });
    return out;
  }

  /** Deletes one source's cached files. */
  async delete(sourceId: string): Promise<void> {
    try {
      await (await this.root()).removeEntry(encodeURIComponent(sourceId), { recursive: true });
    } catch (e) {
      if ((e as DOMException).name !== 'NotFoundError') throw storageError(`deleting ${sourceId}`, e);
    }
  }

  /** "Delete cached models": removes the whole cache folder. */
  async deleteAll(): Promise<void> {
    try {
      await (await this.getRoot()).removeEntry(this.rootName, { recursive: true });
    } catch (e) {
      if ((e as DOMException).name !== 'NotFoundError') throw storageError('deleting cached models', e);
    }
  }
}
