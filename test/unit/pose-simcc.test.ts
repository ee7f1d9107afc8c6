/**
 * The DWPose annotator's estimator steps (src/core/conditions/pose/simcc.ts and image.ts, onnxpose.py): box →
 * centre/scale with the 1.25 padding and the 288/384 aspect, the affine crop, mean/std normalisation, SimCC peaks →
 * keypoints back through the affine, the score rule.
 */
import { describe, expect, it } from 'vitest';
import { invertAffine, resizeLinear, warpAffine, type RgbImage } from '../../src/core/conditions/pose/image';
import {
  boxFrame,
  cropMatrix,
  decodeSimcc,
  POSE_MEAN,
  POSE_STD,
  poseInput,
} from '../../src/core/conditions/pose/simcc';

function image(width: number, height: number, value: (x: number, y: number, c: number) => number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[3 * (y * width + x) + c] = value(x, y, c);
  return { width, height, data };
}

function simcc(k: number, width: number, peaks: Record<number, [number, number]>): Float32Array {
  const v = new Float32Array(k * width).fill(0.01);
  for (const [kp, [i, val]] of Object.entries(peaks)) v[Number(kp) * width + i] = val;
  return v;
}

describe('pose estimator pre/post-processing (DWPose-L 384×288, SimCC)', () => {
  it('pads the box by 1.25 and fixes it to the 288/384 aspect', () => {
    expect(boxFrame([100, 50, 200, 450])).toEqual({ center: [150, 250], scale: [375, 500] });
    const wide = boxFrame([0, 0, 400, 100]);
    expect(wide.center).toEqual([200, 50]);
    expect(wide.scale[0]).toBe(500);
    expect(wide.scale[1]).toBeCloseTo(500 / 0.75, 9);
  });

  it('crops with the affine that maps the box centre to the input centre and scale.w to 288 pixels', () => {
    const m = cropMatrix(boxFrame([100, 50, 200, 450]));
    const k = 288 / 375;
    const expected = [k, 0, 144 - 150 * k, 0, k, 192 - 250 * k];
    m.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 4));
  });

  it('normalises with the ImageNet mean/std in RGB order, border 0 outside the frame', () => {
    const img = image(64, 64, (_x, _y, c) => [200, 100, 50][c]!);
    // Whole frame: centre (32, 32), scale 80 × 106.7 → the crop reaches 8 px left of the frame.
    const input = poseInput(img, boxFrame([0, 0, 64, 64]));
    const plane = 288 * 384;
    const at = (c: number, x: number, y: number) => input[c * plane + y * 288 + x]!;
    for (let c = 0; c < 3; c++) {
      expect(at(c, 144, 192)).toBeCloseTo(([200, 100, 50][c]! - POSE_MEAN[c]!) / POSE_STD[c]!, 5);
      expect(at(c, 0, 192)).toBeCloseTo((0 - POSE_MEAN[c]!) / POSE_STD[c]!, 5);
    }
  });

  it('decodes SimCC peaks (argmax / 2, score = the smaller maximum) back into image pixels', () => {
    const frame = boxFrame([100, 50, 200, 450]); // centre (150, 250), scale (375, 500)
    const x = simcc(3, 576, { 0: [288, 0.9], 1: [0, 0.8], 2: [10, -0.5] });
    const y = simcc(3, 768, { 0: [384, 0.6], 1: [767, 0.95], 2: [10, -0.5] });
    const k = decodeSimcc(x, y, 3, frame);
    // Bin 288 → 144 px of 288 → the centre; bin 384 → 192 of 384 → the centre.
    expect([k.xy[0], k.xy[1]]).toEqual([150, 250]);
    expect(k.scores[0]).toBeCloseTo(0.6, 6);
    // Bin 0 → the crop's left edge (150 − 187.5); bin 767 → 383.5 px of 384.
    expect(k.xy[2]).toBeCloseTo(-37.5, 9);
    expect(k.xy[3]).toBeCloseTo((383.5 / 384) * 500 + 0, 9);
    expect(k.scores[1]).toBeCloseTo(0.8, 6);
    // Non-positive score: location −1 (→ −0.5 after the split ratio).
    expect(k.scores[2]).toBeCloseTo(0.01, 6);
    const neg = decodeSimcc(simcc(1, 576, { 0: [5, -1] }).fill(-1), simcc(1, 768, {}).fill(-2), 1, frame);
    expect(neg.scores[0]).toBe(-2);
    expect(neg.xy[0]).toBeCloseTo((-0.5 / 288) * 375 + 150 - 187.5, 9);
  });

  it('a bright dot found in the crop decodes back to where it is in the frame', () => {
    const img = image(128, 96, (x, y) => (x === 70 && y === 40 ? 255 : 0));
    const frame = boxFrame([40, 10, 100, 90]);
    const input = poseInput(img, frame);
    let best = 0;
    for (let i = 1; i < 288 * 384; i++) if (input[i]! > input[best]!) best = i;
    const [cx, cy] = [best % 288, Math.floor(best / 288)];
    const k = decodeSimcc(simcc(1, 576, { 0: [2 * cx, 1] }), simcc(1, 768, { 0: [2 * cy, 1] }), 1, frame);
    const pixel = frame.scale[0] / 288; // one crop pixel in frame pixels
    expect(Math.abs(k.xy[0]! - 70)).toBeLessThanOrEqual(pixel);
    expect(Math.abs(k.xy[1]! - 40)).toBeLessThanOrEqual(pixel);
  });

  it('resizes like cv2.resize INTER_LINEAR (half-pixel centres, clamped edges) and warps with the inverse map', () => {
    const img = image(2, 1, (x) => (x === 0 ? 0 : 200));
    const up = resizeLinear(img, 4, 1);
    // Destination centres map to −0.25, 0.25, 0.75, 1.25 → clamped 0, 50, 150, 200.
    expect(Array.from(up.data.filter((_, i) => i % 3 === 0))).toEqual([0, 50, 150, 200]);
    const shift = warpAffine(
      image(4, 1, (x) => x * 10),
      [1, 0, 1, 0, 1, 0],
      4,
      1,
    );
    expect(Array.from(shift.data.filter((_, i) => i % 3 === 0))).toEqual([0, 0, 10, 20]);
    const inv = invertAffine([2, 0, 3, 0, 4, 5]);
    [0.5, 0, -1.5, 0, 0.25, -1.25].forEach((v, i) => expect(inv[i]).toBeCloseTo(v, 12));
  });
});
