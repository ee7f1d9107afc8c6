/**
 * The clip round trip (issue 2): open a real clip, extract frames, export MP4, and check that the download
 * decodes to exactly those frames (PSNR ≥ 35 dB); projects come back after a reload, with the clip settings as the
 * panel showed them.
 */
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { extract, openApp, openClip, requireShared, setClip, sharedPath } from './helpers';
import { meanAbs, shot } from './pixels';

requireShared();

/** Exports through the UI and returns the downloaded MP4's bytes. */
async function exportDownload(page: Page): Promise<Buffer> {
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 240_000 }),
    page.getByTestId('export-mp4').click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/\.mp4$/);
  return readFileSync((await download.path())!);
}

/** Decodes `mp4` with the app's own video worker and compares it with the extracted frames. */
async function compareWithExtracted(
  page: Page,
  mp4: Buffer,
  size: number,
): Promise<{ count: number; width: number; height: number; minPsnr: number }> {
  return page.evaluate(
    async ({ bytes, size }) => {
      const hook = window.__videograin!;
      const frames = hook.bulk.frames();
      const probe = await hook.services.video().probe(new Uint8Array(bytes));
      const decoded = await hook.services.video().extract(new Uint8Array(bytes), {
        start: 0,
        frames: Math.min(probe.frameCount, 64),
        stride: 1,
        sizing: { mode: 'square', size },
      });
      let minPsnr = Infinity;
      decoded.frames.forEach((d, i) => {
        const ref = frames[i]!.data;
        let se = 0;
        let n = 0;
        for (let p = 0; p < d.length; p += 4) {
          for (let c = 0; c < 3; c++) {
            const diff = d[p + c]! - ref[p + c]!;
            se += diff * diff;
            n++;
          }
        }
        minPsnr = Math.min(minPsnr, 10 * Math.log10((255 * 255) / (se / n)));
      });
      return {
        count: decoded.frames.length,
        width: decoded.width,
        height: decoded.height,
        minPsnr,
        probed: probe.frameCount,
      };
    },
    { bytes: [...mp4], size },
  );
}

test('two_cats: 16 frames at 512×512 round-trip through MP4 export', async ({ page }) => {
  await openApp(page);
  await expect(page.getByTestId('engine-status')).toHaveAttribute('data-state', 'ready');
  await openClip(page, sharedPath('clips/two_cats/source.mp4'));
  await setClip(page, 16, 1);
  await extract(page, 16);
  const meta = await page.evaluate(() => window.__videograin!.store.getState().frames);
  expect(meta).toMatchObject({ count: 16, width: 512, height: 512 });
  const mp4 = await exportDownload(page);
  const r = await compareWithExtracted(page, mp4, 512);
  expect(r).toMatchObject({ count: 16, width: 512, height: 512 });
  expect(r.minPsnr).toBeGreaterThanOrEqual(35);
});

test('bedroom_two_kids (960×540): stride 2, scaled and centre-cropped to 512×512', async ({ page }) => {
  await openApp(page);
  await openClip(page, sharedPath('clips/bedroom_two_kids/source.mp4'));
  await expect(page.getByTestId('clip-info')).toContainText('960×540');
  await setClip(page, 16, 2);
  await extract(page, 16);
  const mp4 = await exportDownload(page);
  const r = await compareWithExtracted(page, mp4, 512);
  expect(r).toMatchObject({ count: 16, width: 512, height: 512 });
  expect(r.minPsnr).toBeGreaterThanOrEqual(35);
});

test('arrow keys step through the frame strip', async ({ page }) => {
  await openApp(page);
  await openClip(page, sharedPath('clips/two_cats/source.mp4'));
  await setClip(page, 4, 1, 'square-128');
  await extract(page, 4);
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('frame-index')).toHaveText('3 / 4');
  await page.keyboard.press('ArrowLeft');
  await expect(page.getByTestId('frame-index')).toHaveText('2 / 4');
  await page.keyboard.press('End');
  await expect(page.getByTestId('frame-index')).toHaveText('4 / 4');
});

test('a project comes back after a reload; several projects are kept, opened and deleted', async ({ page }) => {
  await openApp(page);
  await openClip(page, sharedPath('clips/two_cats/source.mp4'));
  await setClip(page, 4, 3, 'square-128');
  await extract(page, 4);
  const before = await page.evaluate(() => {
    const h = window.__videograin!;
    const s = h.store.getState();
    const sum = h.bulk.frames().reduce((a, f) => a + f.data.reduce((x, v) => x + v, 0), 0);
    return { id: s.projectId, clip: s.clip, frames: s.frames, sum };
  });
  await page.reload();
  await expect.poll(() => page.evaluate(() => window.__videograin!.store.getState().restored)).toBe(true);
  const after = await page.evaluate(() => {
    const h = window.__videograin!;
    const s = h.store.getState();
    const sum = h.bulk.frames().reduce((a, f) => a + f.data.reduce((x, v) => x + v, 0), 0);
    return { id: s.projectId, clip: s.clip, frames: s.frames, sum };
  });
  expect(after.id).toBe(before.id);
  expect(after.clip).toEqual(before.clip);
  expect(after.frames?.count).toBe(4);
  expect(after.sum).toBe(before.sum);
  await expect(page.getByTestId('clip-info')).toContainText('source.mp4');

  // Settings changed after the extraction and not extracted yet come back too, as the panel showed them; the
  // extracted frames stay those of the earlier settings.
  const controls = page.getByTestId('clip-controls');
  const box = (await controls.boundingBox())!;
  const controlsShot = () => shot(controls, Math.round(box.width), Math.round(box.height));
  const extractedLook = await controlsShot();
  await page.getByTestId('clip-start').fill('2');
  await setClip(page, 3, 2, 'square-128');
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  const changedLook = await controlsShot();
  expect(meanAbs(changedLook, extractedLook)).toBeGreaterThan(0);
  await page.evaluate(() => window.__videograin!.clip.flushSave());
  await page.reload();
  await expect.poll(() => page.evaluate(() => window.__videograin!.store.getState().restored)).toBe(true);
  await expect(page.getByTestId('clip-start')).toHaveValue('2');
  await expect(page.getByTestId('clip-frames')).toHaveValue('3');
  await expect(page.getByTestId('clip-stride')).toHaveValue('2');
  expect(meanAbs(await controlsShot(), changedLook)).toBe(0);
  const kept = await page.evaluate(() => window.__videograin!.store.getState().frames);
  expect(kept).toMatchObject({ count: 4, settings: before.clip });

  // A second project, then switch back to the first, then delete the second.
  await openClip(page, sharedPath('clips/bedroom_two_kids/source.mp4'));
  const second = await page.evaluate(() => window.__videograin!.store.getState().projectId);
  expect(second).not.toBe(before.id);
  await expect
    .poll(() => page.evaluate(() => window.__videograin!.store.getState().projects.length))
    .toBeGreaterThanOrEqual(2);
  await page.getByTestId('project-select').selectOption(before.id!);
  await expect.poll(() => page.evaluate(() => window.__videograin!.store.getState().frames?.count)).toBe(4);
  await page.getByTestId('project-select').selectOption(second!);
  page.once('dialog', (d) => void d.accept());
  await page.getByTestId('delete-project').click();
  await expect
    .poll(() => page.evaluate(() => window.__videograin!.store.getState().projects.map((p) => p.id)))
    .not.toContain(second);
});
