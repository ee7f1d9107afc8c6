/**
 * `videograin condition` end to end through bin/videograin.mjs (issue 16): canny on the run_two_man frames at 512²
 * with 100/200 writes 16 RGB PNGs (white edges on black), each equal to `cannyCondition` on the same cropped
 * frames; a video file is extracted as the editor does, then mapped; depth with the tiny MiDaS stand-in equals the
 * engine's runner on the same frames; a pose condition
 * without its model folder is refused naming the model and the option; bad options exit 2.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode as decodePng } from 'fast-png';
import { afterAll, expect, it } from 'vitest';
import { cannyCondition } from '../../src/core/conditions/canny';
import { resolveModelFiles } from '../../src/core/models/resolve';
import { validateModel } from '../../src/core/models/validate';
import { loadClipFrames } from '../../cli/edit/frames';
import { NodeFolderSource } from '../../cli/config/file-ranges';
import { estimateDepthMaps } from '../../workers/engine/conditions/depth';
import { openOnnxModel } from '../../workers/engine/onnx-models/session';
import { writeOnnxFolder } from '../fixtures/onnx-folder';
import { tinyMidasFiles } from '../fixtures/tiny-depth';
import { describeShared, REPO_DIR, sharedPath } from '../helpers/node/shared';

const tmp = mkdtempSync(join(tmpdir(), 'vg-condition-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/videograin.mjs', 'condition', ...args], {
    cwd: REPO_DIR,
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.trim() };
}

function readMaps(dir: string) {
  return readdirSync(dir)
    .sort()
    .map((name) => ({ name, png: decodePng(readFileSync(join(dir, name))) }));
}

describeShared('videograin condition', () => {
  const frames = sharedPath('clips/run_two_man/frames');

  it('canny at 512², 100/200: 16 RGB PNGs equal to cannyCondition on the cropped frames', { timeout: 120_000 }, () => {
    const out = join(tmp, 'canny');
    const r = run(frames, '--type', 'canny', '--size', '512', '--low', '100', '--high', '200', '-o', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const maps = readMaps(out);
    expect(maps.map((m) => m.name)).toEqual(Array.from({ length: 16 }, (_, i) => `${String(i).padStart(5, '0')}.png`));
    const source = loadClipFrames(
      frames,
      Array.from({ length: 16 }, (_, i) => i),
      512,
    );
    const n = 512 * 512;
    maps.forEach(({ png }, f) => {
      expect([png.width, png.height, png.channels, png.depth]).toEqual([512, 512, 3, 8]);
      const expected = cannyCondition(source[f]!, 512, 512, { low: 100, high: 200 });
      let edges = 0;
      let mismatches = 0;
      for (let p = 0; p < n; p++) {
        const want = expected[p]! * 255;
        for (let c = 0; c < 3; c++) if (png.data[p * 3 + c] !== want) mismatches++;
        if (want === 255) edges++;
      }
      expect(mismatches).toBe(0);
      expect(edges).toBeGreaterThan(1000); // a real edge map, white on black
    });
  });

  it(
    'depth with the tiny MiDaS stand-in equals the engine’s runner on the same frames',
    { timeout: 120_000 },
    async () => {
      const model = writeOnnxFolder(join(tmp, 'midas'), tinyMidasFiles());
      const out = join(tmp, 'depth');
      const r = run(frames, '--type', 'depth', '--model', model, '--size', '64', '-o', out);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const maps = readMaps(out);
      expect(maps).toHaveLength(16);
      const source = new NodeFolderSource(model);
      const sessions = await openOnnxModel(
        await validateModel(source, 'midas', await resolveModelFiles(source, 'midas')),
        { kind: 'cpu' },
      );
      try {
        const [expected] = await estimateDepthMaps('depth', loadClipFrames(frames, [0], 64), 64, 64, sessions);
        const got = maps[0]!.png.data;
        for (let p = 0; p < 64 * 64; p++) for (let c = 0; c < 3; c++) expect(got[p * 3 + c]).toBe(expected![p * 4]);
      } finally {
        await sessions.release();
      }
    },
  );

  it(
    'a video file: extracted as the editor does (app video worker, headless Chromium), then canny',
    { timeout: 300_000 },
    () => {
      const out = join(tmp, 'video-canny');
      const r = run(
        sharedPath('clips/run_two_man/source.mp4'),
        '--type',
        'canny',
        '--size',
        '64',
        '--frames',
        '2',
        '--stride',
        '2',
        '-o',
        out,
      );
      expect(r.code, r.stderr).toBe(0);
      const maps = readMaps(out);
      expect(maps.map((m) => m.name)).toEqual(['00000.png', '00001.png']);
      for (const { png } of maps) {
        expect([png.width, png.height, png.channels]).toEqual([64, 64, 3]);
        const values = new Set(png.data);
        expect([...values].every((v) => v === 0 || v === 255)).toBe(true);
        expect(png.data.filter((v) => v === 255).length).toBeGreaterThan(0);
      }
      // A file that is not a video is refused by name, exit 2; --frames on a folder is refused.
      const notVideo = run(join(REPO_DIR, 'package.json'), '--type', 'canny', '--size', '64', '-o', join(tmp, 'nv'));
      expect(notVideo.code).toBe(2);
      expect(notVideo.stderr).toMatch(/NOT_A_VIDEO/);
      const folderFrames = run(frames, '--type', 'canny', '--frames', '2', '-o', join(tmp, 'ff'));
      expect(folderFrames.code).toBe(2);
      expect(folderFrames.stderr).toMatch(/apply to a video file, not a frames folder/);
    },
  );

  it('refuses a pose condition without its model folder, naming the model and the option; bad options', () => {
    const r = run(frames, '--type', 'dwpose', '--size', '64', '-o', join(tmp, 'pose'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs the DWPose estimator: pass its folder with --model <dir>.*yolox_l\.onnx/);
    expect(run(frames, '--type', 'hed', '-o', join(tmp, 'x')).stderr).toMatch(/--type must be one of canny, dwpose/);
    const th = run(frames, '--type', 'canny', '--low', '200', '--high', '100', '-o', join(tmp, 'x'));
    expect(th.code).toBe(2);
    expect(th.stderr).toMatch(/low threshold \(200\) must not be above the high one \(100\)/);
  });
});
