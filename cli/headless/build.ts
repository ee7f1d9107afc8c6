/**
 * The CLI serves the BUILT app (DESIGN §9): build it first when dist/ is missing or older than its sources.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const SOURCES = ['src', 'workers', 'index.html', 'headless.html', 'vite.config.ts', 'package.json'];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Why dist/ must be rebuilt, or undefined when it is up to date. */
export function staleReason(repoDir: string): string | undefined {
  const marker = join(repoDir, 'dist', 'headless.html');
  if (!existsSync(marker)) return 'dist/ is missing';
  const built = statSync(marker).mtimeMs;
  const newest = Math.max(...SOURCES.map((s) => newestMtime(join(repoDir, s))));
  return newest > built ? 'dist/ is older than the sources' : undefined;
}

export function ensureBuilt(repoDir: string, log: (line: string) => void): void {
  const why = staleReason(repoDir);
  if (!why) return;
  log(`building the app (${why}): npx vite build`);
  const r = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: repoDir, stdio: ['ignore', 2, 2] });
  if (r.status !== 0)
    throw new Error(`vite build failed (exit ${r.status ?? r.signal}); run "npx vite build" to see why`);
}
