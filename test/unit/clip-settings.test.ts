import { describe, expect, test } from 'vitest';
import { clipRequestProblems, lastSourceFrame, outputSize } from '../../src/core/clip/settings';

const square = { mode: 'square', size: 512 } as const;

describe('clip request', () => {
  test('last source frame follows start + (n-1)·stride', () => {
    expect(lastSourceFrame({ start: 3, frames: 16, stride: 2, sizing: square })).toBe(33);
  });

  test('a clip shorter than requested is refused with the numbers', () => {
    const p = clipRequestProblems({ start: 0, frames: 16, stride: 2, sizing: square }, 20);
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/20 frames/);
    expect(p[0]).toMatch(/needs frame 31/);
    expect(clipRequestProblems({ start: 0, frames: 16, stride: 2, sizing: square }, 31)).toEqual([]);
  });

  test('bad values are each named', () => {
    expect(
      clipRequestProblems({ start: -1, frames: 0, stride: 0, sizing: { mode: 'square', size: 500 } }),
    ).toHaveLength(4);
    expect(clipRequestProblems({ start: 0, frames: 65, stride: 1, sizing: square })[0]).toMatch(/between 1 and 64/);
  });

  test('output sizes: square crop, or aspect kept in multiples of 64', () => {
    expect(outputSize(square, 960, 540)).toEqual({ width: 512, height: 512 });
    expect(outputSize({ mode: 'aspect', shortSide: 512 }, 960, 540)).toEqual({ width: 896, height: 512 });
    expect(outputSize({ mode: 'aspect', shortSide: 512 }, 540, 960)).toEqual({ width: 512, height: 896 });
  });
});
