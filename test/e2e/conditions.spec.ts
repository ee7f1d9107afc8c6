// Structure conditions the way a user sees them (issue 16): a depth estimator (a tiny stand-in with the MiDaS
// export's names, from a local folder in Models → Estimators) is loaded, Depth: MiDaS is picked in the run panel,
// *Compute preview* renders one map per frame in the strip (checked on screen pixels: gray maps, not flat, brighter
// where the frame is brighter, as the stand-in's depth is the channel sum). Then Pose: DWPose with the DWPose stand-in
// (one certain person detection and SimCC peaks for the nose and shoulders, as test/unit/pose-runner.test.ts places
// them): the strip shows the skeleton's joints in the annotator's colours where the keypoints are, and the draft edit
// runs with the pose condition.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { requireShared } from './helpers';
import { FRAMES, SIZE, runDraftEdit, setUpDraftEdit, state } from './draft-edit';
import { correlation, meanLuma, shot } from './pixels';
import { writeOnnxFolder } from '../fixtures/onnx-folder';
import { tinyMidasFiles } from '../fixtures/tiny-depth';
import { tinyDwposeFiles, type TinyDetection } from '../fixtures/tiny-dwpose';
import { BODY_COLORS } from '../../src/core/conditions/pose/draw';
import type { Image } from './pixels';

/** One certain person on a 64² frame (see test/unit/pose-runner.test.ts for the arithmetic). */
const PERSON: TinyDetection = { stride: 32, gx: 9, gy: 9, ox: 0.5, oy: 0.5, lw: Math.log(8), lh: Math.log(12), obj: 1, person: 1 }; // prettier-ignore
const PEAKS = [
  { keypoint: 0, ix: 288, iy: 64 }, // nose → (30.4, 10.4)
  { keypoint: 5, ix: 480, iy: 256 }, // left shoulder → (42.4, 22.4)
  { keypoint: 6, ix: 96, iy: 256 }, // right shoulder → (18.4, 22.4); neck → (30.4, 22.4)
];

/** Whether a pixel within 1 px of (x, y) has the colour (±40 per channel: the thumbnail is scaled). */
function colourNear(img: Image, x: number, y: number, rgb: readonly number[]): boolean {
  for (let dy = -1; dy <= 1; dy++)
    for (let dx = -1; dx <= 1; dx++) {
      const i = ((y + dy) * img.width + (x + dx)) * 4;
      if (rgb.every((v, c) => Math.abs(Number(img.data[i + c]) - v) <= 40)) return true;
    }
  return false;
}

test.describe('structure conditions', () => {
  requireShared();

  test('load MiDaS, pick depth: the strip shows depth maps; load DWPose, pick pose: the skeleton; the draft edit runs', async ({
    page,
  }) => {
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

    // Pose: DWPose (the ControlNet stays the draft's tiny one).
    await page.getByTestId('edit-condition').selectOption('dwpose');
    await expect(page.getByTestId('condition-estimator-hint')).toContainText('DWPose');
    const pose = writeOnnxFolder(mkdtempSync(join(tmpdir(), 'vg-dwpose-')), tinyDwposeFiles([PERSON], PEAKS));
    await page.getByTestId('model-source-type-dwpose').selectOption('local');
    await page.getByTestId('model-folder-input-dwpose').setInputFiles(pose);
    await page.getByTestId('onnx-model-load-dwpose').click();
    await expect
      .poll(() => state<string>(page, 'h.store.getState().models.dwpose.state'), { timeout: 60_000 })
      .toBe('ready');
    await page.getByTestId('condition-preview-compute').click();
    await expect(page.getByTestId('condition-preview-status')).toContainText(`${FRAMES} maps`, { timeout: 120_000 });
    for (let f = 0; f < FRAMES; f++) {
      const skeleton = await shot(page.getByTestId(`condition-thumb-${f}`), SIZE, SIZE);
      expect(colourNear(skeleton, 30, 10, BODY_COLORS[0]!), `frame ${f}: the nose`).toBe(true);
      expect(colourNear(skeleton, 30, 22, BODY_COLORS[1]!), `frame ${f}: the neck`).toBe(true);
      expect(colourNear(skeleton, 18, 22, BODY_COLORS[2]!), `frame ${f}: the right shoulder`).toBe(true);
      expect(colourNear(skeleton, 42, 22, BODY_COLORS[5]!), `frame ${f}: the left shoulder`).toBe(true);
      expect(meanLuma(skeleton)).toBeLessThan(40); // black but for the skeleton
    }

    await runDraftEdit(page);
    await expect(page.getByTestId('result-view')).toBeVisible();
    expect(await state<string>(page, 'h.store.getState().editSettings.condition.kind')).toBe('dwpose');
  });
});
