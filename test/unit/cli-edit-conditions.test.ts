/**
 * `videograin edit` with the official configs' estimator conditions (issue 16), on the Node CPU backend with the
 * tiny SD + ControlNet and tiny random-weight estimators (test/fixtures/tiny-dwpose.ts, tiny-depth.ts): the
 * run_two_man config (control_type dwpose, hand True, face False) at 2 frames of 64² and 2 steps (the inversion's least), and the same
 * with depth_zoe; the same config without `--condition-model` is refused, naming the model and the option.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { writeOnnxFolder } from '../fixtures/onnx-folder';
import { tinyZoeFiles } from '../fixtures/tiny-depth';
import { tinyDwposeFiles } from '../fixtures/tiny-dwpose';
import { mp4Tracks } from '../fixtures/video-mp4';
import { describeShared, REPO_DIR, sharedPath } from '../helpers/node/shared';

function edit(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/videograin.mjs', 'edit', ...args], { cwd: REPO_DIR, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}

describeShared('videograin edit with estimator conditions (tiny models, cpu)', () => {
  let dir: string;
  /** The official run_two_man config, 2 frames, with another control_type. */
  const config = (controlType: string) => {
    const official = readFileSync(sharedPath('clips/run_two_man/config.yaml'), 'utf8');
    const yaml = official
      .replace(/path: "frames"/, `path: "${sharedPath('clips/run_two_man/frames')}"`)
      .replace(/layout_mask_dir: "masks"/, `layout_mask_dir: "${sharedPath('clips/run_two_man/masks')}"`)
      .replace(/n_sample_frame: 16/, 'n_sample_frame: 2')
      .replace(/control_type: "dwpose"/, `control_type: "${controlType}"`);
    expect(yaml).toContain(`control_type: "${controlType}"`);
    const file = join(dir, `${controlType}.yaml`);
    writeFileSync(file, yaml);
    return file;
  };
  const common = (cfg: string, out: string) => [
    '--config',
    cfg,
    '--model',
    sharedPath('golden/tiny-sd'),
    '--controlnet',
    sharedPath('golden/tiny-controlnet'),
    '--steps',
    '2',
    '--size',
    '64',
    '--no-flatten',
    '-o',
    join(dir, out),
  ];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vg-edit-cond-'));
    writeOnnxFolder(join(dir, 'dwpose'), tinyDwposeFiles([], []));
    writeOnnxFolder(join(dir, 'zoe'), tinyZoeFiles());
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('dwpose without --condition-model: refused naming DWPose and the option, exit 2', () => {
    const r = edit(...common(config('dwpose'), 'x.mp4'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /control_type "dwpose".*needs the DWPose estimator: pass its folder with --condition-model <dir>/,
    );
  }, 60_000);

  for (const [type, model] of [
    ['dwpose', 'dwpose'],
    ['depth_zoe', 'zoe'],
  ] as const)
    test(`${type} with the tiny estimator: the condition is computed and the edit writes the MP4`, () => {
      const r = edit(...common(config(type), `${type}.mp4`), '--condition-model', join(dir, model));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`condition ${type}`);
      const [video] = mp4Tracks(new Uint8Array(readFileSync(join(dir, `${type}.mp4`))));
      expect(video).toMatchObject({ width: 64, height: 64, samples: 2 });
    }, 300_000);
});
