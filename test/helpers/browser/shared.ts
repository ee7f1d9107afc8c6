/**
 * Test data from ../shared in the browser tier: served by the Vitest dev server through /@fs (the gpu
 * project allows that folder). Without ../shared, tests skip with a message; with CI=true they fail.
 */
import { describe } from 'vitest';

declare const __SHARED_DIR__: string;
declare const __SHARED_PRESENT__: boolean;
declare const __CI__: boolean;

export const SHARED_DIR = __SHARED_DIR__;
export const SHARED_PRESENT = __SHARED_PRESENT__;
export const IS_CI = __CI__;

if (!SHARED_PRESENT && IS_CI) throw new Error(`CI=true but the shared test data folder ${SHARED_DIR} is missing`);

export async function fetchShared(relPath: string): Promise<Uint8Array> {
  const res = await fetch(`/@fs${SHARED_DIR}/${relPath}`);
  if (!res.ok) throw new Error(`cannot read shared/${relPath}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** `describe` for tests that need ../shared: skipped, with a logged reason, when it is absent. */
export const describeShared = (name: string, fn: () => void): void => {
  if (!SHARED_PRESENT) console.warn(`[skip] "${name}": ${SHARED_DIR} not found`);
  describe.skipIf(!SHARED_PRESENT)(name, fn);
};
