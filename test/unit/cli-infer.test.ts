/**
 * `videograin infer` reproduces the golden outputs from golden inputs: each test writes an inputs file from
 * ../shared/golden/expected tensors (diffusers argument names), runs the command, and compares its outputs.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it, vi } from 'vitest';
import { main } from '../../cli/main';
import { readAllFloat32, writeSafetensors, type TensorToWrite } from '../../src/core/tensors/safetensors';
import { REPO_DIR, describeShared, sharedPath } from '../helpers/node/shared';
import { diff, goldenInt64, goldenTensor } from './models-golden';

const dir = mkdtempSync(join(tmpdir(), 'vg-infer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const f32 = (file: string, name: string): TensorToWrite => {
  const t = goldenTensor(file, name);
  return { dtype: 'F32', shape: t.shape, data: t.data };
};

function writeInputs(name: string, tensors: Record<string, TensorToWrite>): string {
  const path = join(dir, `${name}.in.safetensors`);
  writeFileSync(path, writeSafetensors(tensors));
  return path;
}

async function infer(
  args: string[],
): Promise<{ code: number; out: Map<string, { shape: readonly number[]; data: Float32Array }> }> {
  const output = join(dir, `${args[0]}-${Math.random().toString(36).slice(2)}.out.safetensors`);
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    const code = await main(['infer', ...args, '-o', output]);
    return { code, out: code === 0 ? readAllFloat32(new Uint8Array(readFileSync(output))) : new Map() };
  } finally {
    log.mockRestore();
  }
}

const toHost = (t: { shape: readonly number[]; data: Float32Array } | undefined) =>
  t && { dims: t.shape, data: t.data };

describeShared('videograin infer', () => {
  const sd = sharedPath('golden/tiny-sd');

  it('text_encoder: input_ids → last_hidden_state', async () => {
    const ids = goldenInt64('clip.safetensors', 'input_ids');
    const inputs = writeInputs('clip', { input_ids: { dtype: 'I64', shape: ids.dims, data: ids.data } });
    const { code, out } = await infer(['text_encoder', '--model', sd, '--inputs', inputs]);
    expect(code).toBe(0);
    expect(
      diff(toHost(out.get('last_hidden_state')), goldenTensor('clip.safetensors', 'last_hidden_state')).maxAbs,
    ).toBeLessThan(1e-5);
  });

  it('unet (the real binary, 0-d int64 timestep, ControlNet residuals) → noise_pred', async () => {
    const tensors: Record<string, TensorToWrite> = {
      sample: f32('unet.safetensors', 'sample'),
      timestep: { dtype: 'I64', shape: [], data: BigInt64Array.of(981n) },
      encoder_hidden_states: f32('unet.safetensors', 'encoder_hidden_states'),
      mid_block_additional_residual: f32('controlnet.safetensors', 't981.mid_block_res_sample'),
    };
    for (let i = 0; i < 12; i++)
      tensors[`down_block_additional_residuals.${i}`] = f32(
        'controlnet.safetensors',
        `t981.down_block_res_samples.${i}`,
      );
    const inputs = writeInputs('unet', tensors);
    const output = join(dir, 'unet.out.safetensors');
    await promisify(execFile)(
      process.execPath,
      [
        join(REPO_DIR, 'bin/videograin.mjs'),
        'infer',
        'unet',
        '--model',
        sd,
        '--inputs',
        inputs,
        '-o',
        output,
        '--partitioned',
      ],
      { cwd: REPO_DIR },
    );
    const out = readAllFloat32(new Uint8Array(readFileSync(output)));
    expect(
      diff(toHost(out.get('noise_pred')), goldenTensor('unet.safetensors', 'noise_pred_controlnet_t981')).maxAbs,
    ).toBeLessThan(1e-4);
  });

  it('controlnet (folder is the component itself, --taps) → 12 down residuals + mid residual', async () => {
    const C = 'controlnet.safetensors';
    const inputs = writeInputs('cn', {
      sample: f32(C, 'sample'),
      timestep: { dtype: 'I64', shape: [], data: BigInt64Array.of(1n) },
      encoder_hidden_states: f32(C, 'encoder_hidden_states'),
      controlnet_cond: f32(C, 'controlnet_cond'),
      conditioning_scale: f32(C, 'conditioning_scale'),
    });
    const { code, out } = await infer([
      'controlnet',
      '--model',
      sharedPath('golden/tiny-controlnet'),
      '--inputs',
      inputs,
      '--taps',
    ]);
    expect(code).toBe(0);
    // --taps adds module outputs under their diffusers paths, next to the regular outputs.
    expect(out.get('down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q')?.shape).toEqual([2, 256, 32]);
    for (let i = 0; i < 12; i++)
      expect(
        diff(toHost(out.get(`down_block_res_samples.${i}`)), goldenTensor(C, `t1.down_block_res_samples.${i}`)).maxAbs,
      ).toBeLessThan(1e-4);
    expect(
      diff(toHost(out.get('mid_block_res_sample')), goldenTensor(C, 't1.mid_block_res_sample')).maxAbs,
    ).toBeLessThan(1e-4);
  });

  it('vae_encoder: image → latent_mean, latent_std; vae_decoder: latent → image', async () => {
    const V = 'vae.safetensors';
    const enc = await infer(['vae_encoder', '--model', sd, '--inputs', writeInputs('enc', { image: f32(V, 'image') })]);
    expect(enc.code).toBe(0);
    expect(diff(toHost(enc.out.get('latent_mean')), goldenTensor(V, 'latent_dist.mean')).maxAbs).toBeLessThan(1e-4);
    expect(diff(toHost(enc.out.get('latent_std')), goldenTensor(V, 'latent_dist.std')).maxAbs).toBeLessThan(1e-4);
    const dec = await infer([
      'vae_decoder',
      '--model',
      sd,
      '--inputs',
      writeInputs('dec', { latent: f32(V, 'decode_latent') }),
    ]);
    expect(dec.code).toBe(0);
    expect(diff(toHost(dec.out.get('image')), goldenTensor(V, 'decode_image')).maxAbs).toBeLessThan(1e-4);
  });

  it('bad input is one line and exit 2', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const inputs = writeInputs('bad', { image: f32('vae.safetensors', 'image') });
      expect((await infer(['unet', '--model', sd, '--inputs', inputs])).code).toBe(2);
      expect(err.mock.calls.at(-1)?.[0]).toContain('has no tensor "sample"');
      expect((await infer(['unet', '--model', sd, '--inputs', inputs, '--backend', 'webgpu'])).code).toBe(2);
      expect((await infer(['transformer', '--model', sd, '--inputs', inputs])).code).toBe(2);
      expect((await infer(['vae_decoder', '--model', dir, '--inputs', inputs])).code).toBe(2);
    } finally {
      err.mockRestore();
    }
  });
});
