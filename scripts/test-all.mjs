#!/usr/bin/env node
// `npm test`: every tier, in order (DESIGN §8): type check, lint + format, unit tests in Node, in-browser tests
// in headless Chromium with WebGPU, build, end-to-end flows. Runs all steps even after a failure, then prints a
// summary and exits non-zero if any step failed.
import { spawnSync } from 'node:child_process';

const steps = [
  ['typecheck', 'npm', ['run', '-s', 'typecheck']],
  ['lint', 'npm', ['run', '-s', 'lint']],
  ['unit', 'npx', ['vitest', 'run', '--project', 'unit']],
  ['gpu (in-browser)', 'npx', ['vitest', 'run', '--project', 'gpu']],
  ['build', 'npx', ['vite', 'build', '--logLevel', 'warn']],
  ['e2e', 'npx', ['playwright', 'test']],
];

const only = process.argv.slice(2);
const results = [];
for (const [name, cmd, args] of steps) {
  if (only.length > 0 && !only.some((o) => name.startsWith(o))) continue;
  const started = Date.now();
  console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: process.env });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  results.push({ name, ok: r.status === 0, seconds });
}
console.log('\n=== summary');
for (const r of results) console.log(`${r.ok ? 'PASS' : 'FAIL'}  ${r.name} (${r.seconds} s)`);
const failed = results.filter((r) => !r.ok).length;
const total = results.reduce((sum, r) => sum + Number(r.seconds), 0);
console.log(`steps: ${results.length - failed} passed, ${failed} failed; ${total} s in all`);
process.exit(failed > 0 ? 1 : 0);
