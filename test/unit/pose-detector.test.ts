/**
 * The DWPose annotator's detector steps (src/core/conditions/pose/detector.ts, onnxdet.py): letterbox, YOLOX grid
 * decoding with known raw outputs, NMS on overlapping boxes, the person class and score thresholds.
 */
import { describe, expect, it } from 'vitest';
import { anchorCount, decodeYolox, letterbox, nms, personBoxes } from '../../src/core/conditions/pose/detector';
import type { RgbImage } from '../../src/core/conditions/pose/image';

const C = 85;

function solid(width: number, height: number, rgb: readonly [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) data.set(rgb, 3 * p);
  return { width, height, data };
}

/** Raw detector output with given rows set: [row, cxOff, cyOff, logW, logH, obj, class scores…]. */
function rawOutput(rows: readonly (readonly number[])[]): Float32Array {
  const out = new Float32Array(anchorCount() * C);
  for (const [row, ...v] of rows) out.set(v, row! * C);
  return out;
}

describe('pose detector (YOLOX-L as the DWPose annotator runs it)', () => {
  it('letterboxes to 640² at the top left, pads with 114, keeps the channel order, no normalisation', () => {
    // 8 wide × 4 high: r = min(640/4, 640/8) = 80 → 640 × 320.
    const { tensor, ratio } = letterbox(solid(8, 4, [10, 20, 200]));
    expect(ratio).toBe(80);
    const plane = 640 * 640;
    expect(tensor.length).toBe(3 * plane);
    expect([tensor[0], tensor[plane], tensor[2 * plane]]).toEqual([10, 20, 200]);
    expect(tensor[319 * 640 + 639]).toBe(10);
    expect([tensor[320 * 640], tensor[plane + 639 * 640 + 639]]).toEqual([114, 114]);
  });

  it('decodes grid offsets, log sizes and objectness × class into boxes divided by the ratio', () => {
    // Stride 32, cell (3, 5): row 80² + 40² + 5·20 + 3 = 8103.
    const row = 6400 + 1600 + 5 * 20 + 3;
    const out = rawOutput([[row, 0.5, 0.5, Math.log(2), Math.log(4), 0.9, 0.8]]);
    const c = decodeYolox(out, C, 1.25)[row]!;
    // cx = 3.5·32 = 112, cy = 5.5·32 = 176, w = 64, h = 128, then / 1.25.
    expect(c.box[0]).toBeCloseTo(64, 4);
    expect(c.box[1]).toBeCloseTo(89.6, 4);
    expect(c.box[2]).toBeCloseTo(115.2, 4);
    expect(c.box[3]).toBeCloseTo(192, 4);
    expect(c.score).toBeCloseTo(0.72, 6);
    // Stride 8, cell (0, 0) is row 0; stride 16 starts at row 6400.
    const d = decodeYolox(rawOutput([[6400, 0, 0, 0, 0, 1, 1]]), C, 1)[6400]!;
    expect(d.box).toEqual([-8, -8, 8, 8]);
  });

  it('NMS keeps the best of boxes overlapping above IoU 0.45 (+1-pixel areas) and the rest in score order', () => {
    const boxes = [
      { box: [0, 0, 9, 9] as const, score: 0.8 }, // area 100
      { box: [1, 0, 10, 9] as const, score: 0.9 }, // IoU with 0: 90 / 110 = 0.82 → one of them goes
      { box: [5, 0, 14, 9] as const, score: 0.5 }, // IoU with 1: 60 / 140 = 0.43 → kept
      { box: [100, 100, 120, 120] as const, score: 0.7 },
    ];
    expect(nms(boxes)).toEqual([1, 3, 2]);
    expect(nms(boxes, 0.4)).toEqual([1, 3]);
  });

  it('returns persons scoring > 0.3 only, ignoring other classes and weak candidates', () => {
    const cell = (gx: number, gy: number) => 6400 + 1600 + gy * 20 + gx;
    const out = rawOutput([
      [cell(9, 9), 0.5, 0.5, Math.log(8), Math.log(12), 1, 0.95], // person 0.95: box 176,112,432,496
      [cell(9, 10), 0.5, 0.0, Math.log(8), Math.log(12), 1, 0.9], // the same person 16 px lower: suppressed
      [cell(2, 2), 0.5, 0.5, Math.log(2), Math.log(2), 1, 0.2], // person 0.2: passes NMS (> 0.1), dropped (≤ 0.3)
      [cell(15, 3), 0.5, 0.5, Math.log(2), Math.log(2), 1, 0, 0.99], // a bicycle
      [cell(16, 16), 0.5, 0.5, Math.log(2), Math.log(2), 0.5, 0.7], // person 0.35
    ]);
    const boxes = personBoxes(out, C, 10);
    expect(boxes.length).toBe(2);
    expect(boxes[0]!.map((v) => Math.round(v * 1000) / 1000)).toEqual([17.6, 11.2, 43.2, 49.6]);
    expect(boxes[1]![0]).toBeCloseTo((16.5 * 32 - 32) / 10, 5);
  });
});
