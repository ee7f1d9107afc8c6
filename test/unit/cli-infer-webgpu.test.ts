/**
 * `videograin infer <component> --backend webgpu` (DESIGN §9, issue 11): every network through the app's
 * engine (EngineApi.infer) in headless Chromium (SwiftShader here) on the golden inputs of
 * ../shared/golden/expected, under the CPU backend's tensor names (cli-infer.test.ts), and each output within
 * 1e-3 · max|expected| of the reference (diffusers 0.40, fp32). Builds dist/ (run under the e2e lock).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { readAllFloat32, writeSafetensors, type TensorToWrite } from '../../src/core/tensors/safetensors';
import { describeShared, REPO_DIR, sharedPath } from '../helpers/node/shared';
import { diff, goldenInt64, goldenTensor } from './models-golden';

const dir = mkdtempSync(join(tmpdir(), 'vg-infer-webgpu-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The stated agreement with the reference: max |webgpu − expected| ≤ 1e-3 · max |expected| per output. */
const RELATIVE_TOLERANCE = 1e-3;

const f32 = (file: string, name: string): TensorToWrite => {
  const t = goldenTensor(file, name);
  return { dtype: 'F32', shape: t.shape, data: t.data };
};

function infer(component: string, model: string, inputs: Record<string, TensorToWrite>, ...extra: string[]) {
  const input = join(dir, `${component}.in.safetensors`);
  const output = join(dir, `${component}.out.safetensors`);
  writeFileSync(input, writeSafetensors(inputs));
  const args = ['infer', component, '--model', model, '--inputs', input, '-o', output, '--backend', 'webgpu'];
  const r = spawnSync(process.execPath, ['bin/videograin.mjs', ...args, ...extra], {
    cwd: REPO_DIR,
    encoding: 'utf8',
  });
  return {
    code: r.status,
    log: `${r.stdout}\n${r.stderr}`,
    stderr: r.stderr.split('\n').filter((l) => l.startsWith('videograin infer:')),
    out: r.status === 0 ? readAllFloat32(new Uint8Array(readFileSync(output))) : new Map(),
  };
}

const figures: string[] = [];

/** Compares an output with its golden tensor at the stated tolerance and records the figure. */
function expectClose(
  out: Map<string, { shape: readonly number[]; data: Float32Array }>,
  name: string,
  file: string,
  goldenName: string,
): void {
  const t = out.get(name);
  const d = diff(t && { dims: t.shape, data: t.data }, goldenTensor(file, goldenName));
  figures.push(`${name}: max|Δ| ${d.maxAbs.toExponential(2)} (max|expected| ${d.refMaxAbs.toFixed(3)})`);
  expect(d.refMaxAbs, name).toBeGreaterThan(0);
  expect(d.maxAbs, name).toBeLessThanOrEqual(RELATIVE_TOLERANCE * d.refMaxAbs);
}

describeShared('videograin infer --backend webgpu (tiny-sd, tiny-controlnet, golden inputs)', () => {
  const sd = sharedPath('golden/tiny-sd');
  afterAll(() => {
    if (figures.length > 0) console.log(`infer --backend webgpu vs golden — ${figures.join('; ')}`);
  });

  test('text_encoder: input_ids → last_hidden_state', () => {
    const ids = goldenInt64('clip.safetensors', 'input_ids');
    const r = infer('text_encoder', sd, { input_ids: { dtype: 'I64', shape: ids.dims, data: ids.data } });
    expect(r.code, r.log).toBe(0);
    expect(r.log).toMatch(/GPU adapter: /);
    expectClose(r.out, 'last_hidden_state', 'clip.safetensors', 'last_hidden_state');
  }, 420_000);

  test('unet (0-d int64 timestep, ControlNet residuals) → noise_pred', () => {
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
    const r = infer('unet', sd, tensors);
    expect(r.code, r.log).toBe(0);
    expectClose(r.out, 'noise_pred', 'unet.safetensors', 'noise_pred_controlnet_t981');
  }, 420_000);

  test('controlnet (the ControlNet folder) → 12 down residuals + mid residual', () => {
    const C = 'controlnet.safetensors';
    const r = infer('controlnet', sharedPath('golden/tiny-controlnet'), {
      sample: f32(C, 'sample'),
      timestep: { dtype: 'I64', shape: [], data: BigInt64Array.of(1n) },
      encoder_hidden_states: f32(C, 'encoder_hidden_states'),
      controlnet_cond: f32(C, 'controlnet_cond'),
      conditioning_scale: f32(C, 'conditioning_scale'),
    });
    expect(r.code, r.log).toBe(0);
    for (let i = 0; i < 12; i++) expectClose(r.out, `down_block_res_samples.${i}`, C, `t1.down_block_res_samples.${i}`);
    expectClose(r.out, 'mid_block_res_sample', C, 't1.mid_block_res_sample');
  }, 420_000);

  test('vae_encoder: image → latent_mean, latent_std', () => {
    const V = 'vae.safetensors';
    const r = infer('vae_encoder', sd, { image: f32(V, 'image') });
    expect(r.code, r.log).toBe(0);
    expectClose(r.out, 'latent_mean', V, 'latent_dist.mean');
    expectClose(r.out, 'latent_std', V, 'latent_dist.std');
  }, 420_000);

  test('vae_decoder: latent → image', () => {
    const V = 'vae.safetensors';
    const r = infer('vae_decoder', sd, { latent: f32(V, 'decode_latent') });
    expect(r.code, r.log).toBe(0);
    expectClose(r.out, 'image', V, 'decode_image');
  }, 420_000);

  test("the engine's refusal crosses the headless bridge with its code (unet, --frames 2 for a batch of 2)", () => {
    // The CLI's input checks pass (shapes match the config); the graph builder in the engine worker refuses:
    // worker → page → driver, the code survives both hops (serializeError / deserializeError), as on the CPU.
    const r = infer(
      'unet',
      sd,
      {
        sample: f32('unet.safetensors', 'sample'),
        timestep: { dtype: 'I64', shape: [], data: BigInt64Array.of(1n) },
        encoder_hidden_states: f32('unet.safetensors', 'encoder_hidden_states'),
      },
      '--frames',
      '2',
    );
    expect(r.code, r.log).toBe(1);
    expect(r.stderr, r.log).toHaveLength(1);
    expect(r.stderr[0]).toMatch(/encoder_hidden_states has 2 items.*\(MODEL_CONFIG_INVALID\)$/);
  }, 420_000);

  test("a component's own folder as --model: one line, exit 2, before a browser starts", () => {
    const r = infer('vae_decoder', join(sd, 'vae'), { latent: f32('vae.safetensors', 'decode_latent') });
    expect(r.code, r.log).toBe(2);
    expect(r.stderr, r.log).toHaveLength(1);
    expect(r.stderr[0]).toMatch(/--backend webgpu loads the whole pipeline/);
    expect(r.log).not.toMatch(/GPU adapter/);
  });
});
