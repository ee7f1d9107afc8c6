/**
 * `videograin clip` end to end (DESIGN §9): bin/videograin.mjs builds the app if needed, serves it, drives
 * Chromium and the app's video worker, and writes the MP4; bad input ends in one reason line and a non-zero
 * exit. The output is checked by reading its MP4 boxes, and with native ffprobe when it is installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { describeShared, REPO_DIR, sharedPath } from '../helpers/node/shared';
import { notAVideo, truncated, wav } from '../fixtures/video-inputs';
import { mp4Tracks } from '../fixtures/video-mp4';

const dir = mkdtempSync(join(tmpdir(), 'vg-clip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function clip(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/videograin.mjs', 'clip', ...args], { cwd: REPO_DIR, encoding: 'utf8' });
  const stderr = r.stderr.split('\n').filter((l) => l.trim() && !l.startsWith('npm warn'));
  return {
    code: r.status,
    stdout: r.stdout.trim(),
    stderr,
    reasons: stderr.filter((l) => l.startsWith('videograin clip:')),
  };
}

/** native ffprobe's frame count, or undefined where ffprobe is not installed (tests must not need it). */
function nativeFrameCount(file: string): number | undefined {
  const r = spawnSync(
    'ffprobe',
    [
      '-v',
      'error',
      '-count_frames',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=nb_read_frames',
      '-of',
      'csv=p=0',
      file,
    ],
    {
      encoding: 'utf8',
    },
  );
  return r.status === 0 ? Number(r.stdout.trim()) : undefined;
}

test('usage errors need no browser: one line, exit 2', () => {
  for (const args of [
    [],
    ['x.mp4'],
    [join(dir, 'missing.mp4'), '-o', join(dir, 'o.mp4')],
    ['--frames', '0', 'x', '-o', 'y'],
    ['--size', '500', 'x', '-o', 'y'],
  ]) {
    const r = clip(...args);
    expect(r.code, args.join(' ')).toBe(2);
    expect(r.reasons, args.join(' ')).toHaveLength(1);
  }
}, 120_000);

describeShared('videograin clip on real clips', () => {
  test('two_cats: 16 frames at 512² → out.mp4 (H.264, 16 samples, 512×512, 8 fps)', () => {
    const out = join(dir, 'out.mp4');
    const r = clip(
      sharedPath('clips/two_cats/source.mp4'),
      '--start',
      '0',
      '--frames',
      '16',
      '--stride',
      '1',
      '--size',
      '512',
      '-o',
      out,
    );
    expect(r.code, r.stderr.join('\n')).toBe(0);
    expect(r.stdout).toMatch(/16 frames 512×512 at 8 fps/);
    expect(r.stderr.some((l) => l.startsWith('encoding'))).toBe(true); // progress on stderr
    const mp4 = new Uint8Array(readFileSync(out));
    const tracks = mp4Tracks(mp4);
    expect(tracks).toHaveLength(1);
    const [video] = tracks;
    expect(video).toMatchObject({ handler: 'vide', codec: 'avc1', width: 512, height: 512, samples: 16 });
    expect(video!.duration / video!.timescale).toBeCloseTo(2, 3);
    const native = nativeFrameCount(out);
    if (native === undefined) console.log('[info] native ffprobe not installed: MP4 checked by its boxes only');
    else expect(native).toBe(16);
  }, 240_000);

  test('bad input: not a video, audio only, truncated, too few frames → one reason line, exit 2', () => {
    const cases: [string, Uint8Array, string[], string][] = [
      ['holiday.mp4', notAVideo(), [], 'NOT_A_VIDEO'],
      ['voice.mp4', wav(1), [], 'NO_VIDEO_STREAM'],
      [
        'cut.mp4',
        truncated(new Uint8Array(readFileSync(sharedPath('clips/two_cats/source.mp4'))), 1 / 3),
        [],
        'CORRUPT_FILE',
      ],
      [
        'cats.mp4',
        new Uint8Array(readFileSync(sharedPath('clips/two_cats/source.mp4'))),
        ['--start', '20', '--frames', '8'],
        'TOO_FEW_FRAMES',
      ],
    ];
    for (const [name, bytes, extra, code] of cases) {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      const r = clip(file, ...extra, '-o', join(dir, `${name}.out.mp4`));
      expect(r.code, name).toBe(2);
      expect(r.reasons, name).toHaveLength(1);
      expect(r.reasons[0], name).toContain(`(${code})`);
      expect(r.stdout, name).toBe('');
    }
  }, 240_000);
});
