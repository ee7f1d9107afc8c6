/**
 * Node-side image reading for configs: frame sizes and binary masks from PNG (fast-png) or JPEG (jpeg-js).
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { decode as decodePng } from 'fast-png';
import { isPng, MAX_MASK_PIXELS, MAX_MASK_SIDE } from '../../src/core/masks/files';
import jpeg from 'jpeg-js';
import { CliUsageError } from '../command';

export interface ImageSize {
  readonly width: number;
  readonly height: number;
}

/** A binary raster: 1 where the image has any non-zero colour channel (alpha ignored). */
export interface BinaryImage extends ImageSize {
  readonly data: Uint8Array;
}

function readBytes(file: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new CliUsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  checkPngSize(file, bytes);
  return bytes;
}

/** Bounds before allocation: a PNG declaring 100000×100000 in a few bytes would take minutes to decode. */
function checkPngSize(file: string, bytes: Uint8Array): void {
  if (!isPng(bytes) || bytes.byteLength < 24) return;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [w, h] = [v.getUint32(16), v.getUint32(20)];
  if (w > MAX_MASK_SIDE || h > MAX_MASK_SIDE || w * h > MAX_MASK_PIXELS)
    throw new CliUsageError(`${file} declares ${w}×${h} pixels; images up to ${MAX_MASK_SIDE} px a side are accepted`);
}

export function readImageSize(file: string): ImageSize {
  const bytes = readBytes(file);
  const ext = extname(file).toLowerCase();
  try {
    if (ext === '.png') {
      const png = decodePng(bytes);
      return { width: png.width, height: png.height };
    }
    if (ext === '.jpg' || ext === '.jpeg') {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false });
      return { width: img.width, height: img.height };
    }
  } catch (e) {
    throw new CliUsageError(`${file} is not a readable image: ${(e as Error).message}`);
  }
  throw new CliUsageError(`${file}: only PNG and JPEG frames are supported`);
}

/**
 * Reads a mask PNG: any non-zero pixel is in the region (VideoGrain's `cv2.imread(GRAY) > 0`; for palette PNGs
 * the palette colour is tested, so DAVIS index 0 = black = outside).
 */
export function readMaskPng(file: string): BinaryImage {
  let png: ReturnType<typeof decodePng>;
  try {
    png = decodePng(readBytes(file));
  } catch (e) {
    throw new CliUsageError(`${file} is not a readable PNG mask: ${(e as Error).message}`);
  }
  const { width, height, channels, palette, depth } = png;
  const samples = unpackSamples(png.data, width, height, channels, depth);
  const data = new Uint8Array(width * height);
  if (palette) {
    const lit = palette.map((c) => (c[0]! | c[1]! | c[2]!) !== 0);
    for (let i = 0; i < data.length; i++) data[i] = lit[samples[i]!] ? 1 : 0;
    return { width, height, data };
  }
  // gray, gray+alpha, RGB, RGBA: test the colour channels, never alpha
  const colour = channels === 2 ? 1 : Math.min(channels, 3);
  for (let i = 0; i < data.length; i++) {
    let v = 0;
    for (let c = 0; c < colour; c++) v |= samples[i * channels + c]!;
    data[i] = v !== 0 ? 1 : 0;
  }
  return { width, height, data };
}

/** PNG samples one per array element; depths 1/2/4 are packed MSB-first with byte-aligned rows. */
function unpackSamples(
  data: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
  depth: number,
): ArrayLike<number> {
  if (depth >= 8) return data;
  const perRow = width * channels;
  const rowBytes = Math.ceil((perRow * depth) / 8);
  const mask = (1 << depth) - 1;
  const out = new Uint8Array(perRow * height);
  for (let y = 0; y < height; y++)
    for (let i = 0; i < perRow; i++) {
      const bit = i * depth;
      out[y * perRow + i] = (data[y * rowBytes + (bit >> 3)]! >> (8 - depth - (bit & 7))) & mask;
    }
  return out;
}
