/**
 * `videograin edit` end to end on the tiny models (DESIGN §9): a VideoGrain-style config over the real
 * cutie_judo frames with two regions covering the frame (fighters from the DAVIS mask + its complement, so the
 * blend mask is 1), 2 frames at 128², 3 steps, posterior mean; run twice. Checks the MP4 boxes, the saved
 * latents' names/shapes/finiteness and that both runs give bit-identical latents, and a bad-input exit.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { decode, encode } from 'fast-png';
import { readAllFloat32 } from '../../src/core/tensors/safetensors';
import { squareCropGeometry } from '../../src/core/clip/geometry';
import { cropResizeRgba } from '../../cli/edit/frames';
import { describeShared, REPO_DIR, sharedPath } from '../helpers/node/shared';
import { mp4Tracks } from '../fixtures/video-mp4';

const TARGET = 'two judo fighters on a blue mat';

function edit(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/videograin.mjs', 'edit', ...args], { cwd: REPO_DIR, encoding: 'utf8' });
  const stderr = r.stderr.split('\n').filter((l) => l.trim() && !l.startsWith('npm warn'));
  return {
    code: r.status,
    stdout: r.stdout.trim(),
    stderr,
    reasons: stderr.filter((l) => l.startsWith('videograin edit:')),
  };
}

test('frame resize (PIL antialiased bilinear): exact 2× downscale averages 2×2 blocks; centre crop', () => {
  // 8×4 source, values by column; 2× down to 4×2 then crop to 2×2 (left = 1).
  const data = new Uint8Array(8 * 4 * 4);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 8; x++) data.set([x * 20, 100, 200 - y * 40, 255], (y * 8 + x) * 4);
  const g = squareCropGeometry(8, 4, 2);
  expect(g).toMatchObject({ scaledWidth: 4, scaledHeight: 2, left: 1, top: 0 });
  const out = cropResizeRgba({ width: 8, height: 4, data }, g);
  // PIL bilinear at 2×: output column k is scaled column k + 1, centre 2k + 3, taps k·2+1 … k·2+4 with weights
  // 1/8, 3/8, 3/8, 1/8 → the mean column 2k + 2.5 → value 20·(2k + 2.5).
  expect([out[0], out[4], out[8], out[12]]).toEqual([50, 90, 50, 90]);
  expect([out[1], out[3], out[15]]).toEqual([100, 255, 255]);
  // row 0: centre 1, taps 0..2 at the border with weights 3/4, 3/4, 1/4, renormalized to 3/7, 3/7, 1/7
  expect(out[2]).toBe(Math.round((3 * 200 + 3 * 160 + 1 * 120) / 7));
});

describeShared('videograin edit (CLI, tiny models, cutie_judo)', () => {
  let dir: string;

  /** A config over frames 0 and 1; regions: fighters (palette id 1) and everything else. */
  const writeConfig = (name: string, prompts: string[]) => {
    const yaml = `dataset_config:
    path: "${relative(dir, sharedPath('clips/cutie_judo/frames'))}"
    prompt: two judo fighters on a mat
    n_sample_frame: 2
    start_sample_frame: 0
    sampling_rate: 1
    layout_mask_dir: "layout_masks"
    layout_mask_order: ['fighters', 'background']
editing_config:
    guidance_scale: 7.5
    num_inference_steps: 50
    editing_prompts: [
        ${JSON.stringify(prompts)},
    ]
`;
    writeFileSync(join(dir, name), yaml);
    return join(dir, name);
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vg-edit-'));
    const png = decode(readFileSync(sharedPath('clips/cutie_judo/masks/00000.png')));
    const fighters = Uint8Array.from(png.data, (v) => (v === 1 ? 255 : 0));
    const rest = fighters.map((v) => 255 - v);
    for (const [name, data] of [
      ['fighters', fighters],
      ['background', rest],
    ] as const) {
      mkdirSync(join(dir, 'layout_masks', name), { recursive: true });
      for (const f of [0, 1])
        writeFileSync(
          join(dir, 'layout_masks', name, `${String(f).padStart(5, '0')}.png`),
          encode({ width: png.width, height: png.height, data, channels: 1, depth: 8 }),
        );
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const common = (config: string) => [
    '--config',
    config,
    '--model',
    sharedPath('golden/tiny-sd'),
    '--encode-with',
    'mean',
    '--steps',
    '3',
    '--size',
    '128',
  ];

  test('two runs: MP4 with 2 frames of 128², identical [2, 4, 16, 16] latents', () => {
    const config = writeConfig('edit.yaml', [TARGET, 'judo fighters', 'blue mat']);
    const latents: Map<string, { shape: readonly number[]; data: Float32Array }>[] = [];
    for (const run of [1, 2]) {
      const out = join(dir, `out${run}.mp4`);
      const lat = join(dir, `lat${run}.safetensors`);
      const r = edit(...common(config), '--save-latents', lat, '-o', out);
      expect(r.code, r.stderr.join('\n')).toBe(0);
      expect(r.stdout).toMatch(/2 frames 128×128/);
      // progress on stderr: the engine's events (the edit service runs the CPU backend too)
      expect(
        r.stderr.some((l) => /^denoise 3\/3/.test(l)),
        r.stderr.join('\n'),
      ).toBe(true);
      const [video, ...others] = mp4Tracks(new Uint8Array(readFileSync(out)));
      expect(others).toHaveLength(0);
      expect(video).toMatchObject({ handler: 'vide', codec: 'avc1', width: 128, height: 128, samples: 2 });
      latents.push(readAllFloat32(new Uint8Array(readFileSync(lat))));
    }
    const [a, b] = latents as [(typeof latents)[0], (typeof latents)[0]];
    expect([...a.keys()].sort()).toEqual(['latents', 'xT', 'z0']);
    for (const name of ['z0', 'xT', 'latents']) {
      const x = a.get(name)!;
      expect(x.shape, name).toEqual([2, 4, 16, 16]);
      expect(x.data.every(Number.isFinite), name).toBe(true);
      expect(Math.max(...x.data.map(Math.abs)), name).toBeGreaterThan(0);
      expect(Buffer.from(b.get(name)!.data.buffer).equals(Buffer.from(x.data.buffer)), `${name} deterministic`).toBe(
        true,
      );
    }
    // inversion moved the latent: x_T is not z0
    const z0 = a.get('z0')!.data;
    expect(a.get('xT')!.data.some((v, i) => Math.abs(v - z0[i]!) > 1e-3)).toBe(true);
  }, 240_000);

  test('bad input: region prompt not in the target, webgpu backend, bad size → one line, exit 2', () => {
    const config = writeConfig('bad.yaml', [TARGET, 'wrestlers', 'blue mat']);
    for (const args of [
      [...common(config), '-o', join(dir, 'bad.mp4')],
      [...common(config), '--backend', 'webgpu', '-o', join(dir, 'bad.mp4')],
      [...common(config), '--size', '100', '-o', join(dir, 'bad.mp4')],
    ]) {
      const r = edit(...args);
      expect(r.code, r.stderr.join('\n')).toBe(2);
      expect(r.reasons, r.stderr.join('\n')).toHaveLength(1);
      // the engine's refusal (its code), for both backends; the size is the command line's own check
      if (!args.includes('100')) expect(r.reasons[0]).toMatch(/"wrestlers".*\(LAYOUT_INVALID\)$/);
    }
  }, 120_000);
});
