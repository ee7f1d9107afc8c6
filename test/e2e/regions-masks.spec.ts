/**
 * Regions and masks (issue 6): paint with the mouse on the mask canvas and check mask pixels through the
 * test hook (not screenshots); undo/redo, propagation, interpolation, prompts, reload; imports of real
 * palette PNGs (cutie_judo) and of a VideoGrain folder built here; export → re-import; bad inputs.
 */
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { zipSync } from 'fflate';
import { expect, test, type Page } from '@playwright/test';
import { errorCodes, requireShared, sharedPath } from './helpers';

const SIZE = 512;

/** Opens the app and seeds a project with `count` synthetic frames through the normal project-open path. */
async function seed(page: Page, count: number, source?: { width: number; height: number }): Promise<void> {
  await page.goto('/');
  await expect.poll(() => page.evaluate(() => window.__videograin?.store.getState().restored ?? false)).toBe(true);
  await page.evaluate(
    async ({ count, size, source }) => {
      const frames = Array.from({ length: count }, (_, f) => {
        const data = new Uint8Array(size * size * 4);
        for (let i = 0; i < size * size; i++) {
          data[i * 4] = (i % size) / 2;
          data[i * 4 + 1] = f * 10;
          data[i * 4 + 2] = i / size / 2;
          data[i * 4 + 3] = 255;
        }
        return { width: size, height: size, data };
      });
      await window.__videograin!.regions.loadFramesForTest(frames, source ? { source } : {});
    },
    { count, size: SIZE, source },
  );
  await expect(page.getByTestId('mask-canvas')).toBeVisible();
  // Whatever start-up shows over the workspace (e.g. the no-GPU notice) must not catch the mouse.
  const cont = page.getByRole('button', { name: /continue/i });
  if (await cont.isVisible().catch(() => false)) await cont.click();
}

/** Screen position of frame pixel (x, y)'s centre on the mask canvas (view not zoomed). */
async function at(page: Page, x: number, y: number): Promise<{ x: number; y: number }> {
  const box = (await page.getByTestId('mask-canvas').boundingBox())!;
  return { x: box.x + ((x + 0.5) * box.width) / SIZE, y: box.y + ((y + 0.5) * box.height) / SIZE };
}

async function stroke(page: Page, points: [number, number][]): Promise<void> {
  const first = await at(page, ...points[0]!);
  await page.mouse.move(first.x, first.y);
  await page.mouse.down();
  for (const p of points.slice(1)) {
    const q = await at(page, ...p);
    await page.mouse.move(q.x, q.y, { steps: 8 });
  }
  await page.mouse.up();
}

const selectedId = (page: Page) => page.evaluate(() => window.__videograin!.store.getState().selectedRegionId!);
const pixel = (page: Page, frame: number, x: number, y: number) =>
  page.evaluate(({ frame, x, y }) => { const s = window.__videograin!.store.getState(); return window.__videograin!.regions.masks.at(s.selectedRegionId!, frame, x, y); }, { frame, x, y }); // prettier-ignore
const count = (page: Page, frame: number) =>
  page.evaluate((frame) => window.__videograin!.regions.masks.count(window.__videograin!.store.getState().selectedRegionId!, frame), frame); // prettier-ignore
const marks = (page: Page) =>
  page.evaluate(() => { const s = window.__videograin!.store.getState(); return s.maskFrames[s.selectedRegionId!]; }); // prettier-ignore

test('paint, erase, polygon and fill with the mouse; undo/redo by button and keyboard', async ({ page }) => {
  await seed(page, 4);
  await page.getByTestId('add-instance').click();
  await page.getByTestId('brush-size').fill('24');
  await stroke(page, [
    [100, 100],
    [300, 100],
  ]);
  expect(await pixel(page, 0, 100, 100)).toBe(1);
  expect(await pixel(page, 0, 200, 100)).toBe(1);
  expect(await pixel(page, 0, 200, 109)).toBe(1);
  expect(await pixel(page, 0, 200, 130)).toBe(0);
  const painted = await count(page, 0);
  expect(painted).toBeGreaterThan(200 * 20);
  expect(painted).toBeLessThan(230 * 26);

  await page.getByTestId('tool-eraser').click();
  await stroke(page, [
    [200, 60],
    [200, 140],
  ]);
  expect(await pixel(page, 0, 200, 100)).toBe(0);
  expect(await pixel(page, 0, 150, 100)).toBe(1);
  await page.getByTestId('undo').click();
  expect(await pixel(page, 0, 200, 100)).toBe(1);
  await page.getByTestId('redo').click();
  expect(await pixel(page, 0, 200, 100)).toBe(0);
  await page.keyboard.press('Control+z');
  expect(await pixel(page, 0, 200, 100)).toBe(1);
  await page.keyboard.press('Control+Shift+z');
  expect(await pixel(page, 0, 200, 100)).toBe(0);

  // Polygon: four clicks and Enter fill the square between them.
  await page.keyboard.press('p');
  for (const [x, y] of [
    [300, 300],
    [400, 300],
    [400, 400],
    [300, 400],
  ] as const) {
    const q = await at(page, x, y);
    await page.mouse.click(q.x, q.y);
  }
  await page.keyboard.press('Enter');
  expect(await pixel(page, 0, 350, 350)).toBe(1);
  expect(await pixel(page, 0, 420, 350)).toBe(0);

  // Fill: a closed ring painted with the brush, then filled from its centre.
  await page.keyboard.press('b');
  await stroke(page, [
    [80, 300],
    [180, 300],
    [180, 400],
    [80, 400],
    [80, 300],
  ]);
  expect(await pixel(page, 0, 130, 350)).toBe(0);
  await page.keyboard.press('f');
  const c = await at(page, 130, 350);
  await page.mouse.click(c.x, c.y);
  expect(await pixel(page, 0, 130, 350)).toBe(1);
  expect(await pixel(page, 0, 40, 350)).toBe(0);
  await page.getByTestId('undo').click();
  expect(await pixel(page, 0, 130, 350)).toBe(0);

  // Region actions are undoable too.
  await page.getByTestId('region-name').fill('left man');
  await page.getByTestId('region-delete').click();
  expect(await page.evaluate(() => window.__videograin!.store.getState().regions.length)).toBe(0);
  await page.keyboard.press('Control+z');
  expect(await page.evaluate(() => window.__videograin!.store.getState().regions[0]?.name)).toBe('left man');
  expect(await pixel(page, 0, 150, 100)).toBe(1);
});

test('propagate and interpolate; keyframes and propagated frames are marked apart; everything survives a reload', async ({
  page,
}) => {
  await seed(page, 6);
  await page.getByTestId('add-instance').click();
  await page.getByTestId('brush-size').fill('60');
  await stroke(page, [
    [100, 256],
    [101, 256],
  ]);
  await page.evaluate(() => window.__videograin!.store.getState().setCurrentFrame(4));
  await stroke(page, [
    [400, 256],
    [401, 256],
  ]);
  expect(await marks(page)).toBe('k...k.');
  await page.getByTestId('interpolate').click();
  expect(await marks(page)).toBe('kpppk.');
  await expect(page.getByTestId('frame-mark-2')).toHaveAttribute('data-kind', 'propagated');
  await expect(page.getByTestId('frame-mark-4')).toHaveAttribute('data-kind', 'key');
  // Halfway, the disc is halfway: around x = 250, not at either end.
  expect(await pixel(page, 2, 250, 256)).toBe(1);
  expect(await pixel(page, 2, 100, 256)).toBe(0);
  expect(await pixel(page, 2, 400, 256)).toBe(0);
  await page.evaluate(() => window.__videograin!.store.getState().setCurrentFrame(4));
  await page.getByTestId('propagate-next').click();
  expect(await marks(page)).toBe('kpppkp');
  expect(await pixel(page, 5, 400, 256)).toBe(1);
  await page.getByTestId('undo').click();
  expect(await marks(page)).toBe('kpppk.');

  await page.getByTestId('target-prompt').fill('Iron Man and Spiderman are jogging');
  await page.getByTestId('region-prompt').fill('Iron Man');
  await expect(page.getByTestId('token-0')).toHaveAttribute('data-owners', await selectedId(page));
  await expect(page.getByTestId('token-2')).toHaveAttribute('data-owners', '');
  const before = await page.evaluate(() => {
    const s = window.__videograin!.store.getState();
    return [0, 1, 2, 3, 4, 5].map((f) => window.__videograin!.regions.masks.count(s.selectedRegionId!, f));
  });
  await page.evaluate(() => window.__videograin!.regions.flushSave());
  await page.reload();
  await expect.poll(() => page.evaluate(() => window.__videograin?.store.getState().restored ?? false)).toBe(true);
  await expect.poll(() => page.evaluate(() => window.__videograin!.store.getState().regions.length)).toBe(1);
  const after = await page.evaluate(() => {
    const s = window.__videograin!.store.getState();
    const id = s.regions[0]!.id;
    return {
      counts: [0, 1, 2, 3, 4, 5].map((f) => window.__videograin!.regions.masks.count(id, f)),
      marks: s.maskFrames[id],
      target: s.targetPrompt,
      prompt: s.regions[0]!.prompt,
    };
  });
  expect(after).toEqual({
    counts: before,
    marks: 'kpppk.',
    target: 'Iron Man and Spiderman are jogging',
    prompt: 'Iron Man',
  });
});

test('prompts that cannot work are flagged', async ({ page }) => {
  await seed(page, 2);
  await page.getByTestId('add-instance').click();
  await page.getByTestId('target-prompt').fill('a spiderman running');
  await page.getByTestId('region-prompt').fill('man');
  await expect(page.getByTestId('prompt-problems')).toContainText('is not in the target prompt');
  await expect(page.getByTestId('prompt-problems')).toContainText('has no mask on any frame');
});

/** The archive without its last 30 bytes (the end of the central directory). */
const truncated = (zip: Uint8Array) => Buffer.from(zip.subarray(0, zip.length - 30));

function greyPng(on: (x: number, y: number) => boolean): Uint8Array {
  const data = new Uint8Array(SIZE * SIZE);
  for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) data[y * SIZE + x] = on(x, y) ? 255 : 0;
  return encode({ width: SIZE, height: SIZE, data, channels: 1, depth: 8 });
}

const regionCounts = (page: Page) =>
  page.evaluate(() => {
    const s = window.__videograin!.store.getState();
    return s.regions.map((r) => ({
      name: r.name,
      marks: s.maskFrames[r.id],
      counts: Array.from({ length: s.frames!.count }, (_, f) => window.__videograin!.regions.masks.count(r.id, f)),
    }));
  });

test.describe('import and export', () => {
  requireShared();

  test('cutie_judo palette PNGs (sparse) import; exported ZIP re-imports identically', async ({ page }) => {
    await seed(page, 16, { width: 854, height: 480 });
    const dir = sharedPath('clips/cutie_judo/masks');
    await page.getByTestId('import-mask-input').setInputFiles(readdirSync(dir).map((n) => join(dir, n)));
    await expect.poll(() => page.evaluate(() => window.__videograin!.store.getState().regions.length)).toBe(2);
    const imported = await regionCounts(page);
    expect(imported.map((r) => [r.name, r.marks])).toEqual([
      ['object 1', 'k...............'],
      ['object 2', '.....k..........'],
    ]);
    expect(imported[0]!.counts[0]).toBeGreaterThan(0.18 * SIZE * SIZE);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-masks').click()]);
    const zipPath = (await download.path())!;
    await page.getByTestId('undo').click();
    expect((await regionCounts(page)).length).toBe(0);
    await page
      .getByTestId('import-mask-input')
      .setInputFiles({ name: 'masks.zip', mimeType: 'application/zip', buffer: readFileSync(zipPath) });
    await expect.poll(() => page.evaluate(() => window.__videograin!.store.getState().regions.length)).toBe(2);
    const again = await regionCounts(page);
    // The export writes every frame (VideoGrain needs them all), so the empty frames come back as no mask.
    expect(again.map((r) => r.counts)).toEqual(imported.map((r) => r.counts));
    const checksum = () => page.evaluate(() => {
      const s = window.__videograin!.store.getState();
      let h = 0;
      for (const r of s.regions) for (let f = 0; f < 16; f++) { const b = window.__videograin!.regions.masks.pixels(r.id, f); if (b) for (let i = 0; i < b.length; i += 7) h = (h * 31 + b[i]! * (i + 1)) >>> 0; }
      return h;
    }); // prettier-ignore
    const h1 = await checksum();
    await page
      .getByTestId('import-mask-input')
      .setInputFiles({ name: 'masks.zip', mimeType: 'application/zip', buffer: readFileSync(zipPath) });
    await expect.poll(checksum).toBe(h1);
  });

  test('a VideoGrain-layout folder built here imports onto regions of the same name', async ({ page }) => {
    await seed(page, 3);
    const root = mkdtempSync(join(tmpdir(), 'vg-masks-'));
    for (const region of ['left_man', 'right_man']) {
      mkdirSync(join(root, 'masks', region), { recursive: true });
      for (let f = 0; f < 3; f++) {
        const png = greyPng((x, y) => (region === 'left_man' ? x < 100 + 10 * f : x > 400 && y > 200));
        writeFileSync(join(root, 'masks', region, `${String(f).padStart(5, '0')}.png`), png);
      }
    }
    await page.getByTestId('add-instance').click();
    await page.getByTestId('region-name').fill('right_man');
    await page.getByTestId('import-mask-folder-input').setInputFiles(join(root, 'masks'));
    await expect.poll(() => page.evaluate(() => window.__videograin!.store.getState().regions.length)).toBe(2);
    const r = await regionCounts(page);
    expect(r.map((x) => x.name)).toEqual(['right_man', 'left_man']);
    expect(r[1]!.counts).toEqual([100 * SIZE, 110 * SIZE, 120 * SIZE]);
    expect(r[0]!.counts).toEqual([111 * 311, 111 * 311, 111 * 311]);
    expect(r[0]!.marks).toBe('kkk');
  });

  test('bad mask inputs give clear messages and lose nothing painted', async ({ page }) => {
    await seed(page, 4);
    await page.getByTestId('add-instance').click();
    await stroke(page, [
      [100, 100],
      [200, 100],
    ]);
    const painted = await count(page, 0);
    const input = page.getByTestId('import-mask-input');
    const cases: [Parameters<typeof input.setInputFiles>[0], string][] = [
      [{ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') }, 'MASK_NOT_PNG'],
      [{ name: 'empty.zip', mimeType: 'application/zip', buffer: Buffer.from(zipSync({})) }, 'MASK_ZIP_EMPTY'],
      [
        {
          name: 'broken.zip',
          mimeType: 'application/zip',
          buffer: truncated(zipSync({ 'a/00000.png': greyPng(() => true) })),
        },
        'MASK_ZIP_CORRUPT',
      ],
      [
        {
          name: '00000.png',
          mimeType: 'image/png',
          buffer: Buffer.from(
            encode({ width: 100, height: 30, data: new Uint8Array(3000).fill(255), channels: 1, depth: 8 }),
          ),
        },
        'MASK_WRONG_SIZE',
      ],
      [{ name: '00009.png', mimeType: 'image/png', buffer: Buffer.from(greyPng(() => true)) }, 'MASK_WRONG_COUNT'],
      [
        {
          name: '00000.png',
          mimeType: 'image/png',
          buffer: Buffer.from(
            encode({
              width: SIZE,
              height: SIZE,
              data: new Uint8Array(SIZE * SIZE).fill(7),
              channels: 1,
              depth: 8,
              palette: [
                [0, 0, 0],
                [9, 9, 9],
              ],
            }),
          ),
        },
        'MASK_UNKNOWN_INDEX',
      ],
    ];
    for (const [file, code] of cases) {
      await input.setInputFiles(file);
      await expect.poll(() => errorCodes(page)).toContain(code);
      await page.evaluate(() => { const s = window.__videograin!.store.getState(); s.notices.forEach((n) => s.dismissNotice(n.id)); }); // prettier-ignore
    }
    expect(await count(page, 0)).toBe(painted);
    expect(await page.evaluate(() => window.__videograin!.store.getState().regions.length)).toBe(1);
  });
});
