/**
 * The masked preview video (issue 6 §4, like the official masked_video.mp4): a user opens a clip, paints a
 * region, copies it to all frames and downloads the preview; the MP4 has the frames, coloured only where the
 * region is.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { extract, openApp, openClip, requireShared, setClip, sharedPath } from './helpers';

requireShared();

test('masked preview MP4: every frame, coloured inside the region only', async ({ page }) => {
  await openApp(page);
  await openClip(page, sharedPath('clips/two_cats/source.mp4'));
  await setClip(page, 4, 1, 'square-128');
  await extract(page, 4);
  const cont = page.getByTestId('continue-without-gpu');
  if (await cont.isVisible().catch(() => false)) await cont.click();

  await page.getByTestId('add-instance').click();
  await page.getByTestId('brush-size').fill('40');
  const box = (await page.getByTestId('mask-canvas').boundingBox())!;
  // A horizontal stroke through the top quarter of the frame.
  await page.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.25);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.9, box.y + box.height * 0.25, { steps: 12 });
  await page.mouse.up();
  await page.getByTestId('propagate-all').click();
  const regionId = await page.evaluate(() => window.__videograin!.store.getState().selectedRegionId!);
  await expect
    .poll(() => page.evaluate((id) => window.__videograin!.regions.masks.count(id, 3), regionId))
    .toBeGreaterThan(0);

  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 120_000 }),
    page.getByTestId('export-masked-preview').click(),
  ]);
  const mp4 = readFileSync((await download.path())!);
  const r = await page.evaluate(
    async ({ bytes, id }) => {
      const hook = window.__videograin!;
      const decoded = await hook.services.video().extract(new Uint8Array(bytes), {
        start: 0,
        frames: 4,
        stride: 1,
        sizing: { mode: 'square', size: 128 },
      });
      // Mean absolute RGB difference to the source frame, inside and outside the region.
      const inside: number[] = [];
      const outside: number[] = [];
      decoded.frames.forEach((d, f) => {
        const src = hook.bulk.frame(f)!.data;
        let din = 0;
        let nin = 0;
        let dout = 0;
        let nout = 0;
        for (let y = 0; y < 128; y++) {
          for (let x = 0; x < 128; x++) {
            const p = (y * 128 + x) * 4;
            const diff =
              (Math.abs(d[p]! - src[p]!) + Math.abs(d[p + 1]! - src[p + 1]!) + Math.abs(d[p + 2]! - src[p + 2]!)) / 3;
            if (hook.regions.masks.at(id, f, x, y)) {
              din += diff;
              nin++;
            } else if (y > 80) {
              // well away from the stroke (chroma subsampling blurs its edge)
              dout += diff;
              nout++;
            }
          }
        }
        inside.push(din / nin);
        outside.push(dout / nout);
      });
      return { count: decoded.frames.length, width: decoded.width, inside, outside };
    },
    { bytes: [...mp4], id: regionId },
  );
  expect(r.count).toBe(4);
  expect(r.width).toBe(128);
  for (let f = 0; f < 4; f++) {
    expect(r.inside[f]).toBeGreaterThan(15);
    expect(r.outside[f]).toBeLessThan(6);
  }
});
