import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { REPO_DIR, describeShared, sharedPath } from '../helpers/node/shared';

function plan(...args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO_DIR, 'bin/videograin.mjs'), 'plan', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  const lines = r.stdout.trim().split('\n');
  return {
    status: r.status,
    stderr: r.stderr,
    lines,
    json: () => JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>,
  };
}

test.each([
  [16, 4],
  [32, 6],
])('plan --frames %i --size 512 --controlnet prints a table and a JSON last line within %i GiB', (frames, gib) => {
  const r = plan('--frames', String(frames), '--size', '512', '--controlnet');
  expect(r.status, r.stderr).toBe(0);
  expect(r.lines.some((l) => l.startsWith('stage'))).toBe(true);
  const j = r.json();
  expect(j.frames).toBe(frames);
  expect(j.size).toBe(512);
  expect(j.precision).toBe('fp16');
  const stages = j.stages as Record<string, number>;
  expect(Object.keys(stages)).toContain('denoise_step');
  expect(j.peakActivationBytes).toBe(Math.max(...Object.values(stages)));
  expect(j.peakBytes).toBe((j.weightsBytes as number) + (j.peakActivationBytes as number));
  expect(j.weightsBytes).toBeGreaterThan(2.8e9);
  expect(j.peakBytes as number).toBeLessThanOrEqual(gib * 2 ** 30);
});

test('--precision fp32 doubles the weights; bad input exits 2 with one line', () => {
  const a = plan('--frames', '8', '--controlnet').json();
  const b = plan('--frames', '8', '--controlnet', '--precision', 'fp32').json();
  expect(b.weightsBytes).toBe(2 * (a.weightsBytes as number));
  for (const bad of [
    ['--size', '512'],
    ['--frames', '8', '--size', '500'],
    ['--frames', '8', '--precision', 'fp8'],
  ]) {
    const r = plan(...bad);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  }
});

describeShared('plan --model reads a local diffusers folder', () => {
  test('tiny golden model with the real tokenizer: configs and weights from the folder', () => {
    // A folder of symlinks: tiny-sd plus the real CLIP tokenizer files (tiny-sd ships none).
    const dir = mkdtempSync(join(tmpdir(), 'vg-plan-'));
    const link = (from: string, to: string) => {
      mkdirSync(join(dir, to, '..'), { recursive: true });
      symlinkSync(sharedPath(from), join(dir, to));
    };
    for (const f of ['model_index.json', 'scheduler/scheduler_config.json']) link(`golden/tiny-sd/${f}`, f);
    for (const c of ['unet', 'vae', 'text_encoder']) link(`golden/tiny-sd/${c}`, `${c}`);
    for (const f of ['vocab.json', 'merges.txt']) link(`models/clip_tokenizer/${f}`, `tokenizer/${f}`);
    try {
      const r = plan(
        '--frames',
        '4',
        '--size',
        '128',
        '--model',
        dir,
        '--controlnet-model',
        sharedPath('golden/tiny-controlnet'),
        '--precision',
        'fp32',
      );
      expect(r.status, r.stderr).toBe(0);
      const j = r.json();
      // Element counts of the tiny models' fp32 headers (see plan.test.ts), × 4 bytes.
      expect(j.params).toEqual({ unet: 3_222_692, textEncoder: 1_600_672, vae: 1_028_935, controlnet: 1_354_632 });
      expect(j.weightsBytes).toBe(4 * (3_222_692 + 1_600_672 + 1_028_935 + 1_354_632));
      expect(j.size).toBe(128);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('tiny golden model without tokenizer files: the missing files are named', () => {
    const r = plan(
      '--frames',
      '4',
      '--size',
      '128',
      '--model',
      sharedPath('golden/tiny-sd'),
      '--controlnet-model',
      sharedPath('golden/tiny-controlnet'),
      '--precision',
      'fp32',
    );
    // tiny-sd has no tokenizer files (README only): the loader names what is missing.
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/tokenizer\/vocab\.json \+ tokenizer\/merges\.txt or tokenizer\/tokenizer\.json/);
  });
});
