/**
 * A remote model source over HTTP(S): Hugging Face (`<endpoint>/<repo>/resolve/<rev>/<path>`) or a base URL.
 * `stat` is a HEAD request: size from `X-Linked-Size` / Content-Length, sha256 from `X-Linked-Etag` (Hugging
 * Face announces it for LFS files) or an ETag that is a 64-hex digest; other ETags only serve as resume
 * validators. Browsers follow Hugging Face's redirect to its CDN and show the final response's headers, so
 * the hash is often unavailable there: it is optional, the size is always checked.
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

export class HttpModelSource implements ModelSource {
  readonly remote = true;
  readonly id: string;

  constructor(
    readonly spec: RemoteSourceSpec,
    private readonly doFetch: Fetch = (input, init) => fetch(input, init),
  ) {
    this.id = sourceId(spec);
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

  /** Whole-file or ranged read into memory (configs, headers); weights are streamed by the downloader. */
  async read(path: string, range?: ByteRange, signal?: AbortSignal): Promise<Uint8Array> {
    const headers: Record<string, string> = range ? { Range: `bytes=${range.start}-${range.end - 1}` } : {};
    const res = await fetchChecked(this.doFetch, this.url(path), path, { headers, signal, cache: 'no-store' });
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (range && res.status === 200) return bytes.subarray(range.start, range.end);
    return bytes;
  }
}
