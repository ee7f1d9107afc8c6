import { describe, expect, test } from 'vitest';
import { cropResizeMask, nearestSourceIndices, resizeNearest } from '../../src/core/masks/resize';
import { squareCropGeometry } from '../../src/core/clip/geometry';

const idx = (i: number, o: number, mode: 'opencv' | 'torch') => Array.from(nearestSourceIndices(i, o, mode));

describe('nearest-neighbour index maps (DESIGN §3.4)', () => {
  // Derived by hand from src = floor(dst · in/out), clamped to in − 1:
  //   7→3: 0, 2.33, 4.67 → 0, 2, 4        5→8: 0, .625, 1.25, 1.875, 2.5, 3.125, 3.75, 4.375
  //   10→4: 0, 2.5, 5, 7.5 → 0, 2, 5, 7   3→7: 0, .43, .86, 1.29, 1.71, 2.14, 2.57
  test.each([
    [7, 3, [0, 2, 4]],
    [5, 8, [0, 0, 1, 1, 2, 3, 3, 4]],
    [10, 4, [0, 2, 5, 7]],
    [3, 7, [0, 0, 0, 1, 1, 2, 2]],
    [4, 8, [0, 0, 1, 1, 2, 2, 3, 3]],
    [64, 32, Array.from({ length: 32 }, (_, i) => 2 * i)],
    [5, 1, [0]],
  ])('%i → %i, both semantics', (i, o, expected) => {
    expect(idx(i, o, 'opencv')).toEqual(expected);
    expect(idx(i, o, 'torch')).toEqual(expected);
  });

  test('OpenCV uses 1/(out/in), not in/out (values from opencv-python 5.0 cv2.resize INTER_NEAREST)', () => {
    // 17·6/34 = 3 exactly, but OpenCV computes 17 · (1/(34/6)) = 2.9999999999999996 → 2.
    expect(idx(6, 34, 'opencv')).toEqual([
      0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5,
    ]);
    expect(idx(2, 82, 'opencv').slice(38, 44)).toEqual([0, 0, 0, 1, 1, 1]);
  });

  test('PyTorch works in float32: scale = f32(in/out), floor(f32(dst·scale))', () => {
    // 2→82: f32(2/82) = 0.024390242993… < 2/82, and f32(41·scale) = 0.99999994 → 0 (exact arithmetic: 1;
    // OpenCV's double 1/(82/2) gives 1 here).
    expect(idx(2, 82, 'torch')[41]).toBe(0);
    expect(idx(2, 82, 'opencv')[41]).toBe(1);
    // every map stays in range and is monotone
    for (const [i, o] of [
      [480, 512],
      [854, 910],
      [64, 21],
      [9, 64],
    ] as const) {
      const m = idx(i, o, 'torch');
      expect(Math.max(...m)).toBeLessThanOrEqual(i - 1);
      expect(m.every((v, k) => k === 0 || v >= m[k - 1]!)).toBe(true);
    }
    expect(() => nearestSourceIndices(0, 3, 'torch')).toThrow(RangeError);
  });

  test('resizeNearest on a 2D raster uses the two maps', () => {
    // 3×2 raster (w=3, h=2) → w=2 (0, 1.5→1), h=4 (0,0,1,1)
    const src = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    expect(Array.from(resizeNearest(src, 3, 2, 2, 4, 'opencv'))).toEqual([1, 2, 1, 2, 4, 5, 4, 5]);
    const bits = Uint32Array.from([0x80000000, 1, 2, 3]);
    expect(Array.from(resizeNearest(bits, 2, 2, 1, 1, 'torch'))).toEqual([0x80000000]);
  });
});

describe('frame geometry: short side → size, centre crop (DESIGN §1)', () => {
  test('854×480 → 512×512: scaled to 910×512, crop from x = 199', () => {
    const g = squareCropGeometry(854, 480, 512);
    expect(g).toMatchObject({ scaledWidth: 910, scaledHeight: 512, left: 199, top: 0, width: 512, height: 512 });
    expect(squareCropGeometry(480, 854, 512)).toMatchObject({ scaledWidth: 512, scaledHeight: 910, left: 0, top: 199 });
    expect(squareCropGeometry(512, 512, 512)).toMatchObject({ scaledWidth: 512, left: 0, top: 0 });
  });

  test('a mask column maps where the geometry says', () => {
    // 10×4 source → size 2: scale short side 4→2, long 10→5; crop left = floor((5−2)/2) = 1.
    // scaled x 1, 2 ← source floor(1·2) = 2, floor(2·2) = 4; scaled rows 0, 1 ← source rows 0, 2.
    const src = new Uint8Array(40);
    for (let y = 0; y < 4; y++) src[y * 10 + 4] = 1 + y;
    const g = squareCropGeometry(10, 4, 2);
    expect(Array.from(cropResizeMask(src, g))).toEqual([0, 1, 0, 3]);
    const same = Uint8Array.from({ length: 16 }, (_, i) => i);
    expect(Array.from(cropResizeMask(same, squareCropGeometry(4, 4, 4)))).toEqual(Array.from(same));
  });
});
