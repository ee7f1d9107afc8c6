import { readFileSync } from 'node:fs';
import { beforeAll, expect, test } from 'vitest';
import { describeShared, readShared, sharedPath } from '../helpers/node/shared';
import { readAllFloat32, type HostTensor } from '../../src/core/tensors/safetensors';
import { createClipTokenizer } from '../../src/core/tokenizer/clip';
import { compilePrompts } from '../../src/core/prompt/spans';
import { compileLayout, modulatedSizes, type LayoutInput } from '../../src/core/layout/compile';
import { compileResolution } from '../../src/core/layout/resolution';
import { blendCoverage, resolutionStats } from '../../src/core/layout/stats';
import type { RegionGrid, RegionMaskSet, ResolutionLayout } from '../../src/core/layout/types';
import type { ClipTokenizer } from '../../src/core/tokenizer/clip';
import { referenceAttention } from '../../src/core/attention/reference';
import { crossModulationMaps, selfModulationMaps } from '../../src/core/attention/types';
import { GOLDEN_ATTENTION_FILE, loadGoldenAttention, maxAbsDiff } from '../gpu/attention-golden-inputs';

/** Deterministic LCG in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** Random blobby masks: region r covers a random rectangle per frame, plus noise pixels. */
function randomMasks(frames: number, height: number, width: number, regions: number, seed: number): RegionMaskSet {
  const rand = rng(seed);
  const masks = Array.from({ length: regions }, () =>
    Array.from({ length: frames }, () => {
      const m = new Uint8Array(height * width);
      const x0 = Math.floor(rand() * width);
      const y0 = Math.floor(rand() * height);
      const x1 = x0 + Math.floor(rand() * (width - x0));
      const y1 = y0 + Math.floor(rand() * (height - y0));
      for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) m[y * width + x] = 255;
      for (let i = 0; i < 4; i++) m[Math.floor(rand() * m.length)] = 1;
      return m;
    }),
  );
  return { frames, height, width, masks };
}

/**
 * The DESIGN §3.4 definitions, brute force: M_s[n] at resolution h×w sampled from frame pixels
 * (frame → latent: exact ÷8 for these sizes, so src = 8·dst; latent → h×w: src = floor(dst·in/out) with the
 * power-of-two ratios used here), then the N×N count matrix Σ_s M_s M_sᵀ and per-frame count matrices.
 */
function bruteForce(set: RegionMaskSet, h: number, w: number) {
  const { frames, height, width, masks } = set;
  const lh = height / 8;
  const lw = width / 8;
  const hw = h * w;
  const N = frames * hw;
  const M = masks.map((perFrame) => {
    const m = new Uint8Array(N);
    for (let f = 0; f < frames; f++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const ly = Math.floor((y * lh) / h);
          const lx = Math.floor((x * lw) / w);
          m[f * hw + y * w + x] = perFrame[f]![8 * ly * width + 8 * lx]! ? 1 : 0;
        }
    return m;
  });
  const count = (q: number, k: number) => M.reduce((a, m) => a + m[q]! * m[k]!, 0);
  const selfSize = new Float64Array(N);
  const selfFixed = new Float64Array(N);
  const cross = new Float64Array(N);
  let positive = 0;
  for (let q = 0; q < N; q++) {
    let rowsum = 0;
    let frameRowsum = 0;
    const f = Math.floor(q / hw);
    for (let k = 0; k < N; k++) {
      const c = count(q, k);
      rowsum += c;
      if (c > 0) positive++;
      if (Math.floor(k / hw) === f) frameRowsum += c;
    }
    selfSize[q] = 1 - rowsum / (h * frames * (w * frames));
    selfFixed[q] = 1 - rowsum / (frames * hw);
    cross[q] = 1 - frameRowsum / hw;
  }
  return { M, selfSize, selfFixed, cross, positive };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function regionPlane(res: ResolutionLayout, r: number): number[] {
  return Array.from(res.regionBits, (b) => (b >>> r) & 1);
}

describeShared('ST-Layout compiler vs brute-force definitions', () => {
  test('random overlapping masks, F=3, 64×32 frames (latent 8×4): every resolution, all quantities', () => {
    const set = randomMasks(3, 64, 32, 3, 7);
    const input: LayoutInput = {
      masks: set,
      tokenizer: loadTokenizer(),
      targetPrompt: 'a cat',
      regionPrompts: [],
      modulateAllResolutions: true,
    };
    const layout = compileLayout(input);
    // int(8 / 2^r) × int(4 / 2^r): r = 3 gives a zero width and is left out
    expect(layout.resolutions.map((r) => [r.height, r.width])).toEqual([
      [8, 4],
      [4, 2],
      [2, 1],
    ]);
    for (const res of layout.resolutions) {
      const bf = bruteForce(set, res.height, res.width);
      bf.M.forEach((m, r) =>
        expect(regionPlane(res, r), `region ${r} at ${res.height}×${res.width}`).toEqual(Array.from(m)),
      );
      expect(maxDiff(res.selfSizeReg, bf.selfSize)).toBeLessThan(1e-6);
      expect(maxDiff(res.selfSizeRegFixed, bf.selfFixed)).toBeLessThan(1e-6);
      expect(maxDiff(res.crossSizeReg, bf.cross)).toBeLessThan(1e-6);
      expect(resolutionStats(res).selfPositivePairs).toBe(bf.positive);
    }
    // the random masks do overlap and do leave pixels out, so both paths are exercised
    const top = layout.resolutions[0]!;
    expect(top.regionBits.some((b) => b !== 0 && (b & (b - 1)) !== 0)).toBe(true);
    expect(resolutionStats(top).tokensInNoRegion).toBeGreaterThan(0);
  });

  test('modulated sizes: H/16, H/32, H/64 by default; H/8 first with modulateAllResolutions', () => {
    expect(modulatedSizes(64, 64)).toEqual([
      [32, 32],
      [16, 16],
      [8, 8],
    ]);
    expect(modulatedSizes(64, 96, true)).toEqual([
      [64, 96],
      [32, 48],
      [16, 24],
      [8, 12],
    ]);
  });
});

function loadTokenizer(): ClipTokenizer {
  return createClipTokenizer({
    tokenizerJson: readFileSync(sharedPath('models/clip_tokenizer/tokenizer.json'), 'utf8'),
  });
}

describeShared('ST-Layout compiler on hand-built layouts', () => {
  let tokenizer: ClipTokenizer;
  beforeAll(() => {
    tokenizer = loadTokenizer();
  });
  const TARGET = 'Iron Man and Spiderman are jogging under cherry blossoms';

  test('more masks than prompts: the extra region groups self-attention and joins the blend mask', () => {
    // 2 frames 16×16 → latent 2×2 (H/8 only is meaningful here).
    const frame = (cells: number[]) => {
      const m = new Uint8Array(256);
      for (const c of cells)
        for (let y = 0; y < 8; y++)
          for (let x = 0; x < 8; x++) m[(Math.floor(c / 2) * 8 + y) * 16 + (c % 2) * 8 + x] = 1;
      return m;
    };
    const set: RegionMaskSet = {
      frames: 2,
      height: 16,
      width: 16,
      masks: [
        [frame([0]), frame([0, 1])],
        [frame([0, 3]), frame([3])],
        [frame([2]), frame([])],
      ],
    };
    const layout = compileLayout({
      masks: set,
      tokenizer,
      targetPrompt: TARGET,
      regionPrompts: ['Spiderman'],
      modulateAllResolutions: true,
    });
    const res = layout.resolutions[0]!;
    expect([res.height, res.width]).toEqual([2, 2]);
    expect(Array.from(res.regionBits)).toEqual([0b011, 0, 0b100, 0b010, 0b001, 0b001, 0, 0b010]);
    expect(Array.from(layout.blendMask)).toEqual([1, 0, 1, 1, 1, 1, 0, 1]);
    expect(blendCoverage(layout)).toBe(6 / 8);
    // counts: r0 = 1 + 2 = 3, r1 = 2 + 1 = 3, r2 = 1 + 0; F²hw = 16, Fhw = 8, hw = 4
    expect(Array.from(res.selfSizeReg)).toEqual(
      [1 - 6 / 16, 1, 1 - 1 / 16, 1 - 3 / 16, 1 - 3 / 16, 1 - 3 / 16, 1, 1 - 3 / 16].map(Math.fround),
    );
    expect(Array.from(res.selfSizeRegFixed)).toEqual(
      [1 - 6 / 8, 1, 1 - 1 / 8, 1 - 3 / 8, 1 - 3 / 8, 1 - 3 / 8, 1, 1 - 3 / 8].map(Math.fround),
    );
    // frame 0 areas r0 1, r1 2, r2 1; frame 1 areas r0 2, r1 1
    expect(Array.from(res.crossSizeReg)).toEqual([
      1 - 3 / 4,
      1,
      1 - 1 / 4,
      1 - 2 / 4,
      1 - 2 / 4,
      1 - 2 / 4,
      1,
      1 - 1 / 4,
    ]);
    expect(Array.from(res.regionFrameCounts)).toEqual([1, 2, 2, 1, 1, 0]);
    expect(Array.from(layout.prompts.textTokenBits).filter((b) => b)).toEqual([1]);
    expect(layout.issues.map((i) => `${i.severity}:${i.code}:${i.region ?? ''}`)).toEqual([
      'warning:regions-without-prompt:',
      'warning:region-empty-on-frames:2',
    ]);
    expect(resolutionStats(res)).toMatchObject({ tokens: 8, tokensInNoRegion: 2 });
  });

  test('a region empty on every frame is an error; bad mask shapes throw a typed error', () => {
    const empty = new Uint8Array(64 * 64);
    const full = new Uint8Array(64 * 64).fill(1);
    const layout = compileLayout({
      masks: { frames: 1, height: 64, width: 64, masks: [[full], [empty]] },
      tokenizer,
      targetPrompt: TARGET,
      regionPrompts: ['Iron Man', 'Spiderman'],
    });
    expect(layout.issues.map((i) => i.code)).toEqual(['region-empty']);
    expect(layout.resolutions.map((r) => [r.height, r.width])).toEqual([
      [4, 4],
      [2, 2],
      [1, 1],
    ]);
    expect(() =>
      compileLayout({
        masks: { frames: 2, height: 64, width: 64, masks: [[full]] },
        tokenizer,
        targetPrompt: '',
        regionPrompts: [],
      }),
    ).toThrow(/region 0 has masks for 1 frames, expected 2/);
  });
});

function get(t: Map<string, HostTensor>, name: string): HostTensor {
  const v = t.get(name);
  if (!v) throw new Error(`golden ${name} missing`);
  return v;
}

/** The golden case compiled through the full frame-mask path. */
function goldenLayout() {
  const golden = readAllFloat32(readShared('golden/expected/st_layout_attention.safetensors'));
  const masks = get(golden, 'masks'); // [F, 2, 4, 4]
  const [F, S, h, w] = masks.shape as [number, number, number, number];
  const hw = h * w;
  const tokenizer = loadTokenizer();

  // The golden masks are at attention resolution; as frame masks each pixel becomes an 8×8 block, so the
  // latent grid (÷8) equals them and the H/8 resolution (modulateAllResolutions) is the golden's 4×4.
  const frameMasks: RegionMaskSet = {
    frames: F,
    height: 8 * h,
    width: 8 * w,
    masks: Array.from({ length: S }, (_, s) =>
      Array.from({ length: F }, (_, f) => {
        const m = new Uint8Array(64 * hw);
        for (let y = 0; y < 8 * h; y++)
          for (let x = 0; x < 8 * w; x++)
            m[y * 8 * w + x] = masks.data[(f * S + s) * hw + Math.floor(y / 8) * w + Math.floor(x / 8)]! > 0.5 ? 1 : 0;
        return m;
      }),
    ),
  };
  const layout = compileLayout({
    masks: frameMasks,
    tokenizer,
    targetPrompt: 'Iron Man and Spiderman are jogging under cherry blossoms',
    regionPrompts: ['Iron Man', 'Spiderman'],
    modulateAllResolutions: true,
  });
  return { golden, F, S, h, w, hw, tokenizer, layout, res: layout.resolutions[0]! };
}

describeShared('ST-Layout compiler vs golden st_layout_attention.safetensors', () => {
  let g: ReturnType<typeof goldenLayout>;
  beforeAll(() => {
    g = goldenLayout();
  });

  test('region_token_masks and self.R', () => {
    const { golden, F, S, h, w, hw, res } = g;
    expect([res.frames, res.height, res.width]).toEqual([F, h, w]);
    const rtm = get(golden, 'region_token_masks').data;
    for (let s = 0; s < S; s++)
      expect(regionPlane(res, s)).toEqual(Array.from(rtm.subarray(s * F * hw, (s + 1) * F * hw)));
    const R = get(golden, 'self.R').data;
    const N = F * hw;
    let positives = 0;
    for (let q = 0; q < N; q++)
      for (let k = 0; k < N; k++) {
        const r = (res.regionBits[q]! & res.regionBits[k]!) !== 0 ? 1 : 0;
        expect(r).toBe(R[q * N + k]);
        positives += r;
      }
    expect(resolutionStats(res).selfPositivePairs).toBe(positives);
  });

  test('self.size_reg, self.size_reg_fhw, cross.size_reg_c (1e-7)', () => {
    const { golden, F, S, h, w, res } = g;
    expect(maxDiff(res.selfSizeReg, get(golden, 'self.size_reg').data)).toBeLessThan(1e-7);
    expect(maxDiff(res.selfSizeRegFixed, get(golden, 'self.size_reg_fhw').data)).toBeLessThan(1e-7);
    expect(maxDiff(res.crossSizeReg, get(golden, 'cross.size_reg_c').data)).toBeLessThan(1e-7);
    // the same values straight from the golden grid (no frame → latent step)
    const grid: RegionGrid = { frames: F, height: h, width: w, regionCount: S, regionBits: res.regionBits };
    expect(Array.from(compileResolution(grid).selfSizeReg)).toEqual(Array.from(res.selfSizeReg));
  });

  test('cross.token_region and cross.R from textTokenBits', () => {
    const { golden, F, S, hw, res, layout, tokenizer } = g;
    const tokenRegion = get(golden, 'cross.token_region').data; // [2, 77]
    const bits = layout.prompts.textTokenBits;
    for (let s = 0; s < S; s++)
      expect(Array.from(bits, (b) => (b >>> s) & 1)).toEqual(Array.from(tokenRegion.subarray(s * 77, (s + 1) * 77)));
    const crossR = get(golden, 'cross.R').data; // [F, hw, 77]
    for (let n = 0; n < F * hw; n++)
      for (let t = 0; t < 77; t++) expect((res.regionBits[n]! & bits[t]!) !== 0 ? 1 : 0).toBe(crossR[n * 77 + t]);
    const p = compilePrompts(
      tokenizer,
      'Iron Man and Spiderman are jogging under cherry blossoms',
      ['Iron Man', 'Spiderman'],
      2,
    );
    expect(p.regions.map((r) => r.span)).toEqual([
      { start: 1, length: 2 },
      { start: 4, length: 1 },
    ]);
  });

  test('the compiled arrays drive the CPU reference attention to the golden self.out / self.out_fhw / cross.out', () => {
    const { F, res, layout } = g;
    const cases = loadGoldenAttention(readShared(GOLDEN_ATTENTION_FILE));
    const withMaps = (c: (typeof cases)['self'], maps: ReturnType<typeof selfModulationMaps>) =>
      referenceAttention(c.shape, c.q, c.k, c.v, { maps, itemStrength: c.modulation.itemStrength });
    const self = withMaps(cases.self, selfModulationMaps(res.regionBits, res.selfSizeReg));
    expect(maxAbsDiff(self, cases.self.expected)).toBeLessThan(1e-5);
    const fixed = withMaps(cases.selfFhw, selfModulationMaps(res.regionBits, res.selfSizeRegFixed));
    expect(maxAbsDiff(fixed, cases.selfFhw.expected)).toBeLessThan(1e-5);
    const crossMaps = crossModulationMaps(F, res.regionBits, res.crossSizeReg, layout.prompts.textTokenBits);
    expect(maxAbsDiff(withMaps(cases.cross, crossMaps), cases.cross.expected)).toBeLessThan(1e-5);
  });
});
