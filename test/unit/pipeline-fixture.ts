/** Synthetic clips for the pipeline tests: smooth frames with a moving disk, region masks, the CLIP tokenizer. */
import { readFileSync } from 'node:fs';
import type { RegionMaskSet } from '../../src/core/layout/types';
import { createClipTokenizer, type ClipTokenizer } from '../../src/core/tokenizer/clip';
import { sharedPath } from '../helpers/node/shared';

export const SIZE = 128;

export function loadTokenizer(): ClipTokenizer {
  return createClipTokenizer({
    tokenizerJson: readFileSync(sharedPath('models/clip_tokenizer/tokenizer.json'), 'utf8'),
  });
}

const inDisk = (x: number, y: number, f: number) => (x - 44 - 8 * f) ** 2 + (y - 64) ** 2 < 26 ** 2;
const inBox = (x: number, y: number) => x >= 80 && x < 120 && y >= 8 && y < 48;

/** F RGBA frames: a colour gradient, a red disk moving right by 8 px per frame, a blue box. */
export function makeFrames(frames: number): Uint8Array[] {
  return Array.from({ length: frames }, (_, f) => {
    const rgba = new Uint8Array(SIZE * SIZE * 4);
    for (let y = 0; y < SIZE; y++)
      for (let x = 0; x < SIZE; x++) {
        const p = (y * SIZE + x) * 4;
        let rgb = [40 + x, 90 + y / 2, 160 - y];
        if (inDisk(x, y, f)) rgb = [220, 40, 30];
        else if (inBox(x, y)) rgb = [30, 60, 210];
        rgba.set([...rgb, 255], p);
      }
    return rgba;
  });
}

/** Region 0 = the disk, region 1 = the box (the rest is background), or one region covering everything. */
export function makeMasks(frames: number, layout: 'objects' | 'full'): RegionMaskSet {
  const region = (test: (x: number, y: number, f: number) => boolean) =>
    Array.from({ length: frames }, (_, f) => {
      const m = new Uint8Array(SIZE * SIZE);
      for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) m[y * SIZE + x] = test(x, y, f) ? 1 : 0;
      return m;
    });
  const masks = layout === 'full' ? [region(() => true)] : [region(inDisk), region(inBox)];
  return { frames, height: SIZE, width: SIZE, masks };
}

/** A ControlNet condition [F, 3, H, W] in [0, 1]: the frames' luminance, replicated. */
export function conditionFrames(frames: readonly Uint8Array[]): Float32Array {
  const plane = SIZE * SIZE;
  const out = new Float32Array(frames.length * 3 * plane);
  frames.forEach((rgba, f) => {
    for (let p = 0; p < plane; p++) {
      const l = (0.299 * rgba[p * 4]! + 0.587 * rgba[p * 4 + 1]! + 0.114 * rgba[p * 4 + 2]!) / 255;
      for (let c = 0; c < 3; c++) out[(f * 3 + c) * plane + p] = l;
    }
  });
  return out;
}
