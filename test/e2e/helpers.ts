/** Shared steps for end-to-end flows: test data paths, opening a clip, reading state through the test hook. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';

export const REPO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED_DIR = process.env.VIDEOGRAIN_SHARED ?? resolve(REPO_DIR, '../shared');
export const SHARED_PRESENT = existsSync(join(SHARED_DIR, 'DESIGN.md'));
if (!SHARED_PRESENT && process.env.CI === 'true') throw new Error(`CI=true but ${SHARED_DIR} is missing`);

export const sharedPath = (rel: string) => join(SHARED_DIR, rel);

/** Skips the calling file's tests (with the reason printed) when ../shared is absent outside CI. */
export function requireShared(): void {
  if (!SHARED_PRESENT) console.warn(`[skip] ${SHARED_DIR} not found`);
  test.skip(!SHARED_PRESENT, `${SHARED_DIR} not found`);
}

/** A fresh page with empty storage, engine started. */
export async function openApp(page: Page): Promise<void> {
  await page.goto('/');
  await expect(page.getByTestId('engine-status')).not.toHaveAttribute('data-state', 'starting');
}

/** Opens a clip through the file input and waits until it is the open project (a new project each time). */
export async function openClip(page: Page, file: string): Promise<void> {
  const before = await page.evaluate(() => window.__videograin!.store.getState().projectId);
  await page.getByTestId('open-clip-input').setInputFiles(file);
  await expect
    .poll(() => page.evaluate(() => window.__videograin!.store.getState().projectId), { timeout: 120_000 })
    .not.toBe(before);
  await expect(page.getByTestId('clip-info')).toBeVisible();
}

export async function setClip(page: Page, frames: number, stride: number, size = 'square-512'): Promise<void> {
  await page.getByTestId('clip-frames').fill(String(frames));
  await page.getByTestId('clip-stride').fill(String(stride));
  await page.getByTestId('clip-size').selectOption(size);
}

export async function extract(page: Page, frames: number): Promise<void> {
  await page.getByTestId('extract').click();
  await expect
    .poll(() => page.evaluate(() => window.__videograin!.store.getState().frames?.count ?? 0), { timeout: 240_000 })
    .toBe(frames);
}

/** Errors shown to the user, by code. */
export async function errorCodes(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    window
      .__videograin!.store.getState()
      .notices.filter((n) => n.kind === 'error')
      .map((n) => n.code ?? ''),
  );
}
