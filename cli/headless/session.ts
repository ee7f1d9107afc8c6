/**
 * A headless session (DESIGN §9): the built app served on 127.0.0.1, system Chromium driven by Playwright,
 * the headless page (headless.html) open with its typed clients on `globalThis.__videograinHeadless`.
 * Commands call into the page with `session.page.evaluate`; progress comes back through `onProgress`.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright';
import { CHROMIUM_ARGS, chromiumPath } from '../../scripts/chromium.mjs';
import { HEADLESS_GLOBAL, HEADLESS_PROGRESS } from '../../src/headless/types';
import { ensureBuilt } from './build';
import { startStaticServer, type StaticServer } from './server';

export const REPO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface SessionOptions {
  /** Lines for people (stderr). */
  readonly log: (line: string) => void;
  readonly onProgress?: (stage: string, fraction?: number) => void;
  /** Browser executable; default: scripts/chromium.mjs `chromiumPath()` ($CHROMIUM_PATH or system Chromium). */
  readonly chromium?: string;
  /** Extra functions the page may call (`page.exposeFunction`), e.g. an edit's event sink. */
  readonly expose?: Readonly<Record<string, (...args: never[]) => unknown>>;
  /**
   * Leave Ctrl-C to the command (it cancels work in the page first, then closes the session); by default
   * Playwright closes the browser on SIGINT.
   */
  readonly ownSigint?: boolean;
}

export interface HeadlessSession {
  readonly page: Page;
  readonly server: StaticServer;
  close(): Promise<void>;
}

export async function startHeadlessSession(options: SessionOptions): Promise<HeadlessSession> {
  ensureBuilt(REPO_DIR, options.log);
  const server = await startStaticServer(join(REPO_DIR, 'dist'));
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: options.chromium ?? chromiumPath(),
      args: CHROMIUM_ARGS,
      ...(options.ownSigint ? { handleSIGINT: false } : {}),
    });
    const page = await browser.newPage();
    page.on('pageerror', (e) => options.log(`[page] ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && process.env.VIDEOGRAIN_DEBUG) options.log(`[page] ${m.text()}`);
    });
    await page.exposeFunction(HEADLESS_PROGRESS, (stage: string, fraction?: number) =>
      options.onProgress?.(stage, fraction),
    );
    for (const [name, fn] of Object.entries(options.expose ?? {}))
      await page.exposeFunction(name, fn as (...args: unknown[]) => unknown);
    await page.goto(`${server.base}/headless.html`);
    await page.waitForFunction((name) => name in globalThis, HEADLESS_GLOBAL, { timeout: 60_000 });
    const opened = browser;
    return {
      page,
      server,
      async close() {
        await opened.close();
        await server.close();
      },
    };
  } catch (e) {
    await browser?.close();
    await server.close();
    throw e;
  }
}
