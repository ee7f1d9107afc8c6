/**
 * Streaming model download into the OPFS cache (DESIGN §4, §7):
 * 1. a complete, valid manifest in the cache → no network at all;
 * 2. otherwise resolve the files with HEAD requests (fp16 first, fp32 on 404), check the storage quota for
 *    the bytes still missing (navigator.storage.estimate) → MODEL_QUOTA before any download;
 * 3. stream each file (byte progress, rate, ETA), resuming with `Range: bytes=<have>-` after a cut
 *    connection or from a partial file of an earlier attempt (same size and validator); a server that ignores
 *    Range (200) or a changed file gets a clean restart. Attempts continue while they make progress; a file
 *    that stops growing short of its size is MODEL_TRUNCATED, one that grows past it MODEL_INTEGRITY;
 * 4. verify sizes and, when the source announced one, the sha256; then validate headers and configs.
 * Cancel with an AbortSignal (CANCELLED; what arrived stays cached for resuming).
 */
import { ModelError, formatBytes } from '../../../src/core/models/errors';
import type { ModelKind, ResolvedFile, WeightsPrecision } from '../../../src/core/models/files';
import { resolveModelFiles } from '../../../src/core/models/resolve';
import { validateModel, type ValidatedModel } from '../../../src/core/models/validate';
import type { ModelLoadProgress } from '../../../src/core/protocol/engine';
import type { OpfsModelCache } from './cache';
import { cancelled, fetchChecked, type Fetch, type HttpModelSource } from './http-source';

/** Byte progress of a load: the protocol's type, so it crosses the worker boundary unchanged. */
export type DownloadProgress = ModelLoadProgress;

export interface StorageEstimateLike {
  readonly quota?: number;
  readonly usage?: number;
}

export interface DownloadOptions {
  readonly kind: ModelKind;
  readonly precision?: WeightsPrecision;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: DownloadProgress) => void;
  /** Attempts per file without progress before giving up. */
  readonly stallAttempts?: number;
  readonly estimate?: () => Promise<StorageEstimateLike>;
  readonly fetch?: Fetch;
  readonly now?: () => number;
}

const PROGRESS_INTERVAL_MS = 100;

class Progress {
  private readonly start: number;
  private last = -Infinity;
  downloaded = 0;
  bytes = 0;

  constructor(
    readonly total: number,
    private readonly emit: ((p: DownloadProgress) => void) | undefined,
    private readonly now: () => number,
  ) {
    this.start = now();
  }

  report(phase: DownloadProgress['phase'], file: ResolvedFile | undefined, fileBytes: number, force = false): void {
    if (!this.emit) return;
    const t = this.now();
    if (!force && t - this.last < PROGRESS_INTERVAL_MS) return;
    this.last = t;
    const seconds = (t - this.start) / 1000;
    const rate = seconds > 0 ? this.downloaded / seconds : 0;
    this.emit({
      phase,
      ...(file ? { file: file.path } : {}),
      fileBytes,
      fileTotal: file?.size ?? 0,
      bytes: this.bytes,
      total: this.total,
      downloaded: this.downloaded,
      bytesPerSecond: rate,
      etaSeconds: rate > 0 ? (this.total - this.bytes) / rate : null,
      fromCache: false,
    });
  }
}

async function checkQuota(needed: number, estimate: () => Promise<StorageEstimateLike>): Promise<void> {
  if (needed <= 0) return;
  const e = await estimate().catch(() => ({}) as StorageEstimateLike);
  if (e.quota === undefined) return; // unknown: the write itself will report QuotaExceededError
  const free = e.quota - (e.usage ?? 0);
  if (needed > free)
    throw new ModelError(
      'MODEL_QUOTA',
      `Not enough browser storage: the model needs ${formatBytes(needed)} more but only ${formatBytes(Math.max(0, free))} is available. Delete cached models or other site data, or use a local folder.`,
      { needed, free },
    );
}

/** Downloads one file into the cache, resuming from `have` bytes. */
async function downloadFile(
  source: HttpModelSource,
  cache: OpfsModelCache,
  file: ResolvedFile,
  have: number,
  progress: Progress,
  o: DownloadOptions,
  doFetch: Fetch,
): Promise<void> {
  const url = source.url(file.path);
  let stalls = 0;
  while (have < file.size) {
    if (o.signal?.aborted) throw cancelled();
    const headers: Record<string, string> = have > 0 ? { Range: `bytes=${have}-` } : {};
    if (have > 0 && file.etag) headers['If-Range'] = file.etag;
    const before = have;
    let res: Response;
    try {
      res = await fetchChecked(doFetch, url, file.path, { headers, signal: o.signal, cache: 'no-store' });
    } catch (e) {
      if (e instanceof ModelError && e.code === 'MODEL_NETWORK' && ++stalls < (o.stallAttempts ?? 3)) continue;
      throw e;
    }
    const range = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
    // Cross-origin responses may hide Content-Range (not CORS-safelisted): a 206 to our single open-ended
    // range is then taken as starting where we asked; the Content-Length check below still applies.
    const resumed = res.status === 206 && (range ? Number(range[1]) === have : true);
    if (have > 0 && !resumed) {
      progress.bytes -= have; // the server sends the whole file: clean restart
      have = 0;
    }
    const length = Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(length) && have + length !== file.size) {
      await res.body?.cancel();
      throw new ModelError(
        'MODEL_INTEGRITY',
        `${file.path} changed on the server (it now sends ${have + length} bytes, ${file.size} were announced). Start the download again.`,
        { file: file.path },
      );
    }
    const writer = await cache.openWriter(source.id, file.path, have);
    const reader = res.body!.getReader();
    let failure: unknown;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (have + value.byteLength > file.size) {
          failure = new ModelError('MODEL_INTEGRITY', `${file.path} is longer than the ${file.size} bytes announced.`, {
            file: file.path,
          });
          break;
        }
        await writer.write(value);
        have += value.byteLength;
        progress.bytes += value.byteLength;
        progress.downloaded += value.byteLength;
        progress.report('downloading', file, have);
      }
    } catch (e) {
      failure = o.signal?.aborted ? cancelled() : e instanceof ModelError ? e : null; // null: connection cut → resume
    } finally {
      await writer.close();
    }
    if (failure) {
      await reader.cancel().catch(() => {});
      throw failure;
    }
    if (have < file.size) {
      stalls = have > before ? 0 : stalls + 1;
      if (stalls >= (o.stallAttempts ?? 3))
        throw new ModelError(
          'MODEL_TRUNCATED',
          `${file.path} is truncated: the server sent ${have} of ${file.size} bytes and then stopped. Try again later; what arrived is kept and the download resumes.`,
          { file: file.path, expected: file.size, actual: have },
        );
    }
  }
  progress.report('downloading', file, have, true);
}

/** Bytes already cached for a file that can be resumed (same size/validator as the manifest recorded). */
function resumable(previous: readonly ResolvedFile[] | undefined, f: ResolvedFile, cached: number): number {
  const p = previous?.find((x) => x.path === f.path);
  if (!p || p.size !== f.size || p.etag !== f.etag || p.sha256 !== f.sha256) return 0;
  return cached <= f.size ? cached : 0;
}

export async function downloadModel(
  source: HttpModelSource,
  cache: OpfsModelCache,
  o: DownloadOptions,
): Promise<ValidatedModel> {
  const precision = o.precision ?? 'fp16';
  const now = o.now ?? (() => performance.now());
  const doFetch = o.fetch ?? ((input, init) => fetch(input, init));
  const manifest = await cache.readManifest(source.id, o.kind, precision);
  if (manifest?.complete) {
    const cached = await cache.source(source.id);
    const total = manifest.files.reduce((a, f) => a + f.size, 0);
    const model = await validateModel(cached, o.kind, manifest.files, o.signal);
    o.onProgress?.({
      phase: 'done',
      fileBytes: 0,
      fileTotal: 0,
      bytes: total,
      total,
      downloaded: 0,
      bytesPerSecond: 0,
      etaSeconds: 0,
      fromCache: true,
    });
    return model;
  }
  o.onProgress?.({
    phase: 'resolving',
    fileBytes: 0,
    fileTotal: 0,
    bytes: 0,
    total: 0,
    downloaded: 0,
    bytesPerSecond: 0,
    etaSeconds: null,
    fromCache: false,
  });
  const files = await resolveModelFiles(source, o.kind, precision);
  if (o.signal?.aborted) throw cancelled();
  const have = new Map<string, number>();
  for (const f of files) have.set(f.path, resumable(manifest?.files, f, await cache.cachedSize(source.id, f.path)));
  const total = files.reduce((a, f) => a + f.size, 0);
  const cachedBytes = [...have.values()].reduce((a, b) => a + b, 0);
  await checkQuota(total - cachedBytes, o.estimate ?? (() => navigator.storage.estimate()));
  // Ask the browser not to evict the cache under storage pressure (best effort; window-only API, so in the
  // engine worker the UI should have asked already).
  const storage = navigator.storage as StorageManager & { persist?: () => Promise<boolean> };
  await storage.persist?.().catch(() => false);
  await cache.writeManifest({ version: 1, sourceId: source.id, kind: o.kind, precision, complete: false, files });

  const progress = new Progress(total, o.onProgress, now);
  progress.bytes = cachedBytes;
  for (const f of files) await downloadFile(source, cache, f, have.get(f.path)!, progress, o, doFetch);

  for (const f of files) {
    const size = await cache.cachedSize(source.id, f.path);
    if (size !== f.size)
      throw new ModelError('MODEL_TRUNCATED', `${f.path}: ${size} of ${f.size} bytes in the cache.`, { file: f.path });
    if (f.sha256) {
      progress.report('verifying', f, size, true);
      const digest = await cache.sha256(source.id, f.path, o.signal);
      if (digest !== f.sha256) {
        await cache.removeFile(source.id, f.path);
        throw new ModelError(
          'MODEL_INTEGRITY',
          `${f.path} is corrupt: sha256 ${digest.slice(0, 12)}… but the source announced ${f.sha256.slice(0, 12)}…. The file was deleted; download again.`,
          { file: f.path },
        );
      }
    }
  }
  const model = await validateModel(await cache.source(source.id), o.kind, files, o.signal);
  await cache.writeManifest({ version: 1, sourceId: source.id, kind: o.kind, precision, complete: true, files });
  progress.report('done', undefined, 0, true);
  return model;
}
