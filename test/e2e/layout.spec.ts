/**
 * The fixed layout (issue 14 items 2, 7, 8), at 1280×720 and 1440×900 with the draft project: the page never
 * scrolls and the prompts are in view; during a run Edit's Cancel, the edit's progress bar and the live
 * preview are in the viewport; the preview arriving does not move the mask canvas (bounding boxes before and
 * after); notices cover no control and info notices expire while errors stay until dismissed. Ends with a
 * Cancel, timed. With DOCS_SCREENSHOTS=1 it writes docs/run-bar.png and docs/editor-1280x720.png
 * (scripts/docs-screenshots.mjs).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { REPO_DIR, requireShared } from './helpers';
import { controlsUnderNotices, setUpDraftEdit, state } from './draft-edit';

requireShared();

const DOCS = process.env.DOCS_SCREENSHOTS === '1';
const SIZES = [
  { width: 1280, height: 720 },
  { width: 1440, height: 900 },
] as const;
/** After the first preview two denoising steps remain (each many seconds here): time to check both sizes. */
const STEPS = 3;

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Boxes of the run's controls and the mask canvas, read in one go (the run cannot end half way through). */
function layoutNow(page: Page) {
  return page.evaluate(() => {
    const box = (testId: string, inner = '') => {
      const e = document.querySelector(`[data-testid="${testId}"]${inner}`);
      if (!e) return null;
      const r = e.getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height };
    };
    return {
      running: window.__videograin!.store.getState().editRun !== null,
      viewport: { width: innerWidth, height: innerHeight },
      pageScrolls: document.documentElement.scrollHeight > innerHeight || document.body.scrollHeight > innerHeight,
      edit: box('edit-run'),
      cancel: box('edit-cancel'),
      progress: box('task-edit', ' progress'),
      preview: box('edit-preview'),
      mask: box('mask-canvas'),
    };
  });
}

const inside = (b: Box | null, v: { width: number; height: number }) =>
  b !== null &&
  b.width > 0 &&
  b.height > 0 &&
  b.x >= 0 &&
  b.y >= 0 &&
  b.x + b.width <= v.width &&
  b.y + b.height <= v.height;

test('layout: run bar in view during a run, the preview moves nothing, notices cover no control', async ({ page }) => {
  test.setTimeout(900_000);
  await page.setViewportSize(SIZES[0]);
  await setUpDraftEdit(page, STEPS);

  // --- before the run, at both sizes: no page scroll, prompts and Edit in view; the mask canvas's place.
  const maskBefore: Box[] = [];
  for (const size of SIZES) {
    await page.setViewportSize(size);
    await expect(page.getByTestId('target-prompt')).toBeInViewport({ ratio: 1 });
    await expect(page.getByTestId('source-prompt')).toBeInViewport({ ratio: 1 });
    for (const i of [0, 1]) await expect(page.getByTestId(`region-${i}`).getByTestId('region-prompt')).toBeInViewport({ ratio: 1 }); // prettier-ignore
    const l = await layoutNow(page);
    expect(l.pageScrolls).toBe(false);
    expect(inside(l.edit, l.viewport)).toBe(true);
    maskBefore.push(l.mask!);
    // The mask tools take at most two rows (item 8: three at 1280×720 before).
    const toolbar = (await page.locator('.mask-editor-bar').boundingBox())!;
    expect(toolbar.height).toBeLessThan(80);
  }

  // --- notices: a long error and an info notice cover no control; the info one expires, the error stays.
  await page.evaluate(() => {
    const s = window.__videograin!.store.getState();
    s.notify('error', 'A long error notice for the layout test: it says what failed and what to do about it, in more words than fit on one line.', 'LAYOUT_TEST'); // prettier-ignore
    s.notify('info', 'An informational notice for the layout test.');
  });
  for (const size of SIZES) {
    await page.setViewportSize(size);
    expect(await controlsUnderNotices(page)).toEqual([]);
  }
  await expect(page.getByTestId('notice-info')).toHaveCount(0, { timeout: 15_000 });
  await expect(page.locator('[data-testid="notice-error"][data-code="LAYOUT_TEST"]')).toBeVisible();
  await page.locator('[data-testid="notice-error"][data-code="LAYOUT_TEST"]').getByTestId('notice-dismiss').click();
  await expect(page.locator('[data-code="LAYOUT_TEST"]')).toHaveCount(0);
  await page.evaluate(() =>
    window.__videograin!.store.getState().notify('error', 'An error shown during the run.', 'LAYOUT_TEST'),
  );

  // --- the run: once a preview is shown, the run bar's controls are in view and the mask canvas has not moved.
  await page.setViewportSize(SIZES[0]);
  await page.getByTestId('edit-run').click();
  await expect(page.getByTestId('edit-preview')).toBeVisible({ timeout: 600_000 });
  for (const [i, size] of SIZES.entries()) {
    await page.setViewportSize(size);
    const l = await layoutNow(page);
    console.log(`${size.width}×${size.height} during the run: ${JSON.stringify(l)}`);
    expect(l.running).toBe(true);
    expect(l.pageScrolls).toBe(false);
    expect(inside(l.cancel, l.viewport)).toBe(true);
    expect(inside(l.progress, l.viewport)).toBe(true);
    expect(inside(l.preview, l.viewport)).toBe(true);
    expect(l.mask).toEqual(maskBefore[i]);
    expect(await controlsUnderNotices(page)).toEqual([]);
    if (DOCS && i === 0) {
      mkdirSync(join(REPO_DIR, 'docs'), { recursive: true });
      await page.getByTestId('run-bar').screenshot({ path: join(REPO_DIR, 'docs', 'run-bar.png') });
      await page.screenshot({ path: join(REPO_DIR, 'docs', 'editor-1280x720.png') });
    }
  }

  // --- Cancel from the run bar: timed (the engine stops at its next network call), then a CANCELLED notice.
  const t0 = Date.now();
  await page.getByTestId('edit-cancel').click();
  await expect.poll(() => state<boolean>(page, 'h.store.getState().editRun === null'), { timeout: 120_000 }).toBe(true);
  console.log(`cancel took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await expect(page.locator('[data-testid="notice-info"][data-code="CANCELLED"]')).toBeVisible();
  await expect(page.getByTestId('edit-run')).toBeInViewport({ ratio: 1 });
  expect(await controlsUnderNotices(page)).toEqual([]);
});
