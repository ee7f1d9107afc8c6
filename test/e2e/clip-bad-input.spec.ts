/**
 * Bad input (DESIGN §7, issue 2): each gets a clear message; the page stays usable and the open project is
 * untouched. Fixtures are generated here, never committed.
 */
import { mkdtempSync, openSync, closeSync, ftruncateSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { errorCodes, extract, openApp, openClip, requireShared, setClip, sharedPath } from './helpers';

requireShared();

const dir = mkdtempSync(join(tmpdir(), 'vg-bad-'));

/** A 1 s mono 8 kHz WAV of silence. */
function wav(): Buffer {
  const samples = 8000;
  const b = Buffer.alloc(44 + samples * 2);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + samples * 2, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(8000, 24);
  b.writeUInt32LE(16000, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(samples * 2, 40);
  return b;
}

const snapshot = (page: Page) =>
  page.evaluate(() => {
    const s = window.__videograin!.store.getState();
    return { projectId: s.projectId, frames: s.frames?.count, version: s.frames?.version, sourceName: s.sourceName };
  });

async function expectRefused(page: Page, file: string, codes: string[]): Promise<void> {
  const before = await snapshot(page);
  const errorsBefore = (await errorCodes(page)).length;
  await page.getByTestId('open-clip-input').setInputFiles(file);
  await expect.poll(async () => (await errorCodes(page)).length, { timeout: 120_000 }).toBeGreaterThan(errorsBefore);
  const code = (await errorCodes(page)).at(-1)!;
  expect(codes).toContain(code);
  await expect(page.getByTestId('notice-error').last()).toBeVisible();
  expect(await snapshot(page)).toEqual(before);
}

test('bad clips are refused with a clear message and the open project is untouched', async ({ page }) => {
  await openApp(page);
  await openClip(page, sharedPath('clips/two_cats/source.mp4'));
  await setClip(page, 4, 1, 'square-128');
  await extract(page, 4);

  const notVideo = join(dir, 'holiday.mp4');
  writeFileSync(notVideo, Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 251)));
  await expectRefused(page, notVideo, ['NOT_A_VIDEO']);

  const truncated = join(dir, 'truncated.mp4');
  const full = readFileSync(sharedPath('clips/two_cats/source.mp4'));
  writeFileSync(truncated, full.subarray(0, Math.floor(full.length / 3)));
  await expectRefused(page, truncated, ['CORRUPT_FILE', 'NOT_A_VIDEO']);

  const audioOnly = join(dir, 'voice.wav');
  writeFileSync(audioOnly, wav());
  await expectRefused(page, audioOnly, ['NO_VIDEO_STREAM']);

  // Over the size limit: a sparse file, so the test does not write a gigabyte.
  const huge = join(dir, 'huge.mp4');
  const fd = openSync(huge, 'w');
  ftruncateSync(fd, 1024 * 1024 * 1024 + 1);
  closeSync(fd);
  await expectRefused(page, huge, ['FILE_TOO_LARGE']);

  // The page is still usable: the frames of the open project are still there and can be stepped.
  await expect(page.getByTestId('frame-index')).toHaveText('1 / 4');
});

test('a clip shorter than the requested frames is refused before extraction', async ({ page }) => {
  await openApp(page);
  await openClip(page, sharedPath('clips/two_cats/source.mp4'));
  const total = await page.evaluate(() => window.__videograin!.store.getState().probe!.frameCount);
  await setClip(page, 64, Math.ceil(total / 32), 'square-128');
  await expect(page.getByTestId('clip-problem')).toContainText(`The clip has ${total} frames`);
  await expect(page.getByTestId('extract')).toBeDisabled();
});
