/**
 * The CLI's local server (cli/headless/server.ts) against the issue-13 findings: a symlink inside a mounted
 * folder (or the app folder) pointing outside gets 404; a foreign Host (DNS rebinding) gets 403; nothing is
 * served without the random per-session prefix; every response says nosniff and carries the CSP; a failed
 * upload leaves the target file as it was.
 */
import { request } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startStaticServer, type StaticServer } from '../../cli/headless/server';

let root: string;
let server: StaticServer;
let base: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'vg-server-'));
  mkdirSync(join(root, 'app'));
  writeFileSync(join(root, 'app', 'index.html'), '<p>app</p>');
  writeFileSync(join(root, 'secret.txt'), 'outside the mount');
  mkdirSync(join(root, 'model', 'unet'), { recursive: true });
  writeFileSync(join(root, 'model', 'unet', 'w.bin'), 'weights');
  symlinkSync(join(root, 'secret.txt'), join(root, 'model', 'link.txt'));
  symlinkSync(root, join(root, 'model', 'up'));
  symlinkSync(join(root, 'secret.txt'), join(root, 'app', 'link.txt'));
  // a symlink that stays inside the mount is fine
  symlinkSync(join(root, 'model', 'unet', 'w.bin'), join(root, 'model', 'inside.bin'));
  server = await startStaticServer(join(root, 'app'));
  base = server.mount('sd', join(root, 'model'));
});
afterAll(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

/** Raw HTTP (no client-side URL normalisation), with an optional Host header. */
function get(path: string, host?: string): Promise<{ status: number; headers: Record<string, unknown> }> {
  const { port } = new URL(server.origin);
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, ...(host ? { headers: { host } } : {}) }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    })
      .on('error', reject)
      .end();
  });
}

test('a symlink inside a mounted folder or the app folder that points outside gets 404', async () => {
  const mount = new URL(base).pathname;
  const app = new URL(server.base).pathname;
  expect((await get(`${mount}unet/w.bin`)).status).toBe(200);
  expect((await get(`${mount}inside.bin`)).status).toBe(200);
  expect((await get(`${mount}link.txt`)).status).toBe(404);
  expect((await get(`${mount}up/secret.txt`)).status).toBe(404);
  expect((await get(`${app}/link.txt`)).status).toBe(404);
  for (const p of ['../secret.txt', '..%2fsecret.txt', '%2e%2e%2fsecret.txt', 'unet/..%5c..%5csecret.txt'])
    expect((await get(`${mount}${p}`)).status, p).toBe(404);
});

test('a foreign Host gets 403 (DNS rebinding); 127.0.0.1 and localhost on our port are served', async () => {
  const { port } = new URL(server.origin);
  const app = new URL(server.base).pathname;
  expect((await get(`${app}/index.html`, 'evil.example')).status).toBe(403);
  expect((await get(`${app}/index.html`, `evil.example:${port}`)).status).toBe(403);
  expect((await get(`${app}/index.html`, '127.0.0.1:1')).status).toBe(403);
  expect((await get(`${app}/index.html`, `localhost:${port}`)).status).toBe(200);
  expect((await get(`${app}/index.html`)).status).toBe(200);
});

test('nothing is served without the per-session prefix; each server has its own', async () => {
  expect(server.base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}$/);
  expect((await get('/index.html')).status).toBe(404);
  expect((await get('/')).status).toBe(404);
  expect((await get('/__videograin/mount/sd/unet/w.bin')).status).toBe(404);
  const other = await startStaticServer(join(root, 'app'));
  expect(new URL(other.base).pathname).not.toBe(new URL(server.base).pathname);
  await other.close();
});

test('nosniff, no-referrer and the CSP on every response, errors included', async () => {
  const app = new URL(server.base).pathname;
  for (const path of [`${app}/index.html`, '/nothing', `${app}/missing`]) {
    const { headers } = await get(path);
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['content-security-policy']).toMatch(/connect-src 'self' blob: data:;/);
    expect(headers['content-security-policy']).toMatch(/script-src 'self' 'wasm-unsafe-eval';/);
    expect(headers['content-security-policy']).not.toMatch(/unsafe-eval'(?<!wasm-unsafe-eval')/);
  }
});

test('outputs are written through a temporary file: a completed POST lands, the target is replaced whole', async () => {
  const target = join(root, 'out.bin');
  writeFileSync(target, 'old');
  const out = server.addOutput(target);
  const r = await fetch(out.url, { method: 'POST', body: 'new bytes' });
  expect(r.status).toBe(204);
  expect(await out.written).toBe(9);
  expect(readFileSync(target, 'utf8')).toBe('new bytes');
  // a token is single use
  expect((await fetch(out.url, { method: 'POST', body: 'again' })).status).toBe(404);
});

test('a failed output write rejects `written` without an unhandled rejection and keeps the old file', async () => {
  const out = server.addOutput(join(root, 'no-such-folder', 'out.bin'));
  const r = await fetch(out.url, { method: 'POST', body: 'x' });
  expect(r.status).toBe(500);
  await expect(out.written).rejects.toThrow(/ENOENT/);
});
