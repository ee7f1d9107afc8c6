/**
 * A Hugging Face-like model server for the browser tests, as Vite middleware (registered in the gpu project
 * of vite.config.ts, so it runs on the test server's 127.0.0.1 origin). It serves the golden tiny models from
 * ../shared with the HF download route and headers, plus fault injection:
 *
 *   /__model-server/<scenario>/golden/<tiny-sd|tiny-controlnet>/resolve/<rev>/<path>   (GET, HEAD; Range)
 *   /__model-server/stats   → { total, requests: { "GET <scenario>/<repo>/<path>": n, "RANGE …": n } }
 *   /__model-server/reset   → clears the counters
 *
 * tiny-sd ships no tokenizer, so tokenizer/* is served from models/clip_tokenizer (the real SD1.5 files).
 * Scenarios (each is its own "endpoint", hence its own cache entry in the browser):
 *   ok, ok-*    as is                         no-fp16      *.fp16.safetensors → 404
 *   slow-*      as is, in 64 KiB steps every 10 ms (to act in the middle of a transfer)
 *   missing-vae vae weights → 404             bad-hash     HEAD announces a wrong sha256 for weights
 *   cut-once*   first GET of each weights file sends half its bytes, then drops the connection
 *   no-range    cut-once, and Range is ignored (200 with the whole file)
 *   stall       weights: bytes past 40% of the file are never sent (connection dropped there)
 *   short-file  weights served cut to 70% with consistent sizes (the header implies more)
 *   bad-arch    config.json / unet/config.json: down_block_types[1] = "SimpleCrossAttnDownBlock2D"
 *   evil-huge | evil-oob | evil-shape   weights replaced by a generated malicious safetensors file
 * Malicious files are generated here on the fly, never stored.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, normalize } from 'node:path';
import type { Plugin } from 'vite';

const PREFIX = '/__model-server';
const TOKENIZER_FILES = new Set(['tokenizer/vocab.json', 'tokenizer/merges.txt', 'tokenizer/tokenizer.json']);

function safetensors(header: Record<string, unknown>, dataBytes: number, declaredLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + dataBytes);
  new DataView(out.buffer).setBigUint64(0, declaredLength ?? BigInt(json.byteLength), true);
  out.set(json, 8);
  return out;
}

/** Malicious safetensors files (DESIGN §4: headers are untrusted input). */
export function maliciousSafetensors(kind: 'evil-huge' | 'evil-oob' | 'evil-shape'): Uint8Array {
  if (kind === 'evil-huge') return safetensors({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 4, 1n << 40n);
  if (kind === 'evil-oob')
    return safetensors(
      {
        a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
        b: { dtype: 'F32', shape: [4], data_offsets: [1_000_000, 1_000_016] },
      },
      32,
    );
  return safetensors({ a: { dtype: 'F32', shape: [4, 4], data_offsets: [0, 16] } }, 16);
}

interface Served {
  readonly body: Uint8Array;
  readonly sha256: string;
}

export function modelServer(options: { readonly sharedDir: string }): Plugin {
  const counts = new Map<string, number>();
  const cache = new Map<string, Served>();

  const load = (key: string, make: () => Uint8Array): Served => {
    let s = cache.get(key);
    if (!s) {
      const body = make();
      s = { body, sha256: createHash('sha256').update(body).digest('hex') };
      cache.set(key, s);
    }
    return s;
  };

  function content(scenario: string, repo: string, path: string): Served | null {
    const file =
      repo === 'tiny-sd' && TOKENIZER_FILES.has(path)
        ? join(options.sharedDir, 'models/clip_tokenizer', path.slice('tokenizer/'.length))
        : join(options.sharedDir, 'golden', repo, path);
    const weights = path.endsWith('.safetensors');
    if (scenario === 'no-fp16' && path.endsWith('.fp16.safetensors')) return null;
    if (scenario === 'missing-vae' && path.startsWith('vae/') && weights) return null;
    if (!existsSync(file)) return null;
    if (weights && scenario.startsWith('evil-'))
      return load(`${scenario}`, () => maliciousSafetensors(scenario as 'evil-huge'));
    if (weights && scenario === 'short-file') {
      return load(`${scenario}/${repo}/${path}`, () => {
        const b = new Uint8Array(readFileSync(file));
        return b.subarray(0, Math.floor(b.byteLength * 0.7));
      });
    }
    if (scenario === 'bad-arch' && (path === 'config.json' || path === 'unet/config.json')) {
      return load(`${scenario}/${repo}/${path}`, () => {
        const cfg = JSON.parse(readFileSync(file, 'utf8')) as { down_block_types: string[] };
        cfg.down_block_types[1] = 'SimpleCrossAttnDownBlock2D';
        return new TextEncoder().encode(JSON.stringify(cfg, null, 2));
      });
    }
    return load(file, () => new Uint8Array(readFileSync(file)));
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const route = decodeURIComponent(url.pathname).replace(/^\/+/, '');
    if (route === 'stats') {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          total: [...counts].reduce((a, [k, v]) => a + (k.startsWith('RANGE') ? 0 : v), 0),
          requests: Object.fromEntries(counts),
        }),
      );
      return;
    }
    if (route === 'reset') {
      counts.clear();
      res.end('{}');
      return;
    }
    const m = /^([a-z0-9-]+)\/golden\/(tiny-sd|tiny-controlnet)\/resolve\/[^/]+\/(.+)$/.exec(route);
    if (!m || normalize(m[3]!) !== m[3] || m[3]!.startsWith('..')) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    const [, scenario, repo, path] = m as unknown as [string, string, string, string];
    const key = `${req.method} ${scenario}/${repo}/${path}`;
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    if (req.headers.range)
      counts.set(`RANGE ${scenario}/${repo}/${path}`, (counts.get(`RANGE ${scenario}/${repo}/${path}`) ?? 0) + 1);
    const served = content(scenario, repo, path);
    if (!served) {
      res.statusCode = 404;
      res.setHeader('x-error-code', 'EntryNotFound');
      res.end('Entry not found');
      return;
    }
    const { body } = served;
    const weights = path.endsWith('.safetensors');
    const sha = scenario === 'bad-hash' && weights ? '0'.repeat(64) : served.sha256;
    res.setHeader('accept-ranges', 'bytes');
    res.setHeader('etag', `"${sha}"`);
    if (weights) {
      res.setHeader('x-linked-etag', `"${sha}"`);
      res.setHeader('x-linked-size', String(body.byteLength));
    }
    if (req.method === 'HEAD') {
      res.setHeader('content-length', String(body.byteLength));
      res.end();
      return;
    }
    let start = 0;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const ignoreRange = scenario === 'no-range';
    let end = body.byteLength;
    if (range && !ignoreRange) {
      start = Number(range[1]);
      end = range[2] ? Number(range[2]) + 1 : body.byteLength;
      if (start >= body.byteLength || end > body.byteLength || end <= start) {
        res.statusCode = 416;
        res.setHeader('content-range', `bytes */${body.byteLength}`);
        res.end();
        return;
      }
      res.statusCode = 206;
      res.setHeader('content-range', `bytes ${start}-${end - 1}/${body.byteLength}`);
    }
    res.setHeader('content-length', String(end - start));
    res.setHeader('content-type', 'application/octet-stream');
    let cutAt: number | null = null;
    if (weights && (scenario.startsWith('cut-once') || scenario === 'no-range') && n === 1)
      cutAt = start + Math.floor((end - start) / 2);
    if (weights && scenario === 'stall') cutAt = Math.max(start, Math.floor(body.byteLength * 0.4));
    if (scenario.startsWith('slow')) {
      // 64 KiB every 10 ms, so a test can act in the middle of a transfer.
      const send = (at: number): void => {
        if (res.destroyed) return;
        if (at >= end) return void res.end();
        res.write(body.subarray(at, Math.min(end, at + 65536)), () => setTimeout(() => send(at + 65536), 10));
      };
      send(start);
      return;
    }
    if (cutAt === null || cutAt >= end) {
      res.end(body.subarray(start, end));
      return;
    }
    // Send the headers and part of the body, then drop the connection: fewer bytes than Content-Length. The pause
    // lets the client read what was sent before the cut reaches it (a browser can drop bytes it has not handed to
    // the page yet when the connection fails; on a loaded machine 20 ms was too short: the resume then starts at 0).
    res.write(body.subarray(start, cutAt), () => setTimeout(() => res.socket?.destroy(), 500));
  }

  return {
    name: 'videograin-model-server',
    configureServer(server) {
      server.middlewares.use(PREFIX, (req, res) => handle(req, res));
    },
  };
}
