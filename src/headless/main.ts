/**
 * The headless page's entry: typed worker clients on `globalThis.__videograinHeadless` for the CLI's
 * driver (cli/headless/). No React, no store: the driver calls these through `page.evaluate`.
 */
import { createVideoClient } from '../services/video-client';
import { HEADLESS_GLOBAL, HEADLESS_PROGRESS, type HeadlessGlobals } from './types';

type ProgressSink = (stage: string, fraction?: number) => void;

const headless: HeadlessGlobals = {
  video: createVideoClient(),
  async fetchBytes(url) {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  },
  async postBytes(url, bytes) {
    const res = await fetch(url, { method: 'POST', body: bytes as Uint8Array<ArrayBuffer> });
    if (!res.ok) throw new Error(`POST ${url}: HTTP ${res.status}`);
  },
  progress(stage, fraction) {
    const sink = (globalThis as unknown as Record<string, ProgressSink | undefined>)[HEADLESS_PROGRESS];
    void sink?.(stage, fraction);
  },
};

(globalThis as unknown as Record<string, HeadlessGlobals>)[HEADLESS_GLOBAL] = headless;
