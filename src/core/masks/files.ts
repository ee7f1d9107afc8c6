/**
 * Mask files as the import sees them: relative paths + bytes, from a picked folder, dropped files or a ZIP.
 * ZIP per APPNOTE (PKWARE), read with fflate; PNG per ISO/IEC 15948, read with fast-png.
 */
import { unzipSync } from 'fflate';
import { decode } from 'fast-png';
import { AppError } from '../protocol/errors';

export interface MaskFile {
  /** Relative path with '/' separators, e.g. `masks/left_man/00000.png` or `00005.png`. */
  readonly path: string;
  readonly bytes: Uint8Array;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const ZIP_SIGNATURE = [0x50, 0x4b];

const startsWith = (bytes: Uint8Array, sig: readonly number[]) => sig.every((b, i) => bytes[i] === b);
export const isPng = (bytes: Uint8Array): boolean => startsWith(bytes, PNG_SIGNATURE);
export const isZip = (bytes: Uint8Array): boolean => startsWith(bytes, ZIP_SIGNATURE);

/** Files an OS or archiver adds that are never masks. */
function isJunk(path: string): boolean {
  const parts = path.split('/');
  const base = parts[parts.length - 1]!;
  return (
    parts.some((p) => p === '__MACOSX') ||
    base.startsWith('.') ||
    base === 'Thumbs.db' ||
    base === 'desktop.ini' ||
    base === ''
  );
}

/** Bounds before allocation for ZIPs (a "zip bomb" declares gigabytes in a few KiB; ZIPs may nest). */
export const MAX_ZIP_UNCOMPRESSED_BYTES = 2 * 1024 * 1024 * 1024;
export const MAX_ZIP_DEPTH = 2;

export function unzipMaskFiles(name: string, bytes: Uint8Array): MaskFile[] {
  let entries: Record<string, Uint8Array>;
  let total = 0;
  const tooLarge = () =>
    new AppError(
      'MASK_ZIP_CORRUPT',
      `${name} expands to more than ${MAX_ZIP_UNCOMPRESSED_BYTES / 2 ** 30} GiB; mask ZIPs are far smaller. Re-create the archive from the mask PNGs.`,
    );
  try {
    // The declared sizes are summed before anything is inflated.
    entries = unzipSync(bytes, {
      filter: (f) => {
        total += f.originalSize;
        if (total > MAX_ZIP_UNCOMPRESSED_BYTES) throw tooLarge();
        return true;
      },
    });
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError(
      'MASK_ZIP_CORRUPT',
      `${name} could not be read as a ZIP archive (${(e as Error).message}). Re-create the archive and try again.`,
    );
  }
  const files = Object.entries(entries)
    .filter(([path]) => !path.endsWith('/') && !isJunk(path))
    .map(([path, data]) => ({ path, bytes: data }));
  if (files.length === 0)
    throw new AppError('MASK_ZIP_EMPTY', `${name} contains no files. Put the mask PNGs in it and try again.`);
  return files;
}

/** Expands ZIPs, drops OS junk, refuses anything that is not a PNG. */
export function collectMaskFiles(input: readonly MaskFile[], depth = 0): MaskFile[] {
  const out: MaskFile[] = [];
  for (const f of input) {
    const path = f.path.replace(/\\/g, '/').replace(/^\/+/, '');
    if (isJunk(path)) continue;
    if (/\.zip$/i.test(path) || isZip(f.bytes)) {
      // A ZIP inside a ZIP is fine; deeper nesting (or a self-containing "quine" ZIP) is refused, not followed.
      if (depth >= MAX_ZIP_DEPTH)
        throw new AppError(
          'MASK_ZIP_CORRUPT',
          `${path} nests ZIP archives more than ${MAX_ZIP_DEPTH} deep. Put the mask PNGs in one ZIP.`,
        );
      out.push(...collectMaskFiles(unzipMaskFiles(path, f.bytes), depth + 1));
    } else out.push({ path, bytes: f.bytes });
  }
  if (out.length === 0)
    throw new AppError('MASK_NO_FILES', 'No mask files were given. Pick a mask folder, PNG files or a ZIP.');
  const notPng = out.filter((f) => !isPng(f.bytes));
  if (notPng.length > 0) {
    const names = notPng
      .slice(0, 3)
      .map((f) => f.path)
      .join(', ');
    throw new AppError(
      'MASK_NOT_PNG',
      `${names}${notPng.length > 3 ? ` and ${notPng.length - 3} more` : ''} ${notPng.length === 1 ? 'is' : 'are'} not PNG images. Masks must be PNG files.`,
    );
  }
  return out;
}

export interface DecodedMaskPng {
  readonly width: number;
  readonly height: number;
  /** One value per pixel: the palette index (indexed PNGs), the grey value, or 1 where any colour channel is non-zero. */
  readonly values: Uint8Array;
  /** RGB of each palette entry, for indexed PNGs. */
  readonly palette: readonly (readonly number[])[] | null;
}

/**
 * The largest mask PNG decoded: 8192 px a side and 8K UHD's pixel count (7680×4320) with margin. The size is
 * read from IHDR first, since decoding a PNG that declares 100000×100000 in a few bytes takes minutes (found by
 * the fuzz suite, test/unit/fuzz.test.ts).
 */
export const MAX_MASK_SIDE = 8192;
export const MAX_MASK_PIXELS = 40_000_000;

export function decodeMaskPng(path: string, bytes: Uint8Array): DecodedMaskPng {
  // IHDR is the first chunk: signature (8) + length (4) + "IHDR" (4) + width (4) + height (4), big-endian.
  if (bytes.byteLength >= 24 && isPng(bytes)) {
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const w = v.getUint32(16);
    const h = v.getUint32(20);
    if (w > MAX_MASK_SIDE || h > MAX_MASK_SIDE || w * h > MAX_MASK_PIXELS)
      throw new AppError(
        'MASK_CORRUPT_PNG',
        `${path} declares ${w}×${h} pixels; masks up to ${MAX_MASK_SIDE} px a side are accepted. Export the masks at the video's size.`,
      );
  }
  let png: ReturnType<typeof decode>;
  try {
    png = decode(bytes);
  } catch (e) {
    throw new AppError('MASK_CORRUPT_PNG', `${path} is not a readable PNG (${(e as Error).message}).`);
  }
  const { width, height, channels, data } = png;
  const values = new Uint8Array(width * height);
  if (channels <= 2) {
    // Grey (+alpha) or indexed: the first channel is the value; 16-bit greys are reduced to "non-zero".
    const wide = png.depth === 16;
    for (let i = 0; i < values.length; i++) {
      const v = data[i * channels]!;
      values[i] = wide ? (v !== 0 ? 255 : 0) : v;
    }
  } else {
    const colour = Math.min(3, channels);
    for (let i = 0; i < values.length; i++) {
      let on = 0;
      for (let c = 0; c < colour; c++) on |= data[i * channels + c]! ? 1 : 0;
      values[i] = on;
    }
  }
  return { width, height, values, palette: png.palette ?? null };
}

/** Frame number from a file name like `00012.png` or `frame_12.png`. */
export function frameIndexOf(path: string): number {
  const m = /(\d+)\.png$/i.exec(path);
  if (!m)
    throw new AppError(
      'MASK_BAD_NAME',
      `Cannot tell which frame ${path} belongs to: mask files are named by frame number, e.g. 00000.png.`,
    );
  return parseInt(m[1]!, 10);
}
