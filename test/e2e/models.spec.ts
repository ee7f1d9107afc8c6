// Models panel flows (issue 5): the user points the app at a base URL, loads with byte progress, the model
// is cached and comes back after a reload with no network; a 404 source is a notice with its code.
// The "server" is page.route on http://models.test/, answering from ../shared/golden/tiny-sd (tokenizer files
// from models/clip_tokenizer, as tiny-sd has none) with the headers a CORS-enabled static host sends.
import { expect, test, type Page } from '@playwright/test';
import { errorCodes, openApp, requireShared, sharedPath } from './helpers';
import { TINY_SD_URL as BASE, serveModels } from './model-route';

const sdState = (page: Page) => page.evaluate(() => window.__videograin!.store.getState().models.sd15);

async function loadFromUrl(page: Page, url: string): Promise<void> {
  await page.getByTestId('model-source-type-sd15').selectOption('url');
  await page.getByTestId('model-source-sd15').fill(url);
  await page.getByTestId('models-load').click();
}

test.describe('models panel', () => {
  requireShared();

  test('base URL: load with byte progress, ready; after a reload it is cached and loads with no request', async ({
    page,
  }) => {
    const log = await serveModels(page);
    await openApp(page);
    // Record what the store saw while loading (progress events arrive through the worker).
    await page.evaluate(() => {
      const seen: { state: string; bytes: number; total: number }[] = [];
      (window as unknown as { __seen: typeof seen }).__seen = seen;
      window.__videograin!.store.subscribe((s) => {
        const p = s.models.sd15.progress;
        seen.push({ state: s.models.sd15.state, bytes: p?.bytes ?? 0, total: p?.total ?? 0 });
      });
    });
    await loadFromUrl(page, BASE);
    await expect.poll(async () => (await sdState(page)).state, { timeout: 120_000 }).toBe('ready');
    const info = (await sdState(page)).info!;
    expect(info).toMatchObject({ id: BASE, remote: true, fromCache: false, precision: 'fp32' });
    const seen = await page.evaluate(
      () => (window as unknown as { __seen: { bytes: number; total: number }[] }).__seen,
    );
    const partial = seen.filter((s) => s.total > 0 && s.bytes > 0 && s.bytes < s.total);
    expect(partial.length).toBeGreaterThan(0);
    expect(Math.max(...seen.map((s) => s.bytes))).toBe(info.bytes);
    await expect(page.getByTestId('model-status-sd15')).toHaveAttribute('data-state', 'ready');
    await expect(page.locator(`[data-testid="cached-model"][data-id="${BASE}"]`)).toHaveCount(1);
    expect(log.some((l) => l === 'GET /tiny-sd/unet/diffusion_pytorch_model.safetensors')).toBe(true);

    log.length = 0;
    await page.reload();
    await expect.poll(async () => (await sdState(page)).state, { timeout: 60_000 }).toBe('ready');
    expect((await sdState(page)).info).toMatchObject({ id: BASE, fromCache: true, bytes: info.bytes });
    await expect(page.getByTestId('model-source-sd15')).toHaveValue(BASE); // the choice was remembered
    await expect(page.locator(`[data-testid="cached-model"][data-id="${BASE}"]`)).toHaveCount(1);
    expect(log).toEqual([]);

    await page.getByTestId('model-cache').locator('summary').click();
    await page.getByTestId('delete-cached-models').click();
    await expect(page.getByTestId('cached-model')).toHaveCount(0);
    expect((await sdState(page)).state).toBe('idle');
  });

  test('a base URL without the model: MODEL_FILE_NOT_FOUND notice, nothing loaded', async ({ page }) => {
    await serveModels(page);
    await openApp(page);
    await loadFromUrl(page, 'http://models.test/nothing-here');
    await expect.poll(async () => (await sdState(page)).state, { timeout: 60_000 }).toBe('error');
    expect(await errorCodes(page)).toContain('MODEL_FILE_NOT_FOUND');
    await expect(page.locator('[data-testid="notice-error"][data-code="MODEL_FILE_NOT_FOUND"]')).toContainText(
      'model_index.json',
    );
    expect((await sdState(page)).error?.code).toBe('MODEL_FILE_NOT_FOUND');
  });

  test('ControlNet from a local folder (folder input) beside SD from a base URL', async ({ page }) => {
    await serveModels(page);
    await openApp(page);
    await page.getByTestId('model-controlnet').selectOption('custom');
    await page.getByTestId('model-source-type-controlnet').selectOption('local');
    await page.getByTestId('model-folder-input-controlnet').setInputFiles(sharedPath('golden/tiny-controlnet'));
    await expect(page.getByTestId('model-folder-controlnet')).toContainText('tiny-controlnet');
    await loadFromUrl(page, BASE);
    await expect
      .poll(() => page.evaluate(() => window.__videograin!.store.getState().models.controlnet.state), {
        timeout: 120_000,
      })
      .toBe('ready');
    const cn = await page.evaluate(() => window.__videograin!.store.getState().models.controlnet.info!);
    expect(cn).toMatchObject({ kind: 'controlnet', remote: false, files: 2, fromCache: false });
    expect((await sdState(page)).state).toBe('ready');
    // Local folders are read in place: only the base URL source is cached.
    await expect(page.getByTestId('cached-model')).toHaveCount(1);
  });
});
