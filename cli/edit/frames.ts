/**
 * Edited frames from a frames folder on disk: decode (PNG via fast-png, JPEG via jpeg-js), scale the short side
 * to `size` and centre-crop (squareCropGeometry of src/core/clip/geometry.ts, the app's geometry too; DESIGN §1),
 * as RGBA bytes.
 *
 * Resampling is PIL's antialiased bilinear (`Image.resize(…, BILINEAR)`, which torchvision's Resize uses on
 * PIL images): a separable triangle filter whose support grows with the downscale factor,
 * w(d) = max(0, 1 − |d| / s), s = max(1, in/out), sample centres at (o + 0.5)·in/out.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { decode as decodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import { CliUsageError } from '../command';
import { squareCropGeometry, type CropGeometry } from '../../src/core/clip/geometry';

const FRAME_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** Sorted image files of a folder (the official `get_image_list`). */
export function listFrameFiles(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliUsageError(`${dir} is not a folder of frames`);
  const files = readdirSync(dir)
    .filter((f) => FRAME_EXTENSIONS.has(extname(f).toLowerCase()))
    .sort();
  if (files.length === 0) throw new CliUsageError(`${dir} holds no PNG/JPEG frames`);
  return files.map((f) => join(dir, f));
}

export function readRgba(file: string): RgbaImage {
  const bytes = new Uint8Array(readFileSync(file));
  try {
    if (extname(file).toLowerCase() === '.png') {
      const png = decodePng(bytes);
      if (png.depth !== 8 || png.palette) throw new Error(`only 8-bit gray/RGB(A) PNG frames are supported`);
      const n = png.width * png.height;
      const data = new Uint8Array(n * 4);
      const c = png.channels;
      for (let p = 0; p < n; p++) {
        const g = c < 3;
        data[4 * p] = png.data[p * c]!;
        data[4 * p + 1] = png.data[p * c + (g ? 0 : 1)]!;
        data[4 * p + 2] = png.data[p * c + (g ? 0 : 2)]!;
        data[4 * p + 3] = 255;
      }
      return { width: png.width, height: png.height, data };
    }
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
    return {
      width: img.width,
      height: img.height,
      data: new Uint8Array(img.data.buffer, 0, img.width * img.height * 4),
    };
  } catch (e) {
    throw new CliUsageError(`${file} is not a readable image: ${(e as Error).message}`);
  }
}

/** Per output index o in [offset, offset + count): source start index and normalized weights. */
function filterTaps(inSize: number, outSize: number, offset: number, count: number) {
  const scale = inSize / outSize;
  const support = Math.max(1, scale);
  return Array.from({ length: count }, (_, k) => {
    const centre = (offset + k + 0.5) * scale;
    const lo = Math.max(0, Math.floor(centre - support));
    const hi = Math.min(inSize, Math.ceil(centre + support));
    const w: number[] = [];
    let sum = 0;
    for (let i = lo; i < hi; i++) {
      const v = Math.max(0, 1 - Math.abs(i + 0.5 - centre) / support);
      w.push(v);
      sum += v;
    }
    return { start: lo, weights: w.map((v) => v / sum) };
  });
}

/** Scales and crops one RGBA image by `geometry` (alpha set to 255). */
export function cropResizeRgba(img: RgbaImage, g: CropGeometry): Uint8Array {
  if (img.width !== g.sourceWidth || img.height !== g.sourceHeight)
    throw new CliUsageError(`frame is ${img.width}×${img.height}, expected ${g.sourceWidth}×${g.sourceHeight}`);
  const xs = filterTaps(g.sourceWidth, g.scaledWidth, g.left, g.width);
  const ys = filterTaps(g.sourceHeight, g.scaledHeight, g.top, g.height);
  // Horizontal pass over every source row, then the vertical pass.
  const mid = new Float32Array(g.sourceHeight * g.width * 3);
  for (let y = 0; y < g.sourceHeight; y++)
    xs.forEach(({ start, weights }, x) => {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let k = 0; k < weights.length; k++) s += weights[k]! * img.data[(y * img.width + start + k) * 4 + c]!;
        mid[(y * g.width + x) * 3 + c] = s;
      }
    });
  const out = new Uint8Array(g.width * g.height * 4);
  ys.forEach(({ start, weights }, y) => {
    for (let x = 0; x < g.width; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let k = 0; k < weights.length; k++) s += weights[k]! * mid[((start + k) * g.width + x) * 3 + c]!;
        out[(y * g.width + x) * 4 + c] = Math.min(255, Math.max(0, Math.round(s)));
      }
      out[(y * g.width + x) * 4 + 3] = 255;
    }
  });
  return out;
}

/** The clip's frames (by source frame index) from a folder, size×size RGBA. */
export function loadClipFrames(dir: string, frameIndices: readonly number[], size: number): Uint8Array[] {
  const files = listFrameFiles(dir);
  const last = frameIndices[frameIndices.length - 1] ?? 0;
  if (last >= files.length) throw new CliUsageError(`${dir} has ${files.length} frames; the clip needs frame ${last}`);
  let geometry: CropGeometry | undefined;
  return frameIndices.map((i) => {
    const img = readRgba(files[i]!);
    geometry ??= squareCropGeometry(img.width, img.height, size);
    return cropResizeRgba(img, geometry);
  });
}
