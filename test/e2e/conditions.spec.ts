// Structure conditions the way a user sees them (issue 16): a depth estimator (a tiny stand-in with the MiDaS
// export's names, from a local folder in Models → Estimators) is loaded, Depth: MiDaS is picked in the run panel,
// *Compute preview* renders one map per frame in the strip (checked on screen pixels: gray maps, not flat, brighter
// where the frame is brighter, as the stand-in's depth is the channel sum), and the draft edit runs with it.
// Depth rather than pose: the tiny DWPose stand-in detects nobody in real frames, so its maps are black.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { requireShared } from './helpers';
import { FRAMES, SIZE, runDraftEdit, setUpDraftEdit, state } from './draft-edit';
import { correlation, meanLuma, shot } from './pixels';
import { writeOnnxFolder } from '../fixtures/tiny-onnx';
import { tinyMidasFiles } from '../fixtures/tiny-depth';

test.describe('structure conditions', () => {
  requireShared();

  test('load MiDaS, pick depth, the preview strip shows the maps, the draft edit runs', async ({ page }) => {
    test.setTimeout(600_000);
    await setUpDraftEdit(page, 2);
    await page.getByTestId('edit-condition').selectOption('depth');
    await expect(page.getByTestId('condition-estimator-hint')).toContainText('Load MiDaS DPT-Hybrid');
    await expect(page.getByTestId('edit-blockers')).toContainText('MiDaS');

    const folder = writeOnnxFolder(mkdtempSync(join(tmpdir(), 'vg-midas-')), tinyMidasFiles());
    await page.getByTestId('onnx-models').locator('summary').click();
    await page.getByTestId('model-source-type-midas').selectOption('local');
    await page.getByTestId('model-folder-input-midas').setInputFiles(folder);
    await page.getByTestId('onnx-model-load-midas').click();
    await expect
      .poll(() => state<string>(page, 'h.store.getState().models.midas.state'), { timeout: 60_000 })
      .toBe('ready');
    await expect(page.getByTestId('condition-estimator-hint')).toHaveCount(0);

    await page.getByTestId('condition-preview-compute').click();
    await expect(page.getByTestId('condition-strip')).toBeVisible({ timeout: 120_000 });
    await expect(page.getByTestId('condition-preview-status')).toContainText(`${FRAMES} maps`);
    const thumb = page.getByTestId('condition-thumb-0');
    await thumb.scrollIntoViewIfNeeded();
    const map = await shot(thumb, SIZE, SIZE);
    let lo = 255;
    let hi = 0;
    let colour = 0;
    for (let i = 0; i < map.data.length; i += 4) {
      const [r, g, b] = [map.data[i]!, map.data[i + 1]!, map.data[i + 2]!];
      lo = Math.min(lo, r);
      hi = Math.max(hi, r);
      colour = Math.max(colour, Math.abs(r - g), Math.abs(g - b));
    }
    expect(colour).toBeLessThanOrEqual(2); // a gray depth map
    expect(hi - lo).toBeGreaterThan(100); // min–max normalised: spans the range
    // The stand-in's depth is the channel sum: the map follows the frame's brightness (the frame canvas also shows
    // the regions' translucent mask colours, hence a moderate bound; an unrelated or flat map is near 0).
    const frame = await shot(page.getByTestId('frame-canvas'), SIZE, SIZE);
    expect(correlation(map, frame)).toBeGreaterThan(0.5);
    expect(meanLuma(await shot(page.getByTestId(`condition-thumb-${FRAMES - 1}`), SIZE, SIZE))).toBeGreaterThan(10);

    await runDraftEdit(page);
    await expect(page.getByTestId('result-view')).toBeVisible();
    expect(await state<string>(page, 'h.store.getState().editSettings.condition.kind')).toBe('depth');
  });
});
