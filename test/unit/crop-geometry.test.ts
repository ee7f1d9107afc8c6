/**
 * One crop/resize definition (src/core/clip/geometry.ts, issue 19): the video worker's ffmpeg filter, mask
 * import and the CLI frame loader crop the same sources at the same pixel offsets. Each path is run as it runs
 * in the product and the offsets are read from what it produces: the ffmpeg filter string, the source column /
 * row every mask pixel came from, and where thin lines land in the CLI's resampled frames.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { afterAll, describe, expect, test } from 'vitest';
import { coverCropGeometry, squareCropGeometry } from '../../src/core/clip/geometry';
import { coverResizeNearest } from '../../src/core/masks/geometry';
import { nearestSourceIndices } from '../../src/core/masks/resize';
import { extractFilter } from '../../workers/video/args';
import { frameGeometry } from '../../workers/video/geometry';
import { loadClipFrames } from '../../cli/edit/frames';

/** 16:9, 9:16, 4:3, phone portraits, odd sizes, and an upscaled small clip. */
const SOURCES: readonly (readonly [number, number])[] = [
  [1920, 1080],
  [1280, 720],
  [1080, 1920],
  [640, 480],
  [1284, 2778],
  [886, 1920],
  [853, 480],
  [1001, 333],
  [321, 239],
];
const SIZES = [512, 640, 768];

interface Offsets {
  readonly scaledWidth: number;
  readonly scaledHeight: number;
  readonly left: number;
  readonly top: number;
}

/** The video worker: scale and crop as the ffmpeg filter chain says. */
function ffmpegOffsets(w: number, h: number, size: number): Offsets {
  const filter = extractFilter(0, 1, frameGeometry(w, h, 0, { mode: 'square', size }));
  const scale = /scale=(\d+):(\d+)/.exec(filter);
  const crop = /crop=(\d+):(\d+):(\d+):(\d+)/.exec(filter);
  const scaledWidth = scale ? Number(scale[1]) : w;
  const scaledHeight = scale ? Number(scale[2]) : h;
  if (crop) expect([Number(crop[1]), Number(crop[2])]).toEqual([size, size]);
  return { scaledWidth, scaledHeight, left: crop ? Number(crop[3]) : 0, top: crop ? Number(crop[4]) : 0 };
}

/** Mask import: the source column of every output column (and row), recovered from index-valued masks. */
function maskSourceIndices(w: number, h: number, size: number): { cols: number[]; rows: number[] } {
  const to = { width: size, height: size };
  const from = { width: w, height: h };
  const byte = (f: (x: number, y: number) => number) => {
    const m = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) m[y * w + x] = f(x, y);
    return coverResizeNearest(m, from, to);
  };
  const [xlo, xhi, ylo, yhi] = [
    byte((x) => x & 255),
    byte((x) => x >> 8),
    byte((_, y) => y & 255),
    byte((_, y) => y >> 8),
  ];
  const cols = Array.from({ length: size }, (_, x) => xlo[x]! + 256 * xhi[x]!);
  const rows = Array.from({ length: size }, (_, y) => ylo[y * size]! + 256 * yhi[y * size]!);
  return { cols, rows };
}

/** Intensity centroid of `values[i]` for i in [from, to). */
function centroid(values: (i: number) => number, from: number, to: number): number {
  let s = 0;
  let m = 0;
  for (let i = from; i < to; i++) {
    s += values(i);
    m += i * values(i);
  }
  return m / s;
}

const tmp = mkdtempSync(join(tmpdir(), 'vg-crop-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * A frames folder with one RGB frame: a 1-px vertical line in red at source column `cx`, one in blue at `cx2`,
 * and a horizontal line in green at row `cy`.
 */
function writeLineFrame(w: number, h: number, cx: number, cx2: number, cy: number): string {
  const dir = join(tmp, `${w}x${h}-${cx}-${cx2}-${cy}`);
  mkdirSync(dir, { recursive: true });
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    data[(y * w + cx) * 3] = 255;
    data[(y * w + cx2) * 3 + 2] = 255;
  }
  for (let x = 0; x < w; x++) data[(cy * w + x) * 3 + 1] = 255;
  writeFileSync(join(dir, '00000.png'), encode({ width: w, height: h, data, channels: 3, depth: 8 }));
  return dir;
}

describe('crop geometry: one definition (src/core/clip/geometry.ts)', () => {
  test('integer scaled size (floor, as torchvision Resize) and floor((scaled − out) / 2) offsets', () => {
    expect(squareCropGeometry(1920, 1080, 640)).toMatchObject({ scaledWidth: 1137, scaledHeight: 640, left: 248 });
    expect(squareCropGeometry(1280, 720, 640)).toMatchObject({ scaledWidth: 1137, left: 248 });
    expect(squareCropGeometry(854, 480, 512)).toMatchObject({ scaledWidth: 910, left: 199, top: 0 });
    // Exact ratios stay exact (no 1137.9999 → 1137): 1500·512/1000 = 768.
    expect(squareCropGeometry(1500, 1000, 512)).toMatchObject({ scaledWidth: 768, left: 128 });
    expect(coverCropGeometry(960, 540, 896, 512)).toMatchObject({ scaledWidth: 910, scaledHeight: 512, left: 7 });
    expect(() => squareCropGeometry(0, 10, 512)).toThrow(RangeError);
  });

  describe.each(SIZES)('size %i: the video worker, mask import and the CLI frame loader agree', (size) => {
    test.each(SOURCES)('%i×%i', (w, h) => {
      const core = squareCropGeometry(w, h, size);
      const ff = ffmpegOffsets(w, h, size);
      expect(ff).toEqual({
        scaledWidth: core.scaledWidth,
        scaledHeight: core.scaledHeight,
        left: core.left,
        top: core.top,
      });

      // Mask import: output pixel (x, y) samples the scaled picture at (x + left, y + top) of ffmpeg's geometry.
      const masks = maskSourceIndices(w, h, size);
      const xs = nearestSourceIndices(w, ff.scaledWidth, 'torch');
      const ys = nearestSourceIndices(h, ff.scaledHeight, 'torch');
      expect(masks.cols).toEqual(Array.from({ length: size }, (_, x) => xs[x + ff.left]));
      expect(masks.rows).toEqual(Array.from({ length: size }, (_, y) => ys[y + ff.top]));

      // CLI frame loader: a source line at column c lands at output (c + 0.5)·scaled/source − 0.5 − offset.
      const at = (c: number, scaled: number, src: number, off: number) => ((c + 0.5) * scaled) / src - 0.5 - off;
      const srcCol = (k: number) => Math.floor(((ff.left + k + 0.5) * w) / ff.scaledWidth);
      const srcRow = (k: number) => Math.floor(((ff.top + k + 0.5) * h) / ff.scaledHeight);
      const [cx, cx2, cy] = [srcCol(12), srcCol(size - 13), srcRow(20)];
      const [frame] = loadClipFrames(writeLineFrame(w, h, cx, cx2, cy), [0], size);
      const px = (x: number, y: number, c: number) => frame![(y * size + x) * 4 + c]!;
      const mid = size >> 1;
      const red = centroid((x) => px(x, mid, 0), 0, mid);
      const blue = centroid((x) => px(x, mid, 2), mid, size);
      const green = centroid((y) => px(mid, y, 1), 0, mid);
      expect(Math.abs(red - at(cx, ff.scaledWidth, w, ff.left))).toBeLessThan(0.2);
      expect(Math.abs(blue - at(cx2, ff.scaledWidth, w, ff.left))).toBeLessThan(0.2);
      expect(Math.abs(green - at(cy, ff.scaledHeight, h, ff.top))).toBeLessThan(0.2);
    });
  });
});
