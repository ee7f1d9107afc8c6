/** Canny edges (OpenCV semantics) on synthetic images: geometry, thresholds, hysteresis, channels, format. */
import { describe, expect, it } from 'vitest';
import { cannyCondition, cannyEdgeMap } from '../../src/core/conditions/canny';
import { gaussianNoise } from '../../src/core/random/gaussian';

const W = 48;
const H = 40;

/** RGBA image from a per-pixel RGB function. */
function image(w: number, h: number, rgb: (x: number, y: number) => [number, number, number]): Uint8Array {
  const out = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [r, g, b] = rgb(x, y);
      out.set([r, g, b, 255], (y * w + x) * 4);
    }
  }
  return out;
}
const grey = (v: number): [number, number, number] => [v, v, v];
const count = (e: Uint8Array): number => e.reduce((a, v) => a + v, 0);

describe('cannyEdgeMap', () => {
  it('a flat image has no edges', () => {
    expect(
      count(
        cannyEdgeMap(
          image(W, H, () => grey(137)),
          W,
          H,
        ),
      ),
    ).toBe(0);
  });

  it('a white square on black: one-pixel-wide edges on its border only, all four sides closed', () => {
    const [x0, x1, y0, y1] = [12, 31, 10, 29]; // inclusive square
    const inside = (x: number, y: number): boolean => x >= x0 && x <= x1 && y >= y0 && y <= y1;
    const e = cannyEdgeMap(
      image(W, H, (x, y) => grey(inside(x, y) ? 255 : 0)),
      W,
      H,
    );
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        if (!e[y * W + x]) continue;
        // Within one pixel of the boundary: inside the 1-px dilation and outside the 1-px erosion.
        const nearOutside = x >= x0 - 1 && x <= x1 + 1 && y >= y0 - 1 && y <= y1 + 1;
        const deepInside = x > x0 && x < x1 && y > y0 && y < y1;
        expect(nearOutside && !deepInside, `edge at (${x}, ${y})`).toBe(true);
      }
    }
    // Every row of the square has an edge pixel on each vertical side, every column on each horizontal side.
    for (let y = y0 + 1; y < y1; y++) {
      expect(e[y * W + x0 - 1]! + e[y * W + x0]!).toBe(1);
      expect(e[y * W + x1]! + e[y * W + x1 + 1]!).toBe(1);
    }
    for (let x = x0 + 1; x < x1; x++) {
      expect(e[(y0 - 1) * W + x]! + e[y0 * W + x]!).toBe(1);
      expect(e[y1 * W + x]! + e[(y1 + 1) * W + x]!).toBe(1);
    }
    // OpenCV's tie rule puts the left/top lines outside the square and the right/bottom lines inside.
    expect(e[20 * W + x0 - 1]).toBe(1);
    expect(e[20 * W + x1]).toBe(1);
  });

  it('thresholds: a vertical step of contrast d has magnitude 4d; edges need 4d > high', () => {
    const step = (d: number): Uint8Array => image(W, H, (x) => grey(x < W / 2 ? 50 : 50 + d));
    expect(count(cannyEdgeMap(step(20), W, H))).toBe(0); // 80 ≤ low
    expect(count(cannyEdgeMap(step(40), W, H))).toBe(0); // 160: weak only, never seeded
    expect(count(cannyEdgeMap(step(60), W, H))).toBe(H); // 240 > high: one full column
    expect(count(cannyEdgeMap(step(40), W, H, { low: 50, high: 150 }))).toBe(H);
    // Swapped thresholds behave like OpenCV (it swaps them).
    expect(count(cannyEdgeMap(step(40), W, H, { low: 150, high: 50 }))).toBe(H);
  });

  it('hysteresis keeps a weak segment connected to a strong one (alone it vanishes: previous test)', () => {
    // One vertical step: top half contrast 60 (strong), bottom half contrast 40 (weak, connected).
    const img = image(W, H, (x, y) => (x < 16 ? grey(50) : grey(y < H / 2 ? 110 : 90)));
    const e = cannyEdgeMap(img, W, H);
    const column = (x: number, from = 0, to = H): number => {
      let c = 0;
      for (let y = from; y < to; y++) c += e[y * W + x]!;
      return c;
    };
    // Strong top and the connected weak bottom (the two rows at the junction see a diagonal gradient).
    expect(column(15, 0, H / 2 - 1)).toBe(H / 2 - 1);
    expect(column(15, H / 2 + 1)).toBe(H / 2 - 1);
    // The same weak half without its strong half is dropped.
    const weakOnly = cannyEdgeMap(
      image(W, H, (x) => grey(x < 16 ? 50 : 90)),
      W,
      H,
    );
    expect(count(weakOnly)).toBe(0);
  });

  it('colour: a pure-blue step is an edge in RGB (OpenCV) but not after grayscale conversion', () => {
    const img = image(W, H, (x) => (x < W / 2 ? [0, 0, 0] : [0, 0, 100])); // grey contrast 11 → 44
    expect(count(cannyEdgeMap(img, W, H))).toBe(H);
    expect(count(cannyEdgeMap(img, W, H, { grayscale: true }))).toBe(0);
  });

  it('blurring removes most noise edges', () => {
    const noise = gaussianNoise(9, [W * H]);
    const img = image(W, H, (x, y) => grey(Math.max(0, Math.min(255, 128 + 40 * noise[y * W + x]!))));
    const sharp = count(cannyEdgeMap(img, W, H));
    const blurred = count(cannyEdgeMap(img, W, H, { blurSigma: 1.4 }));
    expect(sharp).toBeGreaterThan(50);
    expect(blurred).toBeLessThan(sharp / 4);
  });

  it('validates its input', () => {
    expect(() => cannyEdgeMap(new Uint8Array(10), 2, 2)).toThrow(RangeError);
    expect(() => cannyEdgeMap(new Uint8Array(0), 0, 0)).toThrow(RangeError);
  });
});

describe('cannyCondition', () => {
  it('is ControlNet’s [3, H, W] image in [0, 1] with identical channels', () => {
    const img = image(W, H, (x) => grey(x < 20 ? 0 : 255));
    const cond = cannyCondition(img, W, H);
    const n = W * H;
    expect(cond.length).toBe(3 * n);
    expect(new Set(cond)).toEqual(new Set([0, 1]));
    expect(cond.subarray(0, n)).toEqual(cond.subarray(n, 2 * n));
    expect(cond.subarray(0, n)).toEqual(cond.subarray(2 * n));
    expect(Float32Array.from(cannyEdgeMap(img, W, H))).toEqual(cond.subarray(0, n));
  });
});
