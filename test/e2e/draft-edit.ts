/**
 * The draft edit project for specs that need an edit of their own (as edit-flow.spec.ts makes one through the UI,
 * whose checks of the viewer, the layout, cancel and reload share a single edit): run_two_man,
 * FRAMES frames at SIZE×SIZE, the two men's VideoGrain masks, region and target prompts, the tiny golden SD1.5
 * from a base URL and the tiny ControlNet from a local folder; and a helper that presses Edit and waits. Each
 * WebGPU edit costs minutes on a software adapter: add checks to edit-flow.spec.ts where its edit will do.
 */
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, type Page } from '@playwright/test';
import { extract, openApp, openClip, setClip, sharedPath } from './helpers';
import { TINY_SD_URL, serveModels } from './model-route';

export const FRAMES = 2;
export const SIZE = 64;
export const TARGET = 'Iron Man and Spiderman are jogging under cherry blossoms';

/** Reads `h.<expression>` through the test hook (h = window.__videograin). */
export const state = <T>(page: Page, read: string): Promise<T> =>
  page.evaluate((body) => new Function('h', `return ${body}`)(window.__videograin) as T, read);

/** The first FRAMES masks of the two men in a VideoGrain folder layout (a temp copy outside the repo). */
function maskFolder(): string {
  const root = mkdtempSync(join(tmpdir(), 'vg-draft-masks-'));
  for (const region of ['left_man', 'right_man']) {
    mkdirSync(join(root, 'masks', region), { recursive: true });
    for (let f = 0; f < FRAMES; f++) {
      const name = `${String(f).padStart(5, '0')}.png`;
      copyFileSync(sharedPath(`clips/run_two_man/masks/${region}/${name}`), join(root, 'masks', region, name));
    }
  }
  return join(root, 'masks');
}

/** A fresh app with the draft project ready to edit (`steps` denoising steps, seed 7). */
export async function setUpDraftEdit(page: Page, steps: number): Promise<void> {
  await serveModels(page);
  await openApp(page);
  await expect(page.getByTestId('engine-status')).toHaveAttribute('data-state', 'ready');
  await openClip(page, sharedPath('clips/run_two_man/source.mp4'));
  await setClip(page, FRAMES, 1, `square-${SIZE}`);
  await extract(page, FRAMES);
  await page.getByTestId('import-mask-folder-input').setInputFiles(maskFolder());
  await expect
    .poll(() => state<string[]>(page, 'h.store.getState().regions.map((r) => r.name)'))
    .toEqual(['left_man', 'right_man']);
  await page.getByTestId('target-prompt').fill(TARGET);
  await page.getByTestId('region-0').getByTestId('region-prompt').fill('Iron Man');
  await page.getByTestId('region-1').getByTestId('region-prompt').fill('Spiderman');
  await page.getByTestId('model-controlnet').selectOption('custom');
  await page.getByTestId('model-source-type-controlnet').selectOption('local');
  await page.getByTestId('model-folder-input-controlnet').setInputFiles(sharedPath('golden/tiny-controlnet'));
  await page.getByTestId('model-source-type-sd15').selectOption('url');
  await page.getByTestId('model-source-sd15').fill(TINY_SD_URL);
  await page.getByTestId('models-load').click();
  await expect
    .poll(
      () => state<string[]>(page, '[h.store.getState().models.sd15.state, h.store.getState().models.controlnet.state]'),
      { timeout: 120_000 },
    )
    .toEqual(['ready', 'ready']);
  await page.getByTestId('edit-steps').fill(String(steps));
  await page.getByTestId('edit-seed').fill('7');
  await expect(page.getByTestId('edit-run')).toBeEnabled();
}

/** Presses Edit and waits for a new result; an error notice ends the wait at once and fails with its message. */
export async function runDraftEdit(page: Page): Promise<void> {
  const before = await state<number>(page, 'h.store.getState().editResult?.version ?? 0');
  await page.getByTestId('edit-run').click();
  const outcome = `h.store.getState().notices.find((n) => n.kind === 'error')?.message ?? ((h.store.getState().editResult?.version ?? 0) > ${before} ? 'done' : '')`;
  await expect.poll(() => state<string>(page, outcome), { timeout: 420_000 }).not.toBe('');
  expect(await state<string>(page, outcome)).toBe('done');
  await expect.poll(() => state<boolean>(page, 'h.store.getState().editRun === null')).toBe(true);
}

/** Controls (buttons, fields) that a shown notice covers, as "notice text → control" lines (none expected). */
export function controlsUnderNotices(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const notices = [...document.querySelectorAll<HTMLElement>('.notice')];
    const hits: string[] = [];
    for (const control of document.querySelectorAll<HTMLElement>('button, input, select, textarea')) {
      if (control.closest('.notice')) continue;
      const c = control.getBoundingClientRect();
      if (c.width === 0 || c.height === 0 || getComputedStyle(control).visibility === 'hidden') continue;
      for (const notice of notices) {
        const n = notice.getBoundingClientRect();
        if (c.left < n.right && n.left < c.right && c.top < n.bottom && n.top < c.bottom)
          hits.push(`${notice.textContent} → ${control.dataset.testid ?? control.textContent ?? control.tagName}`);
      }
    }
    return hits;
  });
}
