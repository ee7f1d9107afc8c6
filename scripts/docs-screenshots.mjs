#!/usr/bin/env node
// Remakes the README's screenshots in docs/ from the end-to-end flow (issue 14), so they show the app as it
// is: builds the app, then runs the edit flow spec (the tiny models on a 64×64 draft of run_two_man from
// ../shared) with DOCS_SCREENSHOTS=1, which makes it write
//   docs/result-viewer.png  side by side, attention overlay on
//   docs/result-wipe.png    the before/after wipe at 50 %
//   docs/run-bar.png        the run bar during an edit (Cancel, progress, live preview)
//   docs/editor-1280x720.png the whole editor at 1280×720 during an edit
// The spec's assertions run as usual: screenshots come only from a passing flow. Needs ../shared and Chromium
// (as `npm run test:e2e`). Only one e2e run at a time may use the preview port (4173).
import { readdirSync, statSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const run = (args, env = process.env) => {
  const r = spawnSync('npx', args, { cwd: repo, stdio: 'inherit', env });
  if (r.status !== 0) {
    console.error(`docs-screenshots: npx ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
};

run(['vite', 'build', '--logLevel', 'warn']);
run(['playwright', 'test', 'test/e2e/edit-flow.spec.ts'], {
  ...process.env,
  DOCS_SCREENSHOTS: '1',
});
for (const name of readdirSync(join(repo, 'docs'))
  .filter((n) => n.endsWith('.png'))
  .sort())
  console.log(`docs/${name}: ${(statSync(join(repo, 'docs', name)).size / 1024).toFixed(0)} KiB`);
