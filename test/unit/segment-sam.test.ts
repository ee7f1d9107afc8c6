/**
 * SAM 2.1 pre/post-processing (src/core/segment/sam.ts) against hand-computed values: the squash resize to the
 * square input (no padding) with half-pixel bilinear sampling and ImageNet normalisation, the per-axis prompt
 * scale, box ordering, logits resized to the frame and thresholded at 0, score ranking and the multimask default.
 */
import { describe, expect, it } from 'vitest';
import {
  SAM_MEAN,
  SAM_STD,
  defaultMultimask,
  rankByScore,
  samMaskFromLogits,
  samPixelValues,
  samPrompt,
} from '../../src/core/segment/sam';

describe('SAM 2.1 pre/post-processing', () => {
  it('resizes without keeping the aspect ratio and normalises per channel', () => {
    // 2×1 frame: left pixel red 255, right pixel 0; to a 4×4 input.
    const rgba = Uint8Array.from([255, 0, 10, 255, 0, 255, 10, 255]);
    const px = samPixelValues(rgba, 2, 1, 4);
    expect(px.length).toBe(3 * 16);
    const red = (x: number, y: number) => px[y * 4 + x]! * SAM_STD[0] + SAM_MEAN[0];
    // Half-pixel centres: output x 0 → source -0.25 (clamped to 0), x 1 → 0.25, x 2 → 0.75, x 3 → 1.25 (→ 1).
    expect(red(0, 0)).toBeCloseTo(1, 5);
    expect(red(1, 2)).toBeCloseTo(0.75, 5);
    expect(red(2, 3)).toBeCloseTo(0.25, 5);
    expect(red(3, 1)).toBeCloseTo(0, 5);
    const blue = px[2 * 16 + 5]! * SAM_STD[2] + SAM_MEAN[2];
    expect(blue).toBeCloseTo(10 / 255, 5);
  });

  it('scales prompts per axis into the input square and orders box corners', () => {
    const p = samPrompt(
      [
        { x: 256, y: 128, label: 1 },
        { x: 0, y: 512, label: 0 },
      ],
      { x0: 300, y0: 400, x1: 100, y1: 200 },
      512,
      256,
      1024,
    );
    expect(Array.from(p.points)).toEqual([512, 512, 0, 2048]);
    expect(Array.from(p.labels)).toEqual([1n, 0n]);
    expect(Array.from(p.box!)).toEqual([200, 800, 600, 1600]);
    expect(samPrompt([{ x: 1, y: 1, label: 1 }], undefined, 2, 2).box).toBeNull();
  });

  it('turns low-resolution logits into frame masks at threshold 0', () => {
    // Two 2×2 candidates: the first positive on the left column, the second everywhere negative.
    const logits = Float32Array.from([1, -1, 1, -1, -1, -1, -1, -1]);
    const m = samMaskFromLogits(logits, 0, 2, 2, 4, 2);
    expect(Array.from(m)).toEqual([1, 1, 0, 0, 1, 1, 0, 0]);
    expect(Array.from(samMaskFromLogits(logits, 4, 2, 2, 4, 2)).every((v) => v === 0)).toBe(true);
  });

  it('ranks candidates by score and asks for several only for a lone point', () => {
    expect(rankByScore([0.2, 0.9, 0.5, 0.9])).toEqual([1, 3, 2, 0]);
    expect(defaultMultimask([{ x: 1, y: 1, label: 1 }], undefined)).toBe(true);
    expect(defaultMultimask([{ x: 1, y: 1, label: 1 }], { x0: 0, y0: 0, x1: 2, y1: 2 })).toBe(false);
    expect(
      defaultMultimask(
        [
          { x: 1, y: 1, label: 1 },
          { x: 2, y: 2, label: 0 },
        ],
        undefined,
      ),
    ).toBe(false);
  });
});
