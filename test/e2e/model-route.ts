/**
 * A model "server" for end-to-end tests: page.route on http://models.test/ answering from
 * ../shared/golden/tiny-sd (tokenizer files from models/clip_tokenizer, as tiny-sd has none) with the headers
 * a CORS-enabled static host sends (HEAD, ranges, x-linked-size).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Page, Route } from '@playwright/test';
import { sharedPath } from './helpers';

export const TINY_SD_URL = 'http://models.test/tiny-sd';

function fileFor(path: string): string | null {
  const file = path.startsWith('tokenizer/')
    ? sharedPath(`models/clip_tokenizer/${path.slice('tokenizer/'.length)}`)
    : sharedPath(`golden/tiny-sd/${path}`);
  return !path.includes('..') && existsSync(file) ? file : null;
}

/** Serves models.test like a static host with CORS; returns the request log. */
export async function serveModels(page: Page): Promise<string[]> {
  const log: string[] = [];
  const cors = {
    'access-control-allow-origin': '*',
    'access-control-allow-headers': 'range, if-range',
    'access-control-expose-headers': 'content-length, content-range, etag, x-linked-size',
  };
  await page.context().route('http://models.test/**', async (route: Route) => {
    const req = route.request();
    const url = new URL(req.url());
    log.push(`${req.method()} ${url.pathname}`);
    if (req.method() === 'OPTIONS') return route.fulfill({ status: 204, headers: cors });
    const prefix = '/tiny-sd/';
    const file = url.pathname.startsWith(prefix)
      ? fileFor(decodeURIComponent(url.pathname.slice(prefix.length)))
      : null;
    if (!file) return route.fulfill({ status: 404, headers: cors, body: 'not found' });
    const body = readFileSync(file);
    const headers = { ...cors, 'x-linked-size': String(body.byteLength), 'accept-ranges': 'bytes' };
    if (req.method() === 'HEAD') return route.fulfill({ status: 200, headers });
    const range = /^bytes=(\d+)-(\d*)$/.exec((await req.headerValue('range')) ?? '');
    if (!range) return route.fulfill({ status: 200, headers, body });
    const start = Number(range[1]);
    const end = range[2] ? Number(range[2]) + 1 : body.byteLength;
    return route.fulfill({
      status: 206,
      headers: { ...headers, 'content-range': `bytes ${start}-${end - 1}/${body.byteLength}` },
      body: body.subarray(start, end),
    });
  });
  return log;
}
