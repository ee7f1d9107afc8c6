/**
 * `videograin layout` end to end: a VideoGrain-style config + per-region mask folder built in a temp dir from
 * the real cutie_judo frames (854×480 JPEG) and its DAVIS palette masks, run through bin/videograin.mjs.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { decode, encode } from 'fast-png';
import { describeShared, REPO_DIR, sharedPath } from '../helpers/node/shared';
import { createClipTokenizer, type ClipTokenizer } from '../../src/core/tokenizer/clip';
import type { LayoutJson } from '../../cli/commands/layout';

const W = 854;
const H = 480;
const FRAMES = [0, 2, 4, 6, 8, 10, 12, 14]; // start 0, rate 2, 8 frames
const TARGET = 'two judo fighters grappling on a mat, a spectator watching';

function run(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/videograin.mjs', 'layout', ...args], { cwd: REPO_DIR, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.trim() };
}

/** Palette id → binary mask at the palette PNG's own size. */
function paletteRegion(file: string, id: number) {
  const png = decode(readFileSync(sharedPath(`clips/cutie_judo/masks/${file}`)));
  return { width: png.width, height: png.height, data: Uint8Array.from(png.data, (v) => (v === id ? 255 : 0)) };
}

function writeMask(path: string, m: { width: number; height: number; data: Uint8Array }) {
  writeFileSync(path, encode({ width: m.width, height: m.height, data: m.data, channels: 1, depth: 8 }));
}

describeShared('videograin layout (CLI, real frames and masks)', () => {
  let dir: string;
  let tok: ClipTokenizer;
  /** Independent expectation of the blend coverage: union of the three masks sampled at latent cells. */
  let expectedCoverage: number;

  const writeConfig = (name: string, prompts: string[], extra = '') => {
    const framesRel = relative(dir, sharedPath('clips/cutie_judo/frames'));
    const yaml = `dataset_config:
    path: "${framesRel}"
    prompt: judo
    n_sample_frame: 8
    start_sample_frame: 0
    sampling_rate: 2
    layout_mask_dir: "layout_masks"
    layout_mask_order: ['fighters', 'spectator', 'mat']
${extra}editing_config:
    editing_prompts: [
        ${JSON.stringify(prompts)},
    ]
`;
    writeFileSync(join(dir, name), yaml);
    return join(dir, name);
  };

  beforeAll(() => {
    tok = createClipTokenizer({
      tokenizerJson: readFileSync(sharedPath('models/clip_tokenizer/tokenizer.json'), 'utf8'),
    });
    dir = mkdtempSync(join(tmpdir(), 'vg-layout-'));
    const fighters = paletteRegion('00000.png', 1); // 854×480
    const spectator = paletteRegion('00005.png', 2); // 853×480: the CLI must resize it to the frame size
    const none = { ...spectator, data: new Uint8Array(spectator.data.length) };
    const mat = { width: W, height: H, data: new Uint8Array(W * H) };
    mat.data.fill(255, (H - 120) * W); // bottom 120 rows
    for (const [name, m] of [
      ['fighters', () => fighters],
      ['spectator', (f: number) => (f >= 5 ? spectator : none)],
      ['mat', () => mat],
    ] as const) {
      mkdirSync(join(dir, 'layout_masks', name), { recursive: true });
      for (const f of FRAMES) writeMask(join(dir, 'layout_masks', name, `${String(f).padStart(5, '0')}.png`), m(f));
    }
    // Latent cell (y, x) of the 512×512 crop samples crop pixel (8y, 8x) = scaled (8y, 8x + 199) of the 910×512
    // short-side scale, i.e. source (⌊8y·480/512⌋, ⌊(8x + 199)·854/910⌋); the spectator PNG is one column narrower.
    let covered = 0;
    for (const f of FRAMES)
      for (let y = 0; y < 64; y++)
        for (let x = 0; x < 64; x++) {
          const sy = Math.floor((8 * y * 480) / 512);
          const sx = Math.floor(((8 * x + 199) * 854) / 910);
          const specX = Math.floor((sx * 853) / 854);
          const inside =
            fighters.data[sy * W + sx]! > 0 || (f >= 5 && spectator.data[sy * 853 + specX]! > 0) || sy >= H - 120;
          covered += inside ? 1 : 0;
        }
    expectedCoverage = covered / (FRAMES.length * 64 * 64);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('--json: spans, resolutions, blend coverage, warnings', () => {
    const config = writeConfig('ok.yaml', [TARGET, 'two judo fighters', 'a spectator']);
    const r = run('--config', config, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as LayoutJson;
    expect(Object.keys(json).sort()).toEqual(['blendCoverage', 'errors', 'regions', 'resolutions', 'warnings']);
    expect(json.errors).toEqual([]);
    expect(json.regions.map((x) => [x.name, x.prompt])).toEqual([
      ['fighters', 'two judo fighters'],
      ['spectator', 'a spectator'],
      ['mat', ''],
    ]);
    // The owned target tokens decode to the region's words; "a spectator" is the first "a" followed by it.
    const ids = tok.encode(TARGET).ids;
    const words = (positions: number[]) => positions.map((p) => tok.tokenText(ids[p]!)).join(' ');
    expect(words(json.regions[0]!.tokens)).toBe('two judo fighters');
    expect(json.regions[0]!.tokens[0]).toBe(1);
    expect(words(json.regions[1]!.tokens)).toBe('a spectator');
    expect(json.regions[2]!.tokens).toEqual([]);

    expect(json.resolutions.map((x) => x.size)).toEqual([
      [32, 32],
      [16, 16],
      [8, 8],
    ]);
    for (const res of json.resolutions) {
      expect(res.tokens).toBe(8 * res.size[0] * res.size[1]);
      expect(res.tokensInNoRegion).toBeGreaterThan(0);
      expect(res.tokensInNoRegion).toBeLessThan(res.tokens);
      const inRegion = res.tokens - res.tokensInNoRegion;
      // every token in a region pairs at least with itself; at most with all in-region tokens
      expect(res.selfPositivePairs).toBeGreaterThanOrEqual(inRegion);
      expect(res.selfPositivePairs).toBeLessThanOrEqual(inRegion * inRegion);
      for (const s of [res.selfSizeReg!, res.selfSizeRegFixed!, res.crossSizeReg!]) {
        expect(s.min).toBeLessThanOrEqual(s.mean);
        expect(s.mean).toBeLessThanOrEqual(s.max);
        expect(s.max).toBeLessThan(1);
        expect(s.min).toBeGreaterThan(0);
      }
      // F² denominator keeps the official self size_reg near 1 (F = 8)
      expect(res.selfSizeReg!.min).toBeGreaterThan(0.9);
      expect(res.selfSizeRegFixed!.mean).toBeLessThan(res.selfSizeReg!.mean);
    }
    expect(Math.abs(json.blendCoverage - expectedCoverage)).toBeLessThan(0.005);
    expect(json.warnings.join('\n')).toMatch(/spectator.*8 mask\(s\) not at the frame size 854×480/);
    expect(json.warnings.join('\n')).toMatch(/region 1 has no pixels on frames 0, 1, 2/);
    expect(json.warnings.join('\n')).toMatch(/region 2 has no prompt/);
  });

  test('the human report names the regions and resolutions', () => {
    const r = run('--config', writeConfig('ok2.yaml', [TARGET, 'two judo fighters', 'a spectator']));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/fighters .*tokens 1\.\.3/);
    expect(r.stdout).toMatch(/^32×32 /m);
  });

  test('a region prompt not in the target: exit ≠ 0, one line with the tokens, errors in --json', () => {
    const config = writeConfig('bad-prompt.yaml', ['two judoka grappling', 'judoka', 'man']);
    const r = run('--config', config, '--json');
    expect(r.code).not.toBe(0);
    expect(r.stderr.split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/region 1 prompt "man" \[786 "man"\] is not in the target prompt/);
    const json = JSON.parse(r.stdout) as LayoutJson;
    expect(json.errors).toHaveLength(1);
    expect(json.regions[1]!.error).toMatch(/not in the target prompt/);
    expect(json.regions[0]!.tokens.length).toBeGreaterThan(0);
  });

  test('bad configs: missing file, missing mask folder, unknown option → exit 2 with one line', () => {
    const missing = run('--config', join(dir, 'nope.yaml'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^videograin layout: cannot read config .*nope\.yaml: ENOENT$/);

    const badOrder = writeConfig('ghost.yaml', [TARGET]);
    writeFileSync(badOrder, readFileSync(badOrder, 'utf8').replace("'mat']", "'mat', 'ghost']"));
    const ghost = run('--config', badOrder, '--json');
    expect(ghost.code).toBe(2);
    expect(ghost.stderr.split('\n')).toHaveLength(1);
    expect(ghost.stderr).toMatch(/mask folder .*ghost.* does not exist/);
    expect((JSON.parse(ghost.stdout) as LayoutJson).errors[0]).toMatch(/ghost/);

    const usage = run('--config', badOrder, '--frobnicate');
    expect(usage.code).toBe(2);
    expect(usage.stderr.split('\n')).toHaveLength(1);
  });
});
