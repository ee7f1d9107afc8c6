#!/usr/bin/env node
// `npm run bench:<name>` (DESIGN §9): runs bench/<name>.browser.ts in headless Chromium with WebGPU on a
// Vite dev server, and/or bench/<name>.node.ts with tsx. Prints a table for people and, as the LAST line,
// one JSON object with the figures.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { CHROMIUM_ARGS, chromiumPath } from './chromium.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const name = process.argv[2];
if (!name) {
  console.error('usage: node scripts/bench.mjs <name>');
  process.exit(2);
}
const browserFile = join(repo, 'bench', `${name}.browser.ts`);
const nodeFile = join(repo, 'bench', `${name}.node.ts`);
if (!existsSync(browserFile) && !existsSync(nodeFile)) {
  console.error(`no benchmark named "${name}" (bench/${name}.browser.ts or bench/${name}.node.ts)`);
  process.exit(2);
}

async function runInBrowser() {
  const { createServer } = await import('vite');
  const { chromium } = await import('playwright');
  const sharedDir = process.env.VIDEOGRAIN_SHARED ?? resolve(repo, '../shared');
  const server = await createServer({
    root: repo,
    configFile: join(repo, 'vite.config.ts'),
    logLevel: 'warn',
    // No HMR or file watching: edits elsewhere in the tree must not reload (and re-run) a benchmark.
    server: { port: 0, host: '127.0.0.1', hmr: false, watch: null, fs: { allow: [repo, sharedDir] } },
    define: {
      __SHARED_DIR__: JSON.stringify(sharedDir),
      __SHARED_PRESENT__: JSON.stringify(existsSync(join(sharedDir, 'DESIGN.md'))),
      __CI__: JSON.stringify(process.env.CI === 'true'),
    },
  });
  await server.listen();
  const address = server.httpServer.address();
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    const result = new Promise((resolveResult, reject) => {
      page.on('console', (msg) => {
        const text = msg.text();
        if (text.startsWith('[bench-result] ')) resolveResult(JSON.parse(text.slice('[bench-result] '.length)));
        else if (text.startsWith('[bench-error] ')) reject(new Error(text.slice('[bench-error] '.length)));
        else if (text.startsWith('[bench] ')) console.log(text.slice('[bench] '.length));
        else if (msg.type() === 'error') console.error(`[page] ${text}`);
      });
      page.on('pageerror', (e) => reject(e));
    });
    await page.goto(`http://127.0.0.1:${address.port}/bench/runner.html?name=${encodeURIComponent(name)}`);
    return await result;
  } finally {
    await browser.close();
    await server.close();
  }
}

let browserResult;
if (existsSync(browserFile)) {
  browserResult = await runInBrowser();
  if (!existsSync(nodeFile)) console.log(JSON.stringify(browserResult));
}
if (existsSync(nodeFile)) {
  const env = { ...process.env };
  if (browserResult) {
    const file = join(mkdtempSync(join(tmpdir(), 'bench-')), 'browser.json');
    writeFileSync(file, JSON.stringify(browserResult));
    env.BENCH_BROWSER_RESULT = file;
  }
  const r = spawnSync(process.execPath, ['--import', 'tsx', nodeFile], { stdio: 'inherit', env, cwd: repo });
  process.exit(r.status ?? 1);
}
