/**
 * `videograin edit` with FLATTEN (issue 17, DESIGN §3.6) on the official run_two_man config (flatten_res [1],
 * old_qk 1; 16 frames) at a 64² draft with the tiny SD model on the cpu backend:
 *  - without a flow source the config is refused before any work, naming --flow, --flow-model and --no-flatten;
 *  - with a synthetic --flow file ([15, 2, 64, 64] pixels) it runs with flow attention and writes the MP4;
 *  - prepareEdit: --no-flatten runs without it and warns of the deviation; the flow travels in the request.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readVideoGrainConfig } from '../../cli/config/videograin-yaml';
import { prepareEdit } from '../../cli/edit/prepare';
import { readAllFloat32, writeSafetensors } from '../../src/core/tensors/safetensors';
import { mp4Tracks } from '../fixtures/video-mp4';
import { describeShared, REPO_DIR, sharedPath } from '../helpers/node/shared';

const SIZE = 64;
const FRAMES = 16;

function edit(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/videograin.mjs', 'edit', ...args], { cwd: REPO_DIR, encoding: 'utf8' });
  const stderr = r.stderr.split('\n').filter((l) => l.trim() && !l.startsWith('npm warn'));
  return { code: r.status, stdout: r.stdout.trim(), stderr, reasons: stderr.filter((l) => l.startsWith('videograin')) };
}

/** Everything moves 4 px right and 2 px down per frame (a synthetic flow: the test is about plumbing). */
function syntheticFlow(): Float32Array {
  const plane = SIZE * SIZE;
  const data = new Float32Array((FRAMES - 1) * 2 * plane);
  for (let p = 0; p < FRAMES - 1; p++) {
    data.fill(4, p * 2 * plane, p * 2 * plane + plane);
    data.fill(2, p * 2 * plane + plane, (p + 1) * 2 * plane);
  }
  return data;
}

describeShared('videograin edit with FLATTEN (run_two_man, tiny SD, 64² draft, cpu backend)', () => {
  let dir: string;
  let flowFile: string;
  const config = sharedPath('clips/run_two_man/config.yaml');
  const common = () => ['--config', config, '--model', sharedPath('golden/tiny-sd'), '--size', String(SIZE)];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vg-flatten-'));
    flowFile = join(dir, 'flow.safetensors');
    writeFileSync(
      flowFile,
      writeSafetensors({ flow: { dtype: 'F32', shape: [FRAMES - 1, 2, SIZE, SIZE], data: syntheticFlow() } }),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('no flow source: refused before any work, naming --flow, --flow-model and --no-flatten (exit 2)', () => {
    const r = edit(...common(), '--steps', '2', '-o', join(dir, 'refused.mp4'));
    expect(r.code, r.stderr.join('\n')).toBe(2);
    expect(r.reasons).toHaveLength(1);
    const reason = r.reasons[0]!;
    expect(reason).toMatch(/flatten_res \[1\]/);
    expect(reason).toMatch(/--flow <flow\.safetensors>/);
    expect(reason).toMatch(/--flow-model/);
    expect(reason).toMatch(/--no-flatten/);
    expect(r.stderr.some((l) => /^(invert|denoise)/.test(l))).toBe(false);
  });

  test('prepareEdit: the YAML’s flatten_res/old_qk with the flow; --no-flatten is a warned deviation', () => {
    const cfg = readVideoGrainConfig(config);
    expect([cfg.flattenRes, cfg.oldQk]).toEqual([[1], true]);
    const base = {
      config: cfg,
      editIndex: 0,
      size: SIZE,
      modelDir: sharedPath('golden/tiny-sd'),
      controlnet: false,
      seed: 0,
      encodeWith: 'sample' as const,
    };
    const flows = { dims: [FRAMES - 1, 2, SIZE, SIZE] as const, data: syntheticFlow() };
    const on = prepareEdit({ ...base, flows });
    expect(on.request.settings.flatten).toEqual({ resolutions: [1], oldQk: true });
    expect(on.request.flows?.dims).toEqual([FRAMES - 1, 2, SIZE, SIZE]);
    const off = prepareEdit({ ...base, noFlatten: true });
    expect(off.request.settings.flatten).toBeNull();
    expect(off.request.flows).toBeUndefined();
    expect(off.warnings.some((w) => /--no-flatten: .*deviation.*flatten_res \[1\]/.test(w))).toBe(true);
  });

  test('--flow: 16 frames with flow attention at flatten_res [1], old_qk 1 → MP4 and finite latents', () => {
    const out = join(dir, 'flatten.mp4');
    const lat = join(dir, 'flatten.safetensors');
    const r = edit(...common(), '--steps', '2', '--flow', flowFile, '--save-latents', lat, '-o', out);
    expect(r.code, r.stderr.join('\n')).toBe(0);
    expect(
      r.stderr.some((l) => /flatten \[1\] old_qk 1/.test(l)),
      r.stderr.join('\n'),
    ).toBe(true);
    expect(
      r.stderr.some((l) => /^denoise 2\/2/.test(l)),
      r.stderr.join('\n'),
    ).toBe(true);
    const [video] = mp4Tracks(new Uint8Array(readFileSync(out)));
    expect(video).toMatchObject({ codec: 'avc1', width: SIZE, height: SIZE, samples: FRAMES });
    const latents = readAllFloat32(new Uint8Array(readFileSync(lat))).get('latents')!;
    expect(latents.shape).toEqual([FRAMES, 4, SIZE / 8, SIZE / 8]);
    expect(latents.data.every(Number.isFinite)).toBe(true);
  }, 600_000);
});
