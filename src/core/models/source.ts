/**
 * Where model files come from. A `ModelSource` is a read-only folder of files addressed by diffusers-layout
 * paths ("unet/config.json"): a Hugging Face repo, any base URL, a local folder the user picked or dropped,
 * or the browser cache. Validation and the graph builder only ever see this interface, so they work the same
 * on every source and read byte ranges without loading whole files.
 */

export interface ByteRange {
  /** Inclusive start, exclusive end (like `Blob.slice`). */
  readonly start: number;
  readonly end: number;
}

export interface FileStat {
  readonly size: number;
  /** Lower-case hex sha256 when the source announces one (Hugging Face LFS files: X-Linked-Etag). */
  readonly sha256?: string;
  /** Opaque validator for resuming (HTTP ETag); a change means the file changed. */
  readonly etag?: string;
}

export interface ModelSource {
  /** Stable identity: the cache key of a remote source, a display name for a local one. */
  readonly id: string;
  /** True when reading costs a download (HTTP): such sources are copied into the browser cache first. */
  readonly remote: boolean;
  /** All file paths, or null when the source cannot list (HTTP: probe with `stat`). */
  list(): Promise<readonly string[] | null>;
  /** Size and optional hash of a file, or null when it does not exist (HTTP 404). */
  stat(path: string): Promise<FileStat | null>;
  /** The bytes of a file or of a range of it. Throws ModelError MODEL_FILE_NOT_FOUND when absent. */
  read(path: string, range?: ByteRange, signal?: AbortSignal): Promise<Uint8Array>;
}

/** A remote source described as data (serializable: the UI stores it, the CLI parses it). */
export type RemoteSourceSpec =
  | { readonly kind: 'huggingface'; readonly repo: string; readonly revision?: string; readonly endpoint?: string }
  | { readonly kind: 'url'; readonly baseUrl: string };

const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Checks a relative diffusers path: no absolute paths, no `..`, no empty segments. */
export function checkRelativePath(path: string): string {
  const parts = path.split('/');
  if (path.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..'))
    throw new Error(`invalid model file path "${path}"`);
  return path;
}

export function isHuggingFaceRepoId(s: string): boolean {
  return REPO_ID.test(s);
}

/**
 * URL of one file: `<endpoint>/<repo>/resolve/<revision>/<path>` for Hugging Face (the download route that
 * redirects LFS files to their CDN), `<baseUrl>/<path>` for a plain base URL.
 */
export function resolveFileUrl(spec: RemoteSourceSpec, path: string): string {
  const rel = checkRelativePath(path).split('/').map(encodeURIComponent).join('/');
  if (spec.kind === 'huggingface') {
    if (!isHuggingFaceRepoId(spec.repo)) throw new Error(`"${spec.repo}" is not a Hugging Face repo id (owner/name)`);
    const endpoint = (spec.endpoint ?? 'https://huggingface.co').replace(/\/+$/, '');
    const revision = encodeURIComponent(spec.revision ?? 'main');
    return `${endpoint}/${spec.repo}/resolve/${revision}/${rel}`;
  }
  return `${spec.baseUrl.replace(/\/+$/, '')}/${rel}`;
}

/** Cache key of a remote source: the same repo at the same revision shares one cache folder. */
export function sourceId(spec: RemoteSourceSpec): string {
  if (spec.kind === 'huggingface') {
    const endpoint = spec.endpoint ? `${spec.endpoint.replace(/\/+$/, '')}/` : 'hf:';
    return `${endpoint}${spec.repo}@${spec.revision ?? 'main'}`;
  }
  return spec.baseUrl.replace(/\/+$/, '');
}

/**
 * Parses what a user types as a model source: `owner/name[@revision]` → Hugging Face, `http(s)://…` → base
 * URL. Anything else is not a remote source (the CLI treats it as a local folder).
 */
export function parseRemoteSource(text: string): RemoteSourceSpec | null {
  const t = text.trim();
  if (/^https?:\/\//i.test(t)) return { kind: 'url', baseUrl: t };
  const [repo, revision] = t.split('@') as [string, string | undefined];
  if (isHuggingFaceRepoId(repo)) return { kind: 'huggingface', repo, ...(revision ? { revision } : {}) };
  return null;
}
