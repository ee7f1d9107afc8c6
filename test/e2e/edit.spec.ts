/**
 * The whole edit flow in the browser (issue 7, DESIGN §1 steps 1–5): a real clip (run_two_man, 2 frames),
 * its VideoGrain masks (left_man, right_man: the trees stay unmasked background), the tiny golden SD1.5 from a
 * base URL and the tiny ControlNet from a local folder, prompts, 3 steps, Edit; the result is checked through
 * the test hook and the downloaded MP4 (decoded with the app's video worker). Then: cancel mid-run loses
 * nothing, a re-edit with a new region prompt reuses the inversion, and the result comes back after a reload.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { errorCodes, extract, openApp, openClip, requireShared, setClip, sharedPath } from './helpers';
import { TINY_SD_URL, serveModels } from './model-route';

requireShared();

const FRAMES = 2;
const SIZE = 64;
const STEPS = 3;
const TARGET = 'Iron Man and Spiderman are jogging under cherry blossoms';

/** A VideoGrain mask folder with the first FRAMES masks of the two men (a temp copy outside the repo). */
function maskFolder(): string {
  const root = mkdtempSync(join(tmpdir(), 'vg-edit-masks-'));
  for (const region of ['left_man', 'right_man']) {
    mkdirSync(join(root, 'masks', region), { recursive: true });
    for (let f = 0; f < FRAMES; f++) {
      const name = `${String(f).padStart(5, '0')}.png`;
      copyFileSync(sharedPath(`clips/run_two_man/masks/${region}/${name}`), join(root, 'masks', region, name));
    }
  }
  return join(root, 'masks');
}

const state = <T>(page: Page, read: string): Promise<T> =>
  page.evaluate((body) => new Function('h', `return ${body}`)(window.__videograin) as T, read);

async function loadModels(page: Page): Promise<void> {
  await page.getByTestId('model-controlnet').selectOption('custom');
  await page.getByTestId('model-source-type-controlnet').selectOption('local');
  await page.getByTestId('model-folder-input-controlnet').setInputFiles(sharedPath('golden/tiny-controlnet'));
  await page.getByTestId('model-source-type-sd15').selectOption('url');
  await page.getByTestId('model-source-sd15').fill(TINY_SD_URL);
  await page.getByTestId('models-load').click();
  await expect
    .poll(
      () => state<string[]>(page, '[h.store.getState().models.sd15.state, h.store.getState().models.controlnet.state]'),
      {
        timeout: 120_000,
      },
    )
    .toEqual(['ready', 'ready']);
}

async function regionPrompt(page: Page, index: number, prompt: string): Promise<void> {
  await page.getByTestId(`region-${index}`).getByTestId('region-prompt').fill(prompt);
}

/** Presses Edit and waits for the result with version > `after`; returns the engine's progress events. */
async function runEdit(page: Page, after: number): Promise<void> {
  await expect(page.getByTestId('edit-run')).toBeEnabled();
  await page.getByTestId('edit-run').click();
  // Done when the result moves; an error notice ends the wait at once (and fails with its message).
  await expect
    .poll(
      () =>
        state<number | string>(
          page,
          `h.store.getState().notices.find((n) => n.kind === 'error')?.message ?? h.store.getState().editResult?.version ?? 0`,
        ),
      { timeout: 420_000 },
    )
    .toBe(after + 1);
  await expect.poll(() => state<boolean>(page, 'h.store.getState().editRun === null')).toBe(true);
}

/** Per-channel mean |a − b| inside and outside the union of the request's masks (all frames). */
async function compare(
  page: Page,
  edited: number[][],
): Promise<{ inside: number; outside: number; insideN: number; outsideN: number }> {
  return page.evaluate((edited) => {
    const h = window.__videograin!;
    const req = h.edit.request()!;
    let inside = 0;
    let outside = 0;
    let insideN = 0;
    let outsideN = 0;
    req.frames.forEach((src, f) => {
      const e = edited[f]!;
      for (let p = 0; p < req.width * req.height; p++) {
        const masked = req.regions.some((r) => r.masks[f]![p]);
        let d = 0;
        for (let c = 0; c < 3; c++) d += Math.abs(e[p * 4 + c]! - src[p * 4 + c]!);
        if (masked) {
          inside += d / 3;
          insideN++;
        } else {
          outside += d / 3;
          outsideN++;
        }
      }
    });
    return { inside: inside / insideN, outside: outside / outsideN, insideN, outsideN };
  }, edited);
}

test('edit a real clip end to end: run, preview, result, MP4, cancel, inversion reuse, reload', async ({ page }) => {
  test.setTimeout(1_500_000);
  await serveModels(page);
  await openApp(page);
  await expect(page.getByTestId('engine-status')).toHaveAttribute('data-state', 'ready');
  await openClip(page, sharedPath('clips/run_two_man/source.mp4'));
  await setClip(page, FRAMES, 1, `square-${SIZE}`);
  await extract(page, FRAMES);
  await expect(page.getByTestId('edit-run')).toBeDisabled();
  await page.getByTestId('import-mask-folder-input').setInputFiles(maskFolder());
  await expect
    .poll(() => state<string[]>(page, 'h.store.getState().regions.map((r) => r.name)'))
    .toEqual(['left_man', 'right_man']);
  await page.getByTestId('target-prompt').fill(TARGET);
  await regionPrompt(page, 0, 'Iron Man');
  await regionPrompt(page, 1, 'Spiderman');
  // The Edit button says what is missing: here the models.
  await expect(page.getByTestId('edit-blockers')).toContainText('Stable Diffusion 1.5');
  await loadModels(page);
  await page.getByTestId('edit-steps').fill(String(STEPS));
  await page.getByTestId('edit-seed').fill('7');
  await expect(page.getByTestId('edit-blockers')).toHaveCount(0);

  // --- first edit: progress through every stage, previews per denoising step, a result of the right shape.
  const t0 = Date.now();
  await runEdit(page, 0);
  console.log(`first edit: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const run1 = await state<{ progress: { stage: string; inversionReused: boolean }[]; previews: number }>(
    page,
    'h.edit.lastRun()',
  );
  expect(new Set(run1.progress.map((p) => p.stage))).toEqual(
    new Set(['prepare', 'text', 'encode', 'invert', 'denoise', 'decode']),
  );
  expect(run1.progress.some((p) => p.inversionReused)).toBe(false);
  expect(run1.previews).toBe(STEPS);
  const meta1 = await state<{
    frameCount: number;
    width: number;
    height: number;
    inversionReused: boolean;
    hasAttentionMaps: boolean;
    unetCalls: number;
  }>(page, 'h.store.getState().editResult');
  expect(meta1).toMatchObject({
    frameCount: FRAMES,
    width: SIZE,
    height: SIZE,
    inversionReused: false,
    hasAttentionMaps: true,
  });
  await expect(page.getByTestId('result-view')).toBeVisible();
  const maps = await state<
    { region: number; frames: number; width: number; height: number; min: number; max: number }[]
  >(
    page,
    'h.edit.result().attentionMaps.map((m) => ({ region: m.region, frames: m.frames, width: m.width, height: m.height, min: Math.min(...m.data), max: Math.max(...m.data) }))',
  );
  expect(maps.map((m) => m.region)).toEqual([0, 1]);
  for (const m of maps) {
    expect(m).toMatchObject({ frames: FRAMES, width: SIZE / 32, height: SIZE / 32 });
    expect(m.min).toBeGreaterThanOrEqual(0);
    expect(m.max).toBeLessThanOrEqual(1);
  }
  await page.getByTestId('result-attention').selectOption('1');
  const result1 = await state<number[][]>(page, 'h.edit.result().frames.map((f) => [...f])');
  const direct = await compare(page, result1);
  console.log(
    `result vs source, mean |Δ| per channel: inside masks ${direct.inside.toFixed(2)} (${direct.insideN} px), outside ${direct.outside.toFixed(2)} (${direct.outsideN} px)`,
  );

  // The tiny VAE has random weights, so decode(encode(source)) is not the source and "outside the masks equals
  // the source" cannot hold literally here. What holds: outside the masks the latent is the source's (blended
  // back every step), so the output there stays closer to the source than inside (measured ≈ 56 vs ≈ 80).
  expect(direct.inside).toBeGreaterThan(20);
  expect(direct.outside).toBeLessThan(direct.inside - 10);

  // --- Download MP4: frame count, size, and the decoded frames are the result's (codec noise only).
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 240_000 }),
    page.getByTestId('download-mp4').click(),
  ]);
  expect(download.suggestedFilename()).toBe('source-edit.mp4');
  const mp4 = readFileSync((await download.path())!);
  const decoded = await page.evaluate(
    async ({ bytes, size }) => {
      const video = window.__videograin!.services.video();
      const probe = await video.probe(new Uint8Array(bytes));
      const set = await video.extract(new Uint8Array(bytes), {
        start: 0,
        frames: probe.frameCount,
        stride: 1,
        sizing: { mode: 'square', size },
      });
      return { count: probe.frameCount, width: set.width, height: set.height, frames: set.frames.map((f) => [...f]) };
    },
    { bytes: [...mp4], size: SIZE },
  );
  expect({ count: decoded.count, width: decoded.width, height: decoded.height }).toEqual({
    count: FRAMES,
    width: SIZE,
    height: SIZE,
  });
  let codec = 0;
  decoded.frames.forEach((f, i) => f.forEach((v, p) => (codec += p % 4 === 3 ? 0 : Math.abs(v - result1[i]![p]!))));
  codec /= FRAMES * SIZE * SIZE * 3;
  const fromMp4 = await compare(page, decoded.frames);
  console.log(
    `MP4 vs result mean |Δ| ${codec.toFixed(2)}; MP4 vs source: inside ${fromMp4.inside.toFixed(2)}, outside ${fromMp4.outside.toFixed(2)}`,
  );
  expect(codec).toBeLessThan(16); // x264 CRF 18 on noise-like 64×64 output

  // --- cancel mid-run: nothing of the project is lost, the previous result stays.
  const before = await state<string>(
    page,
    'JSON.stringify({ regions: h.store.getState().regions, target: h.store.getState().targetPrompt, frames: h.bulk.frames().map((f) => f.data.reduce((a, v) => a + v, 0)), result: h.store.getState().editResult.version, fp: h.edit.fingerprint() })',
  );
  await regionPrompt(page, 1, 'cherry blossoms');
  await expect(page.getByTestId('result-stale')).toBeVisible();
  await page.getByTestId('edit-run').click();
  // Cancel as soon as the engine reports (the re-edit may be quick: it can skip the inversion).
  await expect
    .poll(() => state<number>(page, 'h.edit.lastRun().progress.length'), { timeout: 120_000, intervals: [20] })
    .toBeGreaterThan(0);
  await page.getByTestId('edit-cancel').click();
  await expect.poll(() => state<boolean>(page, 'h.store.getState().editRun === null'), { timeout: 120_000 }).toBe(true);
  expect(await state<string[]>(page, 'h.store.getState().notices.map((n) => n.code)')).toContain('CANCELLED');
  expect(await errorCodes(page)).toEqual([]);
  await regionPrompt(page, 1, 'Spiderman');
  const after = await state<string>(
    page,
    'JSON.stringify({ regions: h.store.getState().regions, target: h.store.getState().targetPrompt, frames: h.bulk.frames().map((f) => f.data.reduce((a, v) => a + v, 0)), result: h.store.getState().editResult.version, fp: h.edit.fingerprint() })',
  );
  expect(after).toBe(before);
  await expect(page.getByTestId('result-stale')).toHaveCount(0);

  // --- re-edit with a new region prompt: the inversion is reused (no encode, no inversion).
  await regionPrompt(page, 1, 'cherry blossoms');
  const version = await state<number>(page, 'h.store.getState().editResult.version');
  const seenReused = page.getByTestId('edit-inversion-reused').waitFor({ timeout: 420_000 });
  const t1 = Date.now();
  await runEdit(page, version);
  console.log(`re-edit (inversion reused): ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  await seenReused;
  const run2 = await state<{ progress: { stage: string; inversionReused: boolean }[] }>(page, 'h.edit.lastRun()');
  expect(run2.progress.some((p) => p.stage === 'invert' || p.stage === 'encode')).toBe(false);
  const meta2 = await state<{ inversionReused: boolean; unetCalls: number }>(page, 'h.store.getState().editResult');
  expect(meta2.inversionReused).toBe(true);
  expect(meta2.unetCalls).toBeLessThan(meta1.unetCalls);
  const result2 = await state<number[][]>(page, 'h.edit.result().frames.map((f) => [...f])');
  const between = await page.evaluate(
    ({ a, b }) => {
      const req = window.__videograin!.edit.request()!;
      const out = { inside: 0, outside: 0, insideN: 0, outsideN: 0 };
      req.frames.forEach((_, f) => {
        for (let p = 0; p < req.width * req.height; p++) {
          let d = 0;
          for (let c = 0; c < 3; c++) d += Math.abs(a[f]![p * 4 + c]! - b[f]![p * 4 + c]!);
          if (req.regions.some((r) => r.masks[f]![p])) { out.inside += d / 3; out.insideN++; } else { out.outside += d / 3; out.outsideN++; } // prettier-ignore
        }
      });
      return { inside: out.inside / out.insideN, outside: out.outside / out.outsideN };
    },
    { a: result1, b: result2 },
  );
  console.log(
    `edit 1 vs edit 2 (new prompt for right_man), mean |Δ|: inside ${between.inside.toFixed(2)}, outside ${between.outside.toFixed(2)}`,
  );

  // Only the right man's prompt changed: the change is larger inside the masks than outside (where only the VAE
  // decoder's reach across the mask border moves pixels; measured ≈ 1.6 vs ≈ 0.9).
  expect(between.inside).toBeGreaterThan(between.outside);
  expect(between.outside).toBeLessThan(3);

  // --- reload: the result and the settings come back with the project.
  await page.evaluate(() => window.__videograin!.edit.flushSave());
  await page.evaluate(() => window.__videograin!.regions.flushSave());
  const sum = (frames: number[][]) => frames.reduce((a, f) => a + f.reduce((x, v) => x + v, 0), 0);
  await page.reload();
  await expect.poll(() => state<boolean>(page, 'h.store.getState().restored')).toBe(true);
  await expect.poll(() => state<number>(page, 'h.store.getState().editResult?.frameCount ?? 0')).toBe(FRAMES);
  expect(
    await state<number>(page, 'h.edit.result().frames.reduce((a, f) => a + f.reduce((x, v) => x + v, 0), 0)'),
  ).toBe(sum(result2));
  expect(await state<number>(page, 'h.store.getState().editSettings.steps')).toBe(STEPS);
  expect(await state<number>(page, 'h.edit.result().attentionMaps.length')).toBe(2);
  await expect.poll(() => state<boolean>(page, 'h.store.getState().editResultStale')).toBe(false);
  await page.getByTestId('tab-result').click();
  await expect(page.getByTestId('result-view')).toBeVisible();
});
