/**
 * `videograin trajectories` end to end through bin/videograin.mjs: a synthetic converging flow at 64×64 written
 * as safetensors; the output's official names, dtypes and shapes, the conflict counts known from the flow, and
 * the tensors equal to the core's for the same `--rng python:N`; bad input exits 2 with a clear message.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { encode as encodePng } from 'fast-png';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_DIR } from '../helpers/node/shared';
import { pythonRandint, sampleTrajectories, type FlowField } from '../../src/core/flow/trajectories';
import { parseSafetensors, writeSafetensors } from '../../src/core/tensors/safetensors';
import { writeOnnxFolder } from '../fixtures/onnx-folder';
import { tinyRaft } from '../fixtures/tiny-raft';

function run(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/videograin.mjs', 'trajectories', ...args], {
    cwd: REPO_DIR,
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.trim() };
}

/**
 * 3 frames at 64×64; horizontal flow −8·⌊X/8⌋ px at pixel column X, no vertical flow. At every level with
 * h = 64/d cells, cell x samples column d·x and gets round(h · −8·⌊d·x/8⌋ / 64) = −x: each row converges on
 * column 0, so per frame pair there are h conflicting targets and h·(h − 1) dropped links (none at h = 1).
 */
function convergingFlow(): FlowField {
  const H = 64;
  const W = 64;
  const pairs = 2;
  const data = new Float32Array(pairs * 2 * H * W);
  for (let t = 0; t < pairs; t++)
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data[(t * 2 * H + y) * W + x] = -8 * Math.floor(x / 8);
  return { pairs, height: H, width: W, data };
}

describe('videograin trajectories (CLI)', () => {
  let dir: string;
  let flowPath: string;
  const flow = convergingFlow();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vg-traj-'));
    flowPath = join(dir, 'flow.safetensors');
    writeFileSync(flowPath, writeSafetensors({ flow: { dtype: 'F32', shape: [2, 2, 64, 64], data: flow.data } }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes traj{h} int64 and mask{h} uint8 for the four levels, equal to the core with --rng python:N', () => {
    const out = join(dir, 'traj.safetensors');
    const r = run('--flow', flowPath, '--size', '64', '--rng', 'python:3', '-o', out, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as {
      levels: { name: string; conflictTargets: number; droppedLinks: number }[];
    };
    expect(summary.levels.map((l) => [l.name, l.conflictTargets, l.droppedLinks])).toEqual([
      ['traj8', 2 * 8, 2 * 8 * 7],
      ['traj4', 2 * 4, 2 * 4 * 3],
      ['traj2', 2 * 2, 2 * 2 * 1],
      ['traj1', 0, 0],
    ]);

    const bytes = new Uint8Array(readFileSync(out));
    const header = parseSafetensors(bytes, out);
    expect([...header.tensors.keys()].sort()).toEqual(
      ['mask1', 'mask2', 'mask4', 'mask8', 'traj1', 'traj2', 'traj4', 'traj8'].sort(),
    );
    expect(header.metadata.rng).toBe('python:3');
    const expected = sampleTrajectories(flow, pythonRandint(3));
    for (const lv of expected) {
      const traj = header.tensors.get(`traj${lv.key}`)!;
      const mask = header.tensors.get(`mask${lv.key}`)!;
      const tokens = 3 * lv.height * lv.width;
      expect([traj.dtype, traj.shape]).toEqual(['I64', [tokens, lv.length, 3]]);
      expect([mask.dtype, mask.shape]).toEqual(['U8', [tokens, lv.length]]);
      const t64 = new BigInt64Array(bytes.slice(traj.begin, traj.end).buffer);
      expect(Array.from(t64, Number)).toEqual(Array.from(lv.traj));
      expect(Array.from(bytes.subarray(mask.begin, mask.end))).toEqual(Array.from(lv.mask));
    }
    // Converging rows: at most one chain per row continues through both pairs (3 points).
    expect(expected[0]!.longest).toBeLessThanOrEqual(3);
  });

  it('computes the flow from frames with a RAFT export (--frames --flow-model), as the engine would', async () => {
    const frames = join(dir, 'frames');
    const model = join(dir, 'raft');
    mkdirSync(frames);
    // Uniform colour steps: the tiny RAFT's flow is 48·(b − a)/255 px → x: 48·85/255 = 16 px, y: 48·42/255 ≈ 7.9 px.
    const rgba = (t: number) => {
      const data = new Uint8Array(64 * 64 * 4);
      for (let p = 0; p < 64 * 64; p++) data.set([85 * t, 42 * t, 0, 255], p * 4);
      return data;
    };
    for (let t = 0; t < 3; t++)
      writeFileSync(join(frames, `0000${t}.png`), encodePng({ width: 64, height: 64, data: rgba(t), channels: 4 }));
    writeOnnxFolder(model, { 'raft_large.onnx': tinyRaft(64, 64) });
    const out = join(dir, 'traj-frames.safetensors');
    const r = run('--frames', frames, '--flow-model', model, '--size', '64', '--rng', 'python:5', '-o', out, '--json');
    expect(r.code, r.stderr).toBe(0);

    const data = new Float32Array(2 * 2 * 64 * 64);
    for (let t = 0; t < 2; t++) {
      data.fill(Math.fround((48 * 85) / 255), t * 2 * 4096, t * 2 * 4096 + 4096);
      data.fill(Math.fround((48 * 42) / 255), t * 2 * 4096 + 4096, (t + 1) * 2 * 4096);
    }
    const expected = sampleTrajectories({ pairs: 2, height: 64, width: 64, data }, pythonRandint(5));
    const bytes = new Uint8Array(readFileSync(out));
    const header = parseSafetensors(bytes, out);
    const traj8 = header.tensors.get('traj8')!;
    expect(Array.from(new BigInt64Array(bytes.slice(traj8.begin, traj8.end).buffer), Number)).toEqual(
      Array.from(expected[0]!.traj),
    );
    // At the 8×8 level the translation is round(8·16/64, 8·7.9/64) = (2, 1) cells per frame: tokens that stay inside
    // make 3-point straight lines, so the flow really moved them.
    expect(expected[0]!.longest).toBe(3);
  });

  it('refuses bad input with exit code 2 and a message naming the option', () => {
    const out = join(dir, 'bad.safetensors');
    const wrongSize = run('--flow', flowPath, '--size', '128', '-o', out);
    expect(wrongSize.code).toBe(2);
    expect(wrongSize.stderr).toMatch(/--size 128 does not match the flow's 64x64/);

    const badShape = join(dir, 'bad-shape.safetensors');
    writeFileSync(
      badShape,
      writeSafetensors({ flow: { dtype: 'F32', shape: [2, 3, 8, 8], data: new Float32Array(384) } }),
    );
    const shape = run('--flow', badShape, '-o', out);
    expect(shape.code).toBe(2);
    expect(shape.stderr).toMatch(/expected \[F−1 ≥ 1, 2, H, W\]/);

    const half = run('--frames', dir, '-o', out);
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/needs both --frames <dir> and --flow-model <dir>/);

    const noFrames = run('--frames', dir, '--flow-model', dir, '-o', out);
    expect(noFrames.code).toBe(2);
    expect(noFrames.stderr).toMatch(/holds no PNG\/JPEG frames/);

    const both = run('--flow', flowPath, '--rng', 'python:1', '--seed', '2', '-o', out);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/not both/);
  });
});
