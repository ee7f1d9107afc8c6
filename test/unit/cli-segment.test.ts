/**
 * `videograin segment` end to end through bin/videograin.mjs with the tiny SAM 2.1 stand-in (wasm in Node):
 * a click on one frame of a 3-frame 96×64 folder, with --track; the output is a VideoGrain mask folder (one
 * 8-bit grey 0/255 PNG per frame) with the mask where the click was on every frame; bad input exits 2 naming
 * the problem. A SlimSAM folder (tiny stand-in, same file names) is recognised by its encoder and runs with the SAM v1
 * processing: the mask lands where the click was on the non-square frames.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode as decodePng, encode as encodePng } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_DIR } from '../helpers/node/shared';
import { writeOnnxFolder } from '../fixtures/onnx-folder';
import { tinySam2Files } from '../fixtures/tiny-sam2';
import { tinySlimSamFiles } from '../fixtures/tiny-slimsam';

function run(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/videograin.mjs', 'segment', ...args], {
    cwd: REPO_DIR,
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.trim() };
}

const W = 96;
const H = 64;

describe('videograin segment (CLI)', () => {
  let dir: string;
  let frames: string;
  let model: string;
  let slim: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vg-seg-'));
    frames = join(dir, 'frames');
    mkdirSync(frames);
    for (let f = 0; f < 3; f++) {
      const rgb = Uint8Array.from({ length: W * H * 3 }, (_, i) => (i * 7 + f * 13) % 256);
      writeFileSync(
        join(frames, `${String(f).padStart(5, '0')}.png`),
        encodePng({ width: W, height: H, data: rgb, channels: 3, depth: 8 }),
      );
    }
    model = writeOnnxFolder(join(dir, 'sam2'), tinySam2Files());
    slim = writeOnnxFolder(join(dir, 'slimsam'), tinySlimSamFiles({ inputSize: 64 }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a mask folder, one PNG per frame, tracked from the clicked frame', () => {
    const out = join(dir, 'masks', 'left_man');
    const r = run(frames, '--points', '48,32', '--frame', '1', '--model', model, '--track', '-o', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as {
      model: string;
      segmented: number[];
      status: string[];
      stops: unknown[];
      pixels: number[];
    };
    expect(summary.model).toBe('sam2');
    expect(summary.segmented).toEqual([0, 1, 2]);
    expect(summary.status).toEqual(['ok', 'ok', 'ok']);
    expect(summary.stops).toEqual([
      { direction: 'forward', frame: 2, reason: 'end' },
      { direction: 'backward', frame: 0, reason: 'end' },
    ]);
    expect(readdirSync(out).sort()).toEqual(['00000.png', '00001.png', '00002.png']);
    for (const name of readdirSync(out)) {
      const png = decodePng(readFileSync(join(out, name)));
      expect([png.width, png.height, png.channels, png.depth]).toEqual([W, H, 1, 8]);
      expect(new Set(png.data)).toEqual(new Set([0, 255]));
      expect(png.data[32 * W + 48]).toBe(255);
      expect(png.data[2 * W + 2]).toBe(0);
    }
  });

  it('without --track writes the clicked frame and empty masks elsewhere; bad input exits 2', () => {
    const out = join(dir, 'one');
    const r = run(frames, '--points', '10,10', '60,40,0', '--model', model, '-o', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/1\/3 frames segmented/);
    expect(decodePng(readFileSync(join(out, '00000.png'))).data[10 * W + 10]).toBe(255);
    expect(decodePng(readFileSync(join(out, '00001.png'))).data.every((v) => v === 0)).toBe(true);

    for (const [args, message] of [
      [[frames, '--model', model, '-o', out], /--points/],
      [[frames, '--points', '1,2,5', '--model', model, '-o', out], /label 1 or 0/],
      [[frames, '--points', '1,2', '--model', join(dir, 'nope'), '-o', out], /--model .*nope is not a folder/],
    ] as const) {
      const bad = run(...args);
      expect(bad.code, bad.stderr).toBe(2);
      expect(bad.stderr).toMatch(message);
    }
  });

  it('detects a SlimSAM folder and keeps the frame aspect (SAM v1 processing)', () => {
    const out = join(dir, 'slim');
    const r = run(frames, '--points', '30,20', '--model', slim, '-o', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { model: string; segmented: number[]; pixels: number[] };
    expect(summary.model).toBe('slimsam');
    expect(summary.segmented).toEqual([0]);
    const png = decodePng(readFileSync(join(out, '00000.png')));
    // 96×64 → resized 64×43 of the 64² input (scale 2/3): the smallest disc, radius 4 input px = 6 frame px.
    expect(png.data[20 * W + 30]).toBe(255);
    expect(png.data[20 * W + 33]).toBe(255);
    expect(png.data[23 * W + 30]).toBe(255);
    expect(png.data[20 * W + 40]).toBe(0);
    expect(png.data[30 * W + 30]).toBe(0);
  });
});
