// Flow-guided consistency (FLATTEN, issue 17) the way a user turns it on: Run → Advanced shows the toggle, which
// says it needs optical flow until a flow model is loaded; loading RAFT (a tiny stand-in with the export's
// signature, from a local folder in the Models panel's "Estimators, optical flow and segmentation" rows) turns it
// on with the official settings; the draft edit then runs with the engine computing the flow from the frames
// (the request carries no flows: without RAFT's flow the engine would refuse it) and the result view shows it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Locator } from '@playwright/test';
import { requireShared } from './helpers';
import { SIZE, runDraftEdit, setUpDraftEdit, state } from './draft-edit';
import { meanLuma, shot } from './pixels';
import { writeOnnxFolder } from '../fixtures/onnx-folder';
import { tinyRaft } from '../fixtures/tiny-raft';

/** Share of pixels in the warning colour (the hint's text), over a screenshot of the element. */
async function warningShare(locator: Locator): Promise<number> {
  const box = await locator.boundingBox();
  const img = await shot(locator, Math.round(box!.width), Math.round(box!.height));
  let hits = 0;
  for (let i = 0; i < img.data.length; i += 4) {
    const [r, g, b] = [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
    if (r > 170 && g > 120 && g < 210 && b < 120 && r - b > 90) hits++;
  }
  return hits / (img.data.length / 4);
}

test.describe('flow-guided consistency', () => {
  requireShared();

  test('needs RAFT, turns on when RAFT loads, and the draft edit runs with the engine’s flow', async ({ page }) => {
    test.setTimeout(600_000);
    await setUpDraftEdit(page, 2);
    await page.getByTestId('edit-advanced').locator('summary').click();
    const toggle = page.getByTestId('edit-flow-on');
    await expect(toggle).not.toBeChecked();

    // Turned on by hand before any flow model: the hint says what is missing, in the warning colour.
    await toggle.check();
    await expect(page.getByTestId('edit-flow-res-1')).toBeChecked();
    await expect(page.getByTestId('edit-flow-needs-model')).toBeVisible();
    const flowBox = page.getByTestId('edit-flow');
    expect(await warningShare(flowBox)).toBeGreaterThan(0.002);
    await toggle.uncheck();
    await expect(page.getByTestId('edit-flow-res-1')).toHaveCount(0);

    // Load RAFT from a local folder: flow-guided consistency turns on by itself, and the hint is gone.
    const folder = writeOnnxFolder(mkdtempSync(join(tmpdir(), 'vg-raft-')), {
      'raft_large.onnx': tinyRaft(SIZE, SIZE),
    });
    await page.getByTestId('onnx-models').locator('summary').click();
    await page.getByTestId('model-source-type-raft').selectOption('local');
    await page.getByTestId('model-folder-input-raft').setInputFiles(folder);
    await page.getByTestId('onnx-model-load-raft').click();
    await expect
      .poll(() => state<string>(page, 'h.store.getState().models.raft.state'), { timeout: 60_000 })
      .toBe('ready');
    await expect(page.getByTestId('model-status-raft')).toContainText('ready');
    await expect(toggle).toBeChecked();
    await expect(page.getByTestId('edit-flow-oldqk')).toBeChecked();
    await expect(page.getByTestId('edit-flow-needs-model')).toHaveCount(0);
    expect(await warningShare(flowBox)).toBeLessThan(0.0005);
    expect(await state<unknown>(page, 'h.store.getState().editSettings.flatten')).toEqual({
      resolutions: [1],
      oldQk: true,
    });

    await runDraftEdit(page);
    await expect(page.getByTestId('result-view')).toBeVisible();
    const shown = await shot(page.getByTestId('result-edit-stack'), SIZE, SIZE);
    expect(meanLuma(shown)).toBeGreaterThan(20);
  });
});
