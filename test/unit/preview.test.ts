/** Latent → RGB preview projection: shape, range, and the factors' action on simple latents. */
import { describe, expect, it } from 'vitest';
import { SD15_LATENT_RGB_FACTORS, latentToPreviewRgba } from '../../src/core/latents/preview';
import { gaussianNoise } from '../../src/core/random/gaussian';

describe('latentToPreviewRgba', () => {
  it('produces h·w RGBA bytes with opaque alpha; a zero latent is mid-grey', () => {
    const rgba = latentToPreviewRgba(new Float32Array(4 * 8 * 6), 8, 6);
    expect(rgba).toBeInstanceOf(Uint8ClampedArray);
    expect(rgba.length).toBe(8 * 6 * 4);
    for (let p = 0; p < 48; p++) expect(Array.from(rgba.subarray(p * 4, p * 4 + 4))).toEqual([128, 128, 128, 255]);
  });

  it('applies the 4×3 factors per pixel and maps [−1, 1] → [0, 255]', () => {
    const h = 2;
    const w = 3;
    const lat = new Float32Array(4 * h * w);
    lat[0 * 6 + 1] = 1; // channel 0 at pixel 1
    lat[3 * 6 + 4] = -1; // channel 3 at pixel 4
    const rgba = latentToPreviewRgba(lat, h, w);
    const expectByte = (v: number): number => Math.round(((v + 1) / 2) * 255);
    for (let rgb = 0; rgb < 3; rgb++) {
      expect(rgba[1 * 4 + rgb]).toBe(expectByte(SD15_LATENT_RGB_FACTORS[0]![rgb]!));
      expect(rgba[4 * 4 + rgb]).toBe(expectByte(-SD15_LATENT_RGB_FACTORS[3]![rgb]!));
    }
  });

  it('clamps out-of-range latents and selects the requested frame of [F, 4, h, w]', () => {
    const big = new Float32Array(2 * 4 * 4).fill(-50);
    big.fill(50, 4 * 4); // frame 1
    // frame 0: every channel sum is positive (R 0.1813, G 0.6417, B 0.1121), so −50 clamps to 0
    expect(Array.from(latentToPreviewRgba(big, 2, 2, 0).subarray(0, 4))).toEqual([0, 0, 0, 255]);
    // frame 1: +50 clamps to 255
    expect(Array.from(latentToPreviewRgba(big, 2, 2, 1).subarray(0, 4))).toEqual([255, 255, 255, 255]);
    expect(() => latentToPreviewRgba(big, 2, 2, 2)).toThrow(RangeError);
  });

  it('stays inside [0, 255] with a spread of values for typical latents', () => {
    const lat = gaussianNoise(5, [4, 16, 16]);
    const rgba = latentToPreviewRgba(lat, 16, 16);
    const values = new Set<number>();
    for (let p = 0; p < 256; p++) for (let c = 0; c < 3; c++) values.add(rgba[p * 4 + c]!);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThanOrEqual(255);
    expect(values.size).toBeGreaterThan(50);
  });
});
