/**
 * `videograin edit --flow-model <dir>` (issue 17): the flow of the edit's own frames computed with a RAFT ONNX
 * export in Node (the tiny stand-in, 64×64), for a 2-frame copy of the official run_two_man config (flatten_res
 * [1], old_qk 1) at a 64² draft with the tiny SD model on the cpu backend. The run equals the same edit given that
 * flow as a file (`--flow`): the same latents, so the model's flow is what the edit used. Both options together
 * are refused.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readVideoGrainConfig } from '../../cli/config/videograin-yaml';
import { flowsFromModelFolder } from '../../cli/config/flow-model';
import { prepareEdit } from '../../cli/edit/prepare';
import { readAllFloat32, writeSafetensors } from '../../src/core/tensors/safetensors';
import { writeOnnxFolder } from '../fixtures/onnx-folder';
import { tinyRaft } from '../fixtures/tiny-raft';
import { describeShared, REPO_DIR, sharedPath } from '../helpers/node/shared';

const SIZE = 64;

function edit(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/videograin.mjs', 'edit', ...args], { cwd: REPO_DIR, encoding: 'utf8' });
  return { code: r.status, stderr: r.stderr };
}

describeShared('videograin edit --flow-model (RAFT, 2-frame run_two_man, tiny SD, 64², cpu)', () => {
  let dir: string;
  let config: string;
  let raft: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vg-flow-model-'));
    const clip = sharedPath('clips/run_two_man');
    config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      readFileSync(join(clip, 'config.yaml'), 'utf8')
        .replace('path: "frames"', `path: "${join(clip, 'frames')}"`)
        .replace('layout_mask_dir: "masks"', `layout_mask_dir: "${join(clip, 'masks')}"`)
        .replace('n_sample_frame: 16', 'n_sample_frame: 2'),
    );
    raft = writeOnnxFolder(join(dir, 'raft'), { 'raft_large.onnx': tinyRaft(SIZE, SIZE) });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('computes the flow of the edit’s frames with RAFT: the same latents as that flow given as a file', async () => {
    const common = [
      '--config',
      config,
      '--model',
      sharedPath('golden/tiny-sd'),
      '--size',
      String(SIZE),
      '--steps',
      '2',
    ];
    const fromModel = join(dir, 'model.safetensors');
    const r = edit(...common, '--flow-model', raft, '--save-latents', fromModel, '-o', join(dir, 'model.mp4'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/flow \(RAFT\) 1\/1/);
    expect(r.stderr).toMatch(/flatten \[1\] old_qk 1/);

    // The same frames as the CLI prepares them, their flow by the same runner, written as a --flow file.
    const prepared = prepareEdit({
      config: readVideoGrainConfig(config),
      editIndex: 0,
      size: SIZE,
      modelDir: sharedPath('golden/tiny-sd'),
      controlnet: false,
      seed: 42,
      encodeWith: 'sample',
      flowModel: true,
    });
    const flows = await flowsFromModelFolder(raft, prepared.request.frames, SIZE, SIZE);
    expect(flows.data.some((v) => v !== 0)).toBe(true);
    const flowFile = join(dir, 'flow.safetensors');
    writeFileSync(flowFile, writeSafetensors({ flow: { dtype: 'F32', shape: [...flows.dims], data: flows.data } }));
    const fromFile = join(dir, 'file.safetensors');
    const f = edit(...common, '--flow', flowFile, '--save-latents', fromFile, '-o', join(dir, 'file.mp4'));
    expect(f.code, f.stderr).toBe(0);

    const a = readAllFloat32(new Uint8Array(readFileSync(fromModel))).get('latents')!;
    const b = readAllFloat32(new Uint8Array(readFileSync(fromFile))).get('latents')!;
    expect(a.shape).toEqual([2, 4, SIZE / 8, SIZE / 8]);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  }, 600_000);

  test('--flow and --flow-model together are refused', () => {
    const r = edit(
      '--config',
      config,
      '--model',
      sharedPath('golden/tiny-sd'),
      '--flow',
      'x',
      '--flow-model',
      raft,
      '-o',
      join(dir, 'x.mp4'),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--flow or --flow-model, not both/);
  });
});
