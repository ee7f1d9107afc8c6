/**
 * A remote model source over HTTP(S): Hugging Face (`<endpoint>/<repo>/resolve/<rev>/<path>`) or a base URL.
 * `stat` is a HEAD request: size from `X-Linked-Size` / Content-Length, sha256 from `X-Linked-Etag` (Hugging
 * Face announces it for LFS files) or an ETag that is a 64-hex digest; other ETags only serve as resume
 * validators. Browsers follow Hugging Face's redirect to its CDN and show the final response's headers, so
 * the hash is often unavailable there: it is optional, the size is always checked.
 * `inPlace` (the CLI's mounted folders, served by this page's own server): `remote` is false, so the loader
 * validates it where it is and the engine reads each tensor by Range request, with no copy into the cache.
 * A ranged read must come back as 206 with the asked Content-Range (or none visible, cross-origin) and length, or
 * as a 200 exactly as long as the range when the range is the whole file: a server that ignores Range would
 * otherwise send the whole file for every tensor.
 */
import { ModelError } from '../../../src/core/models/errors';
import {
  resolveFileUrl,
  sourceId,
  type ByteRange,
  type FileStat,
  type ModelSource,
  type RemoteSourceSpec,
} from '../../../src/core/models/source';

export type Fetch = typeof fetch;

const SHA256 = /^(?:W\/)?"?([0-9a-f]{64})"?$/i;

export function sha256FromHeaders(h: Headers): string | undefined {
  for (const name of ['x-linked-etag', 'etag']) {
    const m = SHA256.exec(h.get(name)?.trim() ?? '');
    if (m) return m[1]!.toLowerCase();
  }
  return undefined;
}

export function cancelled(): ModelError {
  return new ModelError(
    'CANCELLED',
    'Download cancelled. Files already downloaded stay cached; start again to resume.',
  );
}

/** fetch with the failure modes of DESIGN §7 turned into ModelErrors. */
export async function fetchChecked(doFetch: Fetch, url: string, path: string, init: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await doFetch(url, init);
  } catch (e) {
    if (init.signal?.aborted) throw cancelled();
    throw new ModelError(
      'MODEL_NETWORK',
      `Cannot reach ${url} (${(e as Error).message}). Check the connection; a custom server must allow CORS from this page (Access-Control-Allow-Origin, and expose Content-Length/Content-Range/ETag).`,
      { file: path, url },
    );
  }
  if (res.status === 404)
    throw new ModelError(
      'MODEL_FILE_NOT_FOUND',
      `${path} is not in the model source (HTTP 404 for ${url}). Check the repo id, revision and file layout.`,
      {
        file: path,
        url,
        status: 404,
      },
    );
  if (!res.ok) {
    const hint =
      res.status === 401 || res.status === 403
        ? ' The repository may be gated or private: accept its license on the hub or use a local folder.'
        : '';
    throw new ModelError('MODEL_HTTP', `HTTP ${res.status} for ${url}.${hint}`, {
      file: path,
      url,
      status: res.status,
    });
  }
  return res;
}

/** `Content-Range: bytes a-b/size` → [a, b + 1), or undefined when absent or malformed. */
function contentRange(h: Headers): { start: number; end: number } | undefined {
  const m = /^bytes (\d+)-(\d+)\/(?:\d+|\*)$/.exec(h.get('content-range')?.trim() ?? '');
  return m ? { start: Number(m[1]), end: Number(m[2]) + 1 } : undefined;
}

export class HttpModelSource implements ModelSource {
  /** False for an in-place source (read by range, never cached). */
  readonly remote: boolean;
  readonly id: string;

  constructor(
    readonly spec: RemoteSourceSpec,
    private readonly doFetch: Fetch = (input, init) => fetch(input, init),
    options: { readonly inPlace?: boolean } = {},
  ) {
    this.id = sourceId(spec);
    this.remote = options.inPlace !== true;
  }

  url(path: string): string {
    return resolveFileUrl(this.spec, path);
  }

  async list(): Promise<null> {
    return null;
  }

  async stat(path: string, signal?: AbortSignal): Promise<FileStat | null> {
    try {
      const res = await fetchChecked(this.doFetch, this.url(path), path, { method: 'HEAD', signal, cache: 'no-store' });
      const size = Number(res.headers.get('x-linked-size') ?? res.headers.get('content-length'));
      if (!Number.isSafeInteger(size) || size < 0)
        throw new ModelError('MODEL_HTTP', `${this.url(path)} did not announce a size (Content-Length).`, {
          file: path,
        });
      const sha256 = sha256FromHeaders(res.headers);
      const etag = res.headers.get('x-linked-etag') ?? res.headers.get('etag') ?? undefined;
      return { size, ...(sha256 ? { sha256 } : {}), ...(etag ? { etag } : {}) };
    } catch (e) {
      if (e instanceof ModelError && e.code === 'MODEL_FILE_NOT_FOUND') return null;
      throw e;
    }
  }

  /**
   * Whole-file or ranged read into memory (configs, headers; an in-place source's tensors); a remote source's
   * weights are streamed by the downloader. A ranged read checks the reply is that range (see the header).
   */
  async read(path: string, range?: ByteRange, signal?: AbortSignal): Promise<Uint8Array> {
    if (range && range.end <= range.start) return new Uint8Array(0);
    const headers: Record<string, string> = range ? { Range: `bytes=${range.start}-${range.end - 1}` } : {};
    const url = this.url(path);
    const res = await fetchChecked(this.doFetch, url, path, { headers, signal, cache: 'no-store' });
    if (range) {
      const length = range.end - range.start;
      const got = res.status === 206 ? contentRange(res.headers) : undefined;
      // Cross-origin replies may hide Content-Range (not CORS-safelisted): a 206 without one is taken as the
      // range asked for, and its length is checked below (as the downloader does).
      const isRange = res.status === 206 && (got === undefined || (got.start === range.start && got.end === range.end));
      const announced = Number(res.headers.get('content-length') ?? NaN);
      const isWholeFile = res.status === 200 && range.start === 0 && announced === length;
      if (!isRange && !isWholeFile) {
        await res.body?.cancel().catch(() => undefined);
        throw new ModelError(
          'MODEL_HTTP',
          `${url} answered a request for bytes ${range.start}-${range.end - 1} with HTTP ${res.status}` +
            `${got ? ` (Content-Range bytes ${got.start}-${got.end - 1})` : ''}, not that range: the server must support Range requests (206 Partial Content). Use a server that does, or a local folder.`,
          { file: path, url, status: res.status },
        );
      }
      const bytes = new Uint8Array(await res.arrayBuffer());
      if (bytes.byteLength !== length)
        throw new ModelError(
          'MODEL_HTTP',
          `${url}: ${bytes.byteLength} bytes received for a ${length}-byte range; the transfer was cut short. Try again.`,
          { file: path, url, status: res.status },
        );
      return bytes;
    }
    return new Uint8Array(await res.arrayBuffer());
  }
}
