/**
 * A small static server for the built app (DESIGN §9) on 127.0.0.1, plus a file exchange with the page:
 * the driver registers an input file (the page GETs it) or an output file (the page POSTs its bytes), and
 * may mount folders read-only under `/__videograin/mount/<name>/` (model folders the page's engine loads as a
 * URL source). Mounted files are served like a static host: GET and HEAD, single `Range: bytes=` requests
 * (RFC 9110 §14: 206 + Content-Range, 416 when unsatisfiable), an ETag from size and mtime honoured by
 * If-Range. Nothing else is served: paths outside the root or a mount (`..`, encoded or not) and unknown
 * exchange tokens get 404.
 *
 * Hardening (issue 13): every URL lives under a random per-session prefix (`base`), so another local process
 * cannot guess the app's, the inputs' or the mounted folders' URLs; a request whose Host is not this server
 * (DNS rebinding: `Host: evil.example`) gets 403; files are contained by REAL path, so a symlink inside a mount
 * or the app folder that points outside gets 404; every response carries `X-Content-Type-Options: nosniff`,
 * `Referrer-Policy: no-referrer` and the page's Content-Security-Policy (src/core/security/csp.ts;
 * connect-src 'self': the CLI's models are mounted folders).
 */
import { createReadStream, createWriteStream, realpathSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { securityHeaders } from '../../src/core/security/csp';
import { commitTemporary, temporaryPathFor } from '../output-path';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentType(path: string): string {
  return MIME[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

export interface StaticServer {
  readonly origin: string;
  /** The app's root URL, `<origin>/<random per-session prefix>` (no trailing '/'): open `${base}/headless.html`. */
  readonly base: string;
  /** A URL the page can GET to read `path`. */
  addInput(path: string): string;
  /** A URL the page can POST to; resolves with the byte count once `path` is written. */
  addOutput(path: string): { url: string; written: Promise<number> };
  /**
   * Serves folder `dir` read-only; returns its base URL (ending in '/'). Mounting `<name>/<sub>` over a
   * mounted `<name>` overlays that sub-folder (the longest mount wins).
   */
  mount(name: string, dir: string): string;
  close(): Promise<void>;
}

const EXCHANGE = '/__videograin/';
const MOUNTS = `${EXCHANGE}mount/`;
const MOUNT_NAME = /^[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_-]+)*$/;

/**
 * `rel` (URL path below a root, still percent-encoded) as a file under `root`, or undefined when it would
 * leave the root: any `..`/`.` segment, a backslash or NUL after decoding is refused outright.
 */
export function safeJoin(root: string, rel: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rel);
  } catch {
    return undefined;
  }
  if (decoded.includes('\\') || decoded.includes('\0')) return undefined;
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '..' || s === '.')) return undefined;
  const base = resolve(root);
  const path = resolve(base, ...segments);
  return path === base || path.startsWith(base.endsWith(sep) ? base : base + sep) ? path : undefined;
}

/** True when the real path of `path` (symlinks followed) is inside the real path of `root`. */
export function realPathInside(root: string, path: string): boolean {
  let realRoot: string;
  let real: string;
  try {
    realRoot = realpathSync(root);
    real = realpathSync(path);
  } catch {
    return false;
  }
  return real === realRoot || real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep);
}

/** One `bytes=a-b` / `bytes=a-` / `bytes=-n` range → [start, end) within size; 'invalid' when unsatisfiable. */
export function parseRange(header: string, size: number): { start: number; end: number } | 'invalid' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined; // malformed or multi-range: ignore (full body)
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'invalid';
    return { start: Math.max(0, size - suffix), end: size };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size : Math.min(size, Number(m[2]) + 1);
  if (start >= size || end <= start) return 'invalid';
  return { start, end };
}

interface ServeOptions {
  /** Static-host behaviour (Range, ETag); the app's own files are served plainly, uncached. */
  readonly ranges: boolean;
}

const HEADERS = securityHeaders({ modelOrigins: [] });

function serveFile(req: IncomingMessage, res: ServerResponse, path: string, opts: ServeOptions): void {
  let size: number;
  let etag: string;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new Error('not a file');
    size = st.size;
    etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
  } catch {
    res.writeHead(404).end('not found');
    return;
  }
  const headers: Record<string, string | number> = { 'content-type': contentType(path), 'cache-control': 'no-store' };
  let range: { start: number; end: number } | undefined;
  if (opts.ranges) {
    Object.assign(headers, { 'accept-ranges': 'bytes', etag });
    const ifRange = req.headers['if-range'];
    const asked = req.headers.range && (!ifRange || ifRange === etag) ? parseRange(req.headers.range, size) : undefined;
    if (asked === 'invalid') {
      res.writeHead(416, { ...headers, 'content-range': `bytes */${size}` }).end();
      return;
    }
    range = asked;
  }
  const head = req.method === 'HEAD';
  if (range) {
    res.writeHead(206, {
      ...headers,
      'content-length': range.end - range.start,
      'content-range': `bytes ${range.start}-${range.end - 1}/${size}`,
    });
    if (head) res.end();
    else createReadStream(path, { start: range.start, end: range.end - 1 }).pipe(res);
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': size });
  if (head || size === 0) res.end();
  else createReadStream(path).pipe(res);
}

export async function startStaticServer(root: string): Promise<StaticServer> {
  const prefix = `/${randomBytes(16).toString('hex')}`;
  const inputs = new Map<string, string>();
  const outputs = new Map<string, { path: string; resolve: (n: number) => void; reject: (e: Error) => void }>();
  /** name → folder; looked up longest name first. */
  const mounts = new Map<string, string>();

  function receive(req: IncomingMessage, res: ServerResponse, token: string): void {
    const out = outputs.get(token);
    if (!out) {
      res.writeHead(404).end('unknown output');
      return;
    }
    outputs.delete(token);
    let bytes = 0;
    // A temporary file in the target folder, renamed once complete: a failed upload leaves the target as it was.
    const tmp = temporaryPathFor(out.path);
    const file = createWriteStream(tmp);
    const failed = (e: Error) => {
      file.destroy();
      rmSync(tmp, { force: true });
      if (!res.headersSent) res.writeHead(500).end(e.message);
      out.reject(e);
    };
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('error', failed);
    req.pipe(file);
    file.on('finish', () => {
      try {
        commitTemporary(tmp, out.path);
      } catch (e) {
        failed(e as Error);
        return;
      }
      res.writeHead(204).end();
      out.resolve(bytes);
    });
    file.on('error', failed);
  }

  function mountedFile(pathname: string): string | undefined {
    const rest = pathname.slice(MOUNTS.length);
    const names = [...mounts.keys()].sort((a, b) => b.length - a.length);
    const name = names.find((n) => rest.startsWith(`${n}/`));
    if (name === undefined) return undefined;
    const dir = mounts.get(name)!;
    const path = safeJoin(dir, rest.slice(name.length + 1));
    return path && realPathInside(dir, path) ? path : undefined;
  }

  let port = 0;
  const server = createServer((req, res) => {
    for (const [k, v] of Object.entries(HEADERS)) res.setHeader(k, v);
    // DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends its own Host.
    const host = (req.headers.host ?? '').toLowerCase();
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      res.writeHead(403).end('forbidden');
      return;
    }
    const full = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (full.pathname !== prefix && !full.pathname.startsWith(`${prefix}/`)) {
      res.writeHead(404).end('not found');
      return;
    }
    const pathname = full.pathname.slice(prefix.length) || '/';
    const readOnly = req.method === 'GET' || req.method === 'HEAD';
    if (pathname.startsWith(MOUNTS)) {
      const path = readOnly ? mountedFile(pathname) : undefined;
      if (path) return serveFile(req, res, path, { ranges: true });
      res.writeHead(readOnly ? 404 : 405).end();
      return;
    }
    if (pathname.startsWith(EXCHANGE)) {
      const [kind, token = ''] = pathname.slice(EXCHANGE.length).split('/');
      if (kind === 'in' && readOnly && inputs.has(token))
        return serveFile(req, res, inputs.get(token)!, { ranges: false });
      if (kind === 'out' && req.method === 'POST') return receive(req, res, token);
      res.writeHead(404).end('not found');
      return;
    }
    if (!readOnly) {
      res.writeHead(405).end();
      return;
    }
    const rel = pathname === '/' ? 'index.html' : pathname;
    const path = safeJoin(root, rel);
    if (!path || !realPathInside(root, path)) {
      res.writeHead(404).end('not found');
      return;
    }
    serveFile(req, res, path, { ranges: false });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  const base = `${origin}${prefix}`;
  return {
    origin,
    base,
    addInput(path) {
      const token = randomUUID();
      inputs.set(token, path);
      return `${base}${EXCHANGE}in/${token}`;
    },
    addOutput(path) {
      const token = randomUUID();
      const written = new Promise<number>((resolve, reject) => outputs.set(token, { path, resolve, reject }));
      // Callers await it only after the page reports success; a failed write must not be an unhandled rejection.
      written.catch(() => undefined);
      return { url: `${base}${EXCHANGE}out/${token}`, written };
    },
    mount(name, dir) {
      if (!MOUNT_NAME.test(name)) throw new Error(`mount name "${name}" must be [A-Za-z0-9_-] segments`);
      mounts.set(name, resolve(dir));
      return `${base}${MOUNTS}${name}/`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
