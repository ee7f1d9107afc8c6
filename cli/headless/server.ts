/**
 * A small static server for the built app (DESIGN §9) on 127.0.0.1, plus a file exchange with the page:
 * the driver registers an input file (the page GETs it) or an output file (the page POSTs its bytes).
 * Nothing else is served: paths outside the root and unknown exchange tokens get 404.
 */
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { randomUUID } from 'node:crypto';

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
  /** A URL the page can GET to read `path`. */
  addInput(path: string): string;
  /** A URL the page can POST to; resolves with the byte count once `path` is written. */
  addOutput(path: string): { url: string; written: Promise<number> };
  close(): Promise<void>;
}

const EXCHANGE = '/__videograin/';

export async function startStaticServer(root: string): Promise<StaticServer> {
  const inputs = new Map<string, string>();
  const outputs = new Map<string, { path: string; resolve: (n: number) => void; reject: (e: Error) => void }>();

  function serveFile(res: ServerResponse, path: string): void {
    let size: number;
    try {
      const st = statSync(path);
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
    } catch {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': contentType(path), 'content-length': size, 'cache-control': 'no-store' });
    createReadStream(path).pipe(res);
  }

  function receive(req: IncomingMessage, res: ServerResponse, token: string): void {
    const out = outputs.get(token);
    if (!out) {
      res.writeHead(404).end('unknown output');
      return;
    }
    outputs.delete(token);
    let bytes = 0;
    const file = createWriteStream(out.path);
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.pipe(file);
    file.on('finish', () => {
      res.writeHead(204).end();
      out.resolve(bytes);
    });
    file.on('error', (e) => {
      res.writeHead(500).end(e.message);
      out.reject(e);
    });
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.startsWith(EXCHANGE)) {
      const [kind, token = ''] = url.pathname.slice(EXCHANGE.length).split('/');
      if (kind === 'in' && req.method === 'GET' && inputs.has(token)) return serveFile(res, inputs.get(token)!);
      if (kind === 'out' && req.method === 'POST') return receive(req, res, token);
      res.writeHead(404).end('not found');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    const rel = normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '');
    const path = join(root, rel === '' ? 'index.html' : rel);
    if (path !== root && !path.startsWith(root.endsWith(sep) ? root : root + sep)) {
      res.writeHead(404).end('not found');
      return;
    }
    serveFile(res, path);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    addInput(path) {
      const token = randomUUID();
      inputs.set(token, path);
      return `${origin}${EXCHANGE}in/${token}`;
    },
    addOutput(path) {
      const token = randomUUID();
      const written = new Promise<number>((resolve, reject) => outputs.set(token, { path, resolve, reject }));
      return { url: `${origin}${EXCHANGE}out/${token}`, written };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
