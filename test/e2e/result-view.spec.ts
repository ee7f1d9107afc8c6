/**
 * The result viewer as rendered (issue 14 item 1 and "What to build"): one draft edit, then screenshots of the
 * result area read back and compared with the result's frame data from the test hook, pixel by pixel:
 * the edit pane shows the edited frame (every frame, and after a reload), the wipe at 0 / 50 / 100 % shows
 * source / half and half / edit (slider and drag), holding B shows the source, the attention overlay changes
 * pixels only translucently (the edit stays visible under it), and 1:1 zoom shows one screen pixel per pixel.
 * With DOCS_SCREENSHOTS=1 it also writes docs/result-viewer.png and docs/result-wipe.png
 * (scripts/docs-screenshots.mjs).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { REPO_DIR, requireShared } from './helpers';
import { FRAMES, SIZE, runDraftEdit, setUpDraftEdit, state } from './draft-edit';
import { correlation, detailCorrelation, meanAbs, meanLuma, shot, type Image } from './pixels';

requireShared();

const DOCS = process.env.DOCS_SCREENSHOTS === '1';
/** Mean |Δ| per channel allowed between a shown frame and its data (colour conversion, sampling). */
const SHOWN_TOLERANCE = 3;

const resultFrame = async (page: Page, f: number): Promise<Image> => ({
  width: SIZE,
  height: SIZE,
  data: await state<number[]>(page, `[...h.edit.result().frames[${f}]]`),
});
const sourceFrame = async (page: Page, f: number): Promise<Image> => ({
  width: SIZE,
  height: SIZE,
  data: await state<number[]>(page, `[...h.bulk.frame(${f}).data]`),
});

test('result viewer: the edit pane, wipe, hold-to-compare, attention overlay and 1:1 zoom show the right pixels', async ({
  page,
}) => {
  test.setTimeout(900_000);
  await page.setViewportSize({ width: 1280, height: 720 });
  await setUpDraftEdit(page, 3);
  const t0 = Date.now();
  await runDraftEdit(page);
  console.log(`draft edit: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await expect(page.getByTestId('result-view')).toBeVisible();
  const edit = [await resultFrame(page, 0), await resultFrame(page, 1)];
  const source = [await sourceFrame(page, 0), await sourceFrame(page, 1)];
  // The edit differs from the source (else the comparisons below could not tell the panes apart).
  expect(meanAbs(edit[0]!, source[0]!)).toBeGreaterThan(15);

  // --- side by side, fit: both panes show their frames; the edit pane is not black (item 1), for every frame.
  const editPane = page.getByTestId('result-edit-stack');
  const sourcePane = page.getByTestId('result-source-stack');
  for (let f = 0; f < FRAMES; f++) {
    await expect(page.getByTestId('frame-index')).toHaveText(`${f + 1} / ${FRAMES}`);
    const shownEdit = await shot(editPane, SIZE, SIZE);
    const shownSource = await shot(sourcePane, SIZE, SIZE);
    const errEdit = meanAbs(shownEdit, edit[f]!);
    const errSource = meanAbs(shownSource, source[f]!);
    console.log(
      `frame ${f}: edit pane vs result |Δ| ${errEdit.toFixed(2)} (luma ${meanLuma(shownEdit).toFixed(1)}), source pane vs frame ${errSource.toFixed(2)}`,
    );
    expect(meanLuma(shownEdit)).toBeGreaterThan(20);
    expect(errEdit).toBeLessThan(SHOWN_TOLERANCE);
    expect(errSource).toBeLessThan(SHOWN_TOLERANCE);
    if (f + 1 < FRAMES) await page.getByTestId('result-next').click();
  }
  // ← keeps stepping frames in the result view (the frame strip's keys).
  await page.keyboard.press('ArrowLeft');
  await expect(page.getByTestId('frame-index')).toHaveText(`1 / ${FRAMES}`);

  // --- attention overlay: translucent (the edit stays visible under it), with its own opacity.
  await page.getByTestId('result-attention').selectOption('1');
  await expect(page.getByTestId('result-heat')).toHaveAttribute('data-on', 'true');
  const opacity = page.getByTestId('result-heat-opacity');
  await opacity.fill('0');
  const at0 = await shot(editPane, SIZE, SIZE);
  await opacity.fill('100');
  const at100 = await shot(editPane, SIZE, SIZE);
  await opacity.fill('60');
  const at60 = await shot(editPane, SIZE, SIZE);
  const d100 = meanAbs(at100, edit[0]!);
  const d60 = meanAbs(at60, edit[0]!);
  const corr = correlation(at100, edit[0]!);
  const detail = detailCorrelation(at100, edit[0]!);
  console.log(
    `overlay: opacity 0 |Δ| ${meanAbs(at0, edit[0]!).toFixed(2)}, 60 % |Δ| ${d60.toFixed(2)}, 100 % |Δ| ${d100.toFixed(2)}, corr(100 %, edit) ${corr.toFixed(3)}, detail corr ${detail.toFixed(3)}`,
  );
  expect(meanAbs(at0, edit[0]!)).toBeLessThan(SHOWN_TOLERANCE); // opacity 0: exactly the edit
  expect(d60).toBeGreaterThan(2); // the overlay shows
  expect(d100).toBeGreaterThan(d60); // and grows with its opacity
  // An opaque layer (the old black canvas) would leave nothing of the edit: at full opacity the edit's detail
  // must still be there, scaled but in place (the heat map is 2×2 at this size, smooth; the edit is not).
  expect(detail).toBeGreaterThan(0.8);
  expect(corr).toBeGreaterThan(0.3);
  if (DOCS) await docsShot(page, 'result-viewer.png');

  // --- wipe: 0 % = source, 100 % = edit, 50 % = edit on the left half, source on the right half.
  await page.getByTestId('result-attention').selectOption('');
  await page.getByTestId('result-mode-wipe').click();
  const wipePane = page.getByTestId('result-wipe-stack');
  const wipe = page.getByTestId('result-wipe');
  await wipe.fill('0');
  const w0 = await shot(wipePane, SIZE, SIZE);
  await wipe.fill('100');
  const w100 = await shot(wipePane, SIZE, SIZE);
  // 50 % by dragging the frame itself to its middle.
  const box = (await wipePane.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 4 });
  await page.mouse.up();
  await expect(wipe).toHaveValue('50');
  await page.mouse.move(0, 0);
  const w50 = await shot(wipePane, SIZE, SIZE);
  const half = SIZE / 2;
  const m = 2; // image pixels left out beside the handle line and the frame's edges
  const wipeErr = {
    at0: meanAbs(w0, source[0]!, m, SIZE),
    at100: meanAbs(w100, edit[0]!, 0, SIZE - m),
    leftEdit: meanAbs(w50, edit[0]!, 0, half - m),
    rightSource: meanAbs(w50, source[0]!, half + m, SIZE),
    leftSource: meanAbs(w50, source[0]!, 0, half - m),
  };
  console.log(
    `wipe |Δ|: ${JSON.stringify(Object.fromEntries(Object.entries(wipeErr).map(([k, v]) => [k, +v.toFixed(2)])))}`,
  );
  expect(wipeErr.at0).toBeLessThan(SHOWN_TOLERANCE);
  expect(wipeErr.at100).toBeLessThan(SHOWN_TOLERANCE);
  expect(wipeErr.leftEdit).toBeLessThan(SHOWN_TOLERANCE);
  expect(wipeErr.rightSource).toBeLessThan(SHOWN_TOLERANCE);
  expect(wipeErr.leftSource).toBeGreaterThan(15);
  if (DOCS) await docsShot(page, 'result-wipe.png');

  // --- hold B: the source in place of the edit, until released.
  await wipe.fill('100');
  await page.locator('body').click({ position: { x: 1, y: 1 } });
  await page.keyboard.down('b');
  await expect(page.getByTestId('result-before')).toHaveAttribute('aria-pressed', 'true');
  expect(meanAbs(await shot(wipePane, SIZE, SIZE), source[0]!, m, SIZE)).toBeLessThan(SHOWN_TOLERANCE);
  await page.keyboard.up('b');
  await expect(page.getByTestId('result-before')).toHaveAttribute('aria-pressed', 'false');
  expect(meanAbs(await shot(wipePane, SIZE, SIZE), edit[0]!, 0, SIZE - m)).toBeLessThan(SHOWN_TOLERANCE);

  // --- 1:1: one CSS pixel per image pixel (device scale 1 here), the same pixels.
  await page.getByTestId('result-mode-side').click();
  await page.getByTestId('result-zoom').selectOption('1');
  const small = (await editPane.boundingBox())!;
  expect([small.width, small.height]).toEqual([SIZE, SIZE]);
  expect(meanAbs(await shot(editPane, SIZE, SIZE), edit[0]!)).toBeLessThan(SHOWN_TOLERANCE);
  await page.getByTestId('result-zoom').selectOption('fit');

  // --- play advances the frame index; pause stops it.
  await page.getByTestId('result-play').click();
  await expect(page.getByTestId('frame-index')).toHaveText(`2 / ${FRAMES}`);
  await page.getByTestId('result-play').click();
  await expect(page.getByTestId('result-play')).toHaveAttribute('aria-pressed', 'false');

  // --- after a reload the edit pane still shows the edit (item 1: "before and after a reload").
  await page.evaluate(() => window.__videograin!.edit.flushSave());
  await page.evaluate(() => window.__videograin!.regions.flushSave());
  await page.reload();
  await expect.poll(() => state<boolean>(page, 'h.store.getState().restored')).toBe(true);
  await expect.poll(() => state<number>(page, 'h.store.getState().editResult?.frameCount ?? 0')).toBe(FRAMES);
  await page.getByTestId('tab-result').click();
  await expect(page.getByTestId('frame-index')).toHaveText(`1 / ${FRAMES}`);
  await page.getByTestId('result-attention').selectOption(''); // whatever the restored view had chosen
  await expect(page.getByTestId('result-heat')).toHaveAttribute('data-on', 'false');
  const reloadedPane = page.getByTestId('result-edit-stack');
  await expect
    .poll(
      async () => {
        const reloaded = await shot(reloadedPane, SIZE, SIZE);
        const err = meanAbs(reloaded, edit[0]!);
        if (err >= SHOWN_TOLERANCE) {
          console.log(`after reload: edit pane vs frame 0 |Δ| ${err.toFixed(2)}, vs frame 1 ${meanAbs(reloaded, edit[1]!).toFixed(2)}, vs source ${meanAbs(reloaded, source[0]!).toFixed(2)}, box ${JSON.stringify(await reloadedPane.boundingBox())}, class ${await reloadedPane.getAttribute('class')}`); // prettier-ignore
          await reloadedPane.screenshot({ path: test.info().outputPath('reloaded-edit-pane.png') });
        }
        return err;
      },
      { timeout: 15_000 },
    )
    .toBeLessThan(SHOWN_TOLERANCE);
});

/** The result area (tabs to frame strip) into docs/, for the README. */
async function docsShot(page: Page, name: string): Promise<void> {
  mkdirSync(join(REPO_DIR, 'docs'), { recursive: true });
  await page.mouse.move(0, 0);
  await page.locator('.center').screenshot({ path: join(REPO_DIR, 'docs', name), animations: 'disabled' });
}
