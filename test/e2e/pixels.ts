/**
 * Reading rendered pixels back (issue 14): a locator's screenshot decoded with fast-png, sampled at the centre
 * of each image pixel it displays, and compared with RGBA frame data (mean |Δ| per channel over a column
 * range), plus a Pearson correlation of luminance. The result viewer shows upscaled frames with hard pixels,
 * so a pixel's centre is that pixel's value; the comparisons still tolerate smoothing (they are means).
 */
import { decode } from 'fast-png';
import type { Locator } from '@playwright/test';

/** An RGBA image (width × height × 4, 0–255). */
export interface Image {
  readonly width: number;
  readonly height: number;
  readonly data: ArrayLike<number>;
}

/** The element's screenshot, resampled to width × height image pixels (one sample at each pixel's centre). */
export async function shot(locator: Locator, width: number, height: number): Promise<Image> {
  const png = decode(await locator.screenshot({ animations: 'disabled', scale: 'css' }));
  const ch = png.channels;
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const sx = Math.min(png.width - 1, Math.floor(((x + 0.5) * png.width) / width));
      const sy = Math.min(png.height - 1, Math.floor(((y + 0.5) * png.height) / height));
      const s = (sy * png.width + sx) * ch;
      for (let c = 0; c < 3; c++) out[(y * width + x) * 4 + c] = Number(png.data[s + (ch >= 3 ? c : 0)]);
      out[(y * width + x) * 4 + 3] = 255;
    }
  return { width, height, data: out };
}

/** Mean |a − b| per RGB channel over columns [x0, x1) (all rows). */
export function meanAbs(a: Image, b: Image, x0 = 0, x1 = a.width): number {
  let sum = 0;
  let n = 0;
  for (let y = 0; y < a.height; y++)
    for (let x = x0; x < x1; x++)
      for (let c = 0; c < 3; c++) {
        const i = (y * a.width + x) * 4 + c;
        sum += Math.abs(Number(a.data[i]) - Number(b.data[i]));
        n++;
      }
  return sum / n;
}

const luma = (img: Image, p: number) =>
  0.299 * Number(img.data[p * 4]) + 0.587 * Number(img.data[p * 4 + 1]) + 0.114 * Number(img.data[p * 4 + 2]);

/** Pearson correlation of the two images' luminance. */
export function correlation(a: Image, b: Image): number {
  const n = a.width * a.height;
  let ma = 0;
  let mb = 0;
  for (let p = 0; p < n; p++) {
    ma += luma(a, p);
    mb += luma(b, p);
  }
  ma /= n;
  mb /= n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let p = 0; p < n; p++) {
    const da = luma(a, p) - ma;
    const db = luma(b, p) - mb;
    ab += da * db;
    aa += da * da;
    bb += db * db;
  }
  return ab / Math.sqrt(aa * bb || 1);
}

/** Mean luminance (a black pane is ≈ 0). */
export function meanLuma(img: Image): number {
  let s = 0;
  for (let p = 0; p < img.width * img.height; p++) s += luma(img, p);
  return s / (img.width * img.height);
}

/**
 * Correlation of the two images' fine detail (luminance minus the mean of its 4 neighbours, inner pixels): a
 * smooth translucent overlay scales the detail of what is under it but keeps its pattern (≈ 1); an opaque
 * layer replaces it (≈ 0).
 */
export function detailCorrelation(a: Image, b: Image): number {
  const detail = (img: Image): Image => {
    const w = img.width;
    const out = new Float64Array(w * img.height * 4);
    for (let y = 1; y < img.height - 1; y++)
      for (let x = 1; x < w - 1; x++) {
        const p = y * w + x;
        const d = luma(img, p) - (luma(img, p - 1) + luma(img, p + 1) + luma(img, p - w) + luma(img, p + w)) / 4;
        out[p * 4] = out[p * 4 + 1] = out[p * 4 + 2] = d;
      }
    return { width: w, height: img.height, data: out };
  };
  return correlation(detail(a), detail(b));
}
