#!/usr/bin/env node
// `npm test`: every tier (DESIGN §8): type check, lint + format, unit tests in Node, in-browser tests in headless
// Chromium with WebGPU, build, end-to-end flows. Runs all steps even after a failure, then prints a summary and
// exits non-zero if any step failed.
//
// The unit and in-browser tiers run side by side: the browser tier leaves about one of two cores idle (SwiftShader
// compiles one pipeline at a time; much of that tier is compilation), which the unit tier fills. Their lines are
// prefixed with the tier's name. The end-to-end flows run alone afterwards: their assertions wait on what the
// page shows, under expect timeouts. `--serial` runs every step alone, in order.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Phases run in order; the steps of one phase run concurrently. */
const phases = [
  [['typecheck', 'npm', ['run', '-s', 'typecheck']]],
  [['lint', 'npm', ['run', '-s', 'lint']]],
  [
    ['unit', 'npx', ['vitest', 'run', '--project', 'unit']],
    ['gpu (in-browser)', 'npx', ['vitest', 'run', '--project', 'gpu']],
  ],
  [['build', 'npx', ['vite', 'build', '--logLevel', 'warn']]],
  [['e2e', 'npx', ['playwright', 'test']]],
];

const args = process.argv.slice(2);
const serial = args.includes('--serial');
const only = args.filter((a) => a !== '--serial');
const wanted = ([name]) => only.length === 0 || only.some((o) => name.startsWith(o));

/** Runs one step; `prefix` set: its output is piped line by line behind the prefix (concurrent steps). */
function runStep([name, cmd, cmdArgs], prefix) {
  const started = Date.now();
  console.log(`\n=== ${name}: ${cmd} ${cmdArgs.join(' ')}`);
  return new Promise((resolve) => {
    const child = spawn(cmd, cmdArgs, { stdio: prefix ? ['ignore', 'pipe', 'pipe'] : 'inherit', env: process.env });
    if (prefix)
      for (const stream of [child.stdout, child.stderr])
        createInterface({ input: stream }).on('line', (line) => console.log(`${prefix} ${line}`));
    const finish = (ok) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(0);
      console.log(`=== ${name}: ${ok ? 'passed' : 'FAILED'} (${seconds} s)`);
      resolve({ name, ok, seconds });
    };
    child.on('error', () => finish(false));
    child.on('close', (code) => finish(code === 0));
  });
}

const results = [];
const started = Date.now();
for (const phase of phases) {
  const steps = phase.filter(wanted);
  if (serial || steps.length < 2) for (const step of steps) results.push(await runStep(step));
  else results.push(...(await Promise.all(steps.map((step) => runStep(step, `[${step[0].split(' ')[0]}]`)))));
}
console.log('\n=== summary');
for (const r of results) console.log(`${r.ok ? 'PASS' : 'FAIL'}  ${r.name} (${r.seconds} s)`);
const failed = results.filter((r) => !r.ok).length;
const wall = ((Date.now() - started) / 1000).toFixed(0);
console.log(`steps: ${results.length - failed} passed, ${failed} failed; ${wall} s wall clock`);
process.exit(failed > 0 ? 1 : 0);
