/**
 * Layout compiler speed: a 32-frame 512×512 clip with 5 regions (moving overlapping ellipses + a background
 * band), compiled for the three modulated resolutions. Prints a table, then one JSON line (times in ms).
 */
import { performance } from 'node:perf_hooks';
import { compileLayout } from '../src/core/layout/compile';
import { masksToLatentGrid, resampleGrid } from '../src/core/layout/grid';
import { compileResolution } from '../src/core/layout/resolution';
import type { RegionMaskSet } from '../src/core/layout/types';
import { DEFAULT_TOKENIZER_DIR, loadClipTokenizer } from '../cli/config/tokenizer-files';

const FRAMES = 32;
const SIZE = 512;
const REGIONS = 5;
const RUNS = 7;

function ellipseMasks(): RegionMaskSet {
  const masks = Array.from({ length: REGIONS }, (_, r) =>
    Array.from({ length: FRAMES }, (_, f) => {
      const m = new Uint8Array(SIZE * SIZE);
      if (r === REGIONS - 1) {
        m.fill(255, (SIZE - 128) * SIZE); // ground band
        return m;
      }
      const cx = 80 + r * 100 + 2 * f;
      const cy = 200 + 40 * Math.sin((f + r) / 5);
      const rx = 70 + 10 * r;
      const ry = 140;
      for (let y = 0; y < SIZE; y++)
        for (let x = 0; x < SIZE; x++) if (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1) m[y * SIZE + x] = 255;
      return m;
    }),
  );
  return { frames: FRAMES, height: SIZE, width: SIZE, masks };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

const tokenizer = loadClipTokenizer(DEFAULT_TOKENIZER_DIR);
const masks = ellipseMasks();
const input = {
  masks,
  tokenizer,
  targetPrompt: 'Iron Man and Spiderman and a polar bear and a koala jogging under cherry blossoms',
  regionPrompts: ['Iron Man', 'Spiderman', 'a polar bear', 'a koala', 'cherry blossoms'],
};

compileLayout(input); // warm-up (JIT)
const total: number[] = [];
const latent: number[] = [];
const resolutions: number[] = [];
for (let i = 0; i < RUNS; i++) {
  total.push(time(() => compileLayout(input)));
  const grid = masksToLatentGrid(masks, SIZE / 8, SIZE / 8);
  latent.push(time(() => masksToLatentGrid(masks, SIZE / 8, SIZE / 8)));
  resolutions.push(
    time(() => {
      for (const s of [32, 16, 8]) compileResolution(resampleGrid(grid, s, s, 'torch'));
    }),
  );
}
const layout = compileLayout(input);
const outputBytes = layout.resolutions.reduce(
  (a, r) => a + r.regionBits.byteLength + r.selfSizeReg.byteLength * 3 + r.regionFrameCounts.byteLength,
  layout.latent.regionBits.byteLength + layout.blendMask.byteLength,
);
const result = {
  frames: FRAMES,
  size: SIZE,
  regions: REGIONS,
  runs: RUNS,
  compileMs: median(total),
  compileMinMs: Math.min(...total),
  latentGridMs: median(latent),
  resolutionsMs: median(resolutions),
  outputBytes,
  issues: layout.issues.length,
};
console.log(`layout compiler: ${FRAMES} frames ${SIZE}×${SIZE}, ${REGIONS} regions, median of ${RUNS} runs`);
console.log(`  compileLayout (all)        ${result.compileMs.toFixed(2)} ms (min ${result.compileMinMs.toFixed(2)})`);
console.log(`  frames → latent 64×64      ${result.latentGridMs.toFixed(2)} ms`);
console.log(`  32², 16², 8² resolutions   ${result.resolutionsMs.toFixed(2)} ms`);
console.log(`  output arrays              ${(outputBytes / 1024).toFixed(0)} KiB; ${layout.issues.length} issue(s)`);
console.log(JSON.stringify(result));
