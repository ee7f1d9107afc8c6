/**
 * Checkpoints as published (DESIGN §4): the tiny golden model (../shared/golden/tiny-sd) re-saved here, into a
 * temp folder, under the names diffusers/transformers accept on load, then loaded like a user's folder —
 * resolve + validate (src/core/models), streamed weights (WeightStore.open over file reads) — built and run:
 * - VAE with the deprecated attention block (`query`/`key`/`value`/`proj_attn`), also with 1×1-conv-shaped
 *   [C, C, 1, 1] projection weights;
 * - text encoder with the `text_model.` prefix and a `position_ids` buffer, and without the prefix;
 * - a folder whose weights are only PyTorch `.bin` pickles is refused naming the file.
 * Renaming and reshaping move no bytes, so the network output equals the original's exactly.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { NodeFolderSource, fileRangeReader } from '../../cli/config/file-ranges';
import { resolveModelFiles } from '../../src/core/models/resolve';
import { validateModel } from '../../src/core/models/validate';
import { parseSafetensors, writeSafetensors, type TensorToWrite } from '../../src/core/tensors/safetensors';
import { buildClipText, parseClipArch } from '../../workers/engine/models/clip';
import { buildVaeDecoder, buildVaeEncoder, parseVaeArch } from '../../workers/engine/models/vae';
import { WeightStore } from '../../workers/engine/models/weights';
import { runOnce, type HostTensor } from '../../workers/engine/onnx/runner';
import { describeShared, readShared, sharedPath } from '../helpers/node/shared';
import { config, goldenInt64 } from './models-golden';

const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

const SD_FILES = [
  'model_index.json',
  'scheduler/scheduler_config.json',
  'unet/config.json',
  'unet/diffusion_pytorch_model.safetensors',
  'text_encoder/config.json',
  'text_encoder/model.safetensors',
  'vae/config.json',
  'vae/diffusion_pytorch_model.safetensors',
];

/** A copy of tiny-sd (fp32 files, the real tokenizer) in a temp folder; `replace` rewrites some files. */
function folder(replace: Record<string, Uint8Array | null> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'vg-names-'));
  temps.push(dir);
  const put = (rel: string, bytes: Uint8Array | null, from?: string) => {
    if (bytes === null) return;
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    if (from) copyFileSync(from, join(dir, rel));
    else writeFileSync(join(dir, rel), bytes);
  };
  for (const rel of SD_FILES)
    if (rel in replace) put(rel, replace[rel]!);
    else put(rel, new Uint8Array(), sharedPath(`golden/tiny-sd/${rel}`));
  for (const t of ['vocab.json', 'merges.txt'])
    put(`tokenizer/${t}`, new Uint8Array(), sharedPath(`models/clip_tokenizer/${t}`));
  for (const [rel, bytes] of Object.entries(replace)) if (!SD_FILES.includes(rel)) put(rel, bytes);
  return dir;
}

/** Re-saves an fp32 safetensors file: `rename` gives each tensor's new name and shape (null drops it). */
function resave(
  file: Uint8Array,
  rename: (name: string, shape: readonly number[]) => { name: string; shape: readonly number[] } | null,
  extra: Record<string, TensorToWrite> = {},
): Uint8Array {
  const out: Record<string, TensorToWrite> = { ...extra };
  for (const info of parseSafetensors(file).tensors.values()) {
    const to = rename(info.name, info.shape);
    if (!to) continue;
    expect(info.dtype).toBe('F32');
    out[to.name] = { dtype: 'F32', shape: to.shape, data: new Float32Array(file.slice(info.begin, info.end).buffer) };
  }
  return writeSafetensors(out);
}

/** Loads the folder like the app (resolve + validate), then opens a weights file for streamed reads. */
async function load(dir: string, rel: string): Promise<WeightStore> {
  const source = new NodeFolderSource(dir);
  const model = await validateModel(source, 'sd15', await resolveModelFiles(source, 'sd15', 'fp32'));
  expect([...model.files.values()].map((f) => f.path)).toContain(rel);
  return WeightStore.open(await fileRangeReader(join(dir, rel)), rel);
}

function noise(dims: number[], seed: number): HostTensor {
  const data = new Float32Array(dims.reduce((a, d) => a * d, 1));
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = (s / 2 ** 32) * 2 - 1;
  }
  return { dims, data };
}

const VAE = 'vae/diffusion_pytorch_model.safetensors';
const CLIP = 'text_encoder/model.safetensors';
const DEPRECATED: Record<string, string> = { to_q: 'query', to_k: 'key', to_v: 'value', 'to_out.0': 'proj_attn' };

describeShared('published checkpoint names (tiny-sd re-saved)', () => {
  const vaeArch = () => parseVaeArch(config('tiny-sd/vae/config.json'), 'vae/config.json');
  const clipArch = () => parseClipArch(config('tiny-sd/text_encoder/config.json'), 'text_encoder/config.json');
  const latent = noise([1, 4, 4, 4], 7);
  const image = noise([1, 3, 32, 32], 11);

  async function vaeOutputs(w: WeightStore) {
    const dec = await runOnce(buildVaeDecoder(w, vaeArch(), { batch: 1, height: 4, width: 4 }), { latent });
    const enc = await runOnce(buildVaeEncoder(w, vaeArch(), { batch: 1, height: 32, width: 32 }), { image });
    return { image: dec.get('image')!.data, mean: enc.get('latent_mean')!.data, std: enc.get('latent_std')!.data };
  }

  const deprecatedVae = (conv: boolean) =>
    resave(readShared(`golden/tiny-sd/${VAE}`), (name, shape) => {
      const m = /^(.*mid_block\.attentions\.0)\.(to_q|to_k|to_v|to_out\.0)\.(weight|bias)$/.exec(name);
      if (!m) return { name, shape };
      const renamed = `${m[1]}.${DEPRECATED[m[2]!]}.${m[3]}`;
      return { name: renamed, shape: conv && m[3] === 'weight' ? [...shape, 1, 1] : shape };
    });

  for (const conv of [false, true])
    it(`VAE with query/key/value/proj_attn${conv ? ' and [C, C, 1, 1] weights' : ''}: same output`, async () => {
      const bytes = deprecatedVae(conv);
      const names = [...parseSafetensors(bytes).tensors.keys()];
      expect(names).toContain('decoder.mid_block.attentions.0.proj_attn.weight');
      expect(names.some((n) => n.includes('to_q'))).toBe(false);
      if (conv)
        expect(parseSafetensors(bytes).tensors.get('encoder.mid_block.attentions.0.query.weight')!.shape).toEqual([
          64, 64, 1, 1,
        ]);
      const w = await load(folder({ [VAE]: bytes }), VAE);
      const got = await vaeOutputs(w);
      expect(w.unused()).toEqual([]);
      const want = await vaeOutputs(new WeightStore(readShared(`golden/tiny-sd/${VAE}`), VAE));
      expect(got.image).toEqual(want.image);
      expect(got.mean).toEqual(want.mean);
      expect(got.std).toEqual(want.std);
    });

  const positionIds: TensorToWrite = {
    dtype: 'I64',
    shape: [1, 77],
    data: BigInt64Array.from({ length: 77 }, (_, i) => BigInt(i)),
  };

  for (const prefix of ['text_model.', ''])
    it(`text encoder ${prefix ? 'with' : 'without'} the text_model. prefix, with position_ids: same output`, async () => {
      const bytes = resave(readShared(`golden/tiny-sd/${CLIP}`), (name, shape) => ({ name: prefix + name, shape }), {
        [`${prefix}embeddings.position_ids`]: positionIds,
      });
      const w = await load(folder({ [CLIP]: bytes }), CLIP);
      expect(w.has(`${prefix}embeddings.position_ids`)).toBe(true);
      const input_ids = goldenInt64('clip.safetensors', 'input_ids');
      const run = async (store: WeightStore) =>
        (await runOnce(buildClipText(store, clipArch(), { batch: 4 }), { input_ids })).get('last_hidden_state')!.data;
      const got = await run(w);
      // Every parameter was read; the position_ids buffer is the only tensor left (positions are 0..76 anyway).
      expect(w.unused()).toEqual([`${prefix}embeddings.position_ids`]);
      expect(got).toEqual(await run(new WeightStore(readShared(`golden/tiny-sd/${CLIP}`), CLIP)));
    });

  it('a folder with only PyTorch .bin weights is refused naming the file and what to do', async () => {
    const dir = folder({
      'unet/diffusion_pytorch_model.safetensors': null,
      'unet/diffusion_pytorch_model.bin': new Uint8Array([0x80, 0x02]),
      'text_encoder/model.safetensors': null,
      'text_encoder/pytorch_model.bin': new Uint8Array([0x80, 0x02]),
    });
    const source = new NodeFolderSource(dir);
    const err = await resolveModelFiles(source, 'sd15', 'fp16').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MODEL_FILE_NOT_FOUND' });
    const message = (err as Error).message;
    expect(message).toContain('unet/diffusion_pytorch_model.bin');
    expect(message).toContain('text_encoder/pytorch_model.bin');
    expect(message).toMatch(/safetensors/);
    expect(message).toMatch(/save_pretrained\(.*safe_serialization=True\)/);
  });

  it('a folder missing weights without any .bin keeps the plain missing-file message', async () => {
    const dir = folder({ 'unet/diffusion_pytorch_model.safetensors': null });
    const err = await resolveModelFiles(new NodeFolderSource(dir), 'sd15').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MODEL_FILE_NOT_FOUND' });
    expect((err as Error).message).not.toContain('.bin');
    expect((err as Error).message).toContain(
      'unet/diffusion_pytorch_model.fp16.safetensors or unet/diffusion_pytorch_model.safetensors',
    );
  });
});
