/**
 * Test data from ../shared for Node tests. Without it, tests skip with a message; with CI=true they fail.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';

export const REPO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const SHARED_DIR = process.env.VIDEOGRAIN_SHARED ?? resolve(REPO_DIR, '../shared');
export const SHARED_PRESENT = existsSync(join(SHARED_DIR, 'DESIGN.md'));
export const IS_CI = process.env.CI === 'true';

if (!SHARED_PRESENT && IS_CI) throw new Error(`CI=true but the shared test data folder ${SHARED_DIR} is missing`);

export function sharedPath(relPath: string): string {
  return join(SHARED_DIR, relPath);
}

export function readShared(relPath: string): Uint8Array {
  return new Uint8Array(readFileSync(sharedPath(relPath)));
}

export const describeShared = (name: string, fn: () => void): void => {
  if (!SHARED_PRESENT) console.warn(`[skip] "${name}": ${SHARED_DIR} not found`);
  describe.skipIf(!SHARED_PRESENT)(name, fn);
};
