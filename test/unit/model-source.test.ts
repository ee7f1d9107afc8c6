import { createHash } from 'node:crypto';
import { expect, test } from 'vitest';
import { CATALOG, CONTROLNET_REPOS, DEFAULT_SD15_REPO, catalogEntry } from '../../src/core/models/catalog';
import { parseControlNetConfig, parseTextEncoderConfig, parseUNetConfig } from '../../src/core/models/configs';
import { requiredFiles } from '../../src/core/models/files';
import { SD15_CONTROLNET_CONFIG, SD15_UNET_CONFIG } from '../../src/core/models/known-configs';
import { resolveModelFiles } from '../../src/core/models/resolve';
import { Sha256 } from '../../src/core/models/sha256';
import { parseRemoteSource, resolveFileUrl, sourceId } from '../../src/core/models/source';
import { validateSafetensorsFile } from '../../src/core/models/validate';
import { writeSafetensors } from '../../src/core/tensors/safetensors';
import { MemorySource } from '../helpers/memory-source';

test('Hugging Face and base-URL file URLs', () => {
  expect(resolveFileUrl({ kind: 'huggingface', repo: DEFAULT_SD15_REPO }, 'unet/config.json')).toBe(
    'https://huggingface.co/stable-diffusion-v1-5/stable-diffusion-v1-5/resolve/main/unet/config.json',
  );
  expect(
    resolveFileUrl(
      { kind: 'huggingface', repo: 'a/b', revision: 'refs/pr/1', endpoint: 'http://127.0.0.1:5/x/' },
      'c d.json',
    ),
  ).toBe('http://127.0.0.1:5/x/a/b/resolve/refs%2Fpr%2F1/c%20d.json');
  expect(resolveFileUrl({ kind: 'url', baseUrl: 'https://example.org/models/sd15/' }, 'vae/config.json')).toBe(
    'https://example.org/models/sd15/vae/config.json',
  );
  expect(() => resolveFileUrl({ kind: 'url', baseUrl: 'https://e.org' }, '../secret')).toThrow(
    /invalid model file path/,
  );
  expect(() => resolveFileUrl({ kind: 'huggingface', repo: 'not a repo' }, 'x')).toThrow(/not a Hugging Face repo id/);
  expect(sourceId({ kind: 'huggingface', repo: 'a/b' })).toBe('hf:a/b@main');
});

test('parsing what a user types as a source', () => {
  expect(parseRemoteSource('lllyasviel/control_v11p_sd15_canny')).toEqual({
    kind: 'huggingface',
    repo: 'lllyasviel/control_v11p_sd15_canny',
  });
  expect(parseRemoteSource('a/b@v1.0')).toEqual({ kind: 'huggingface', repo: 'a/b', revision: 'v1.0' });
  expect(parseRemoteSource('https://host/m')).toEqual({ kind: 'url', baseUrl: 'https://host/m' });
  expect(parseRemoteSource('/home/me/models/sd15')).toBeNull();
});

test('the catalog names SD1.5 and the three ControlNets once', () => {
  expect(DEFAULT_SD15_REPO).toBe('stable-diffusion-v1-5/stable-diffusion-v1-5');
  expect(CONTROLNET_REPOS).toEqual({
    depth: 'lllyasviel/control_v11f1p_sd15_depth',
    openpose: 'lllyasviel/control_v11p_sd15_openpose',
    canny: 'lllyasviel/control_v11p_sd15_canny',
  });
  expect(CATALOG.map((e) => e.id)).toEqual(['sd15', 'controlnet-depth', 'controlnet-openpose', 'controlnet-canny']);
  expect(catalogEntry('controlnet-canny')?.repo).toBe(CONTROLNET_REPOS.canny);
});

test('required files: fp16 preferred, fp32 first with precision fp32', () => {
  const unet = requiredFiles('sd15').find((r) => r.role === 'unet.weights')!;
  expect(unet.candidates).toEqual([
    'unet/diffusion_pytorch_model.fp16.safetensors',
    'unet/diffusion_pytorch_model.safetensors',
  ]);
  expect(requiredFiles('sd15', 'fp32').find((r) => r.role === 'text_encoder.weights')!.candidates[0]).toBe(
    'text_encoder/model.safetensors',
  );
  expect(requiredFiles('controlnet').map((r) => r.candidates[0])).toEqual([
    'config.json',
    'diffusion_pytorch_model.fp16.safetensors',
  ]);
});

const sdFolder = (extra: Record<string, Uint8Array> = {}) => {
  const b = new Uint8Array(1);
  return {
    'model_index.json': b,
    'unet/config.json': b,
    'unet/diffusion_pytorch_model.safetensors': b,
    'text_encoder/config.json': b,
    'text_encoder/model.fp16.safetensors': b,
    'text_encoder/model.safetensors': b,
    'vae/config.json': b,
    'vae/diffusion_pytorch_model.fp16.safetensors': b,
    'scheduler/scheduler_config.json': b,
    'tokenizer/tokenizer.json': b,
    ...extra,
  };
};

test.each([true, false])(
  'resolving files (listable source: %s): fp32 fallback, tokenizer alternatives',
  async (listable) => {
    const files = await resolveModelFiles(new MemorySource(sdFolder(), 'm', listable), 'sd15');
    const path = (role: string) => files.find((f) => f.role === role)?.path;
    expect(path('unet.weights')).toBe('unet/diffusion_pytorch_model.safetensors');
    expect(path('text_encoder.weights')).toBe('text_encoder/model.fp16.safetensors');
    expect(path('tokenizer.tokenizer.json')).toBe('tokenizer/tokenizer.json');
    const both = await resolveModelFiles(
      new MemorySource(
        sdFolder({ 'tokenizer/vocab.json': new Uint8Array(2), 'tokenizer/merges.txt': new Uint8Array(3) }),
      ),
      'sd15',
    );
    expect(both.filter((f) => f.role.startsWith('tokenizer')).map((f) => f.path)).toEqual([
      'tokenizer/vocab.json',
      'tokenizer/merges.txt',
    ]);
  },
);

test('missing files are all named in one MODEL_FILE_NOT_FOUND', async () => {
  const folder: Record<string, Uint8Array> = sdFolder();
  delete folder['vae/diffusion_pytorch_model.fp16.safetensors'];
  delete folder['tokenizer/tokenizer.json'];
  await expect(resolveModelFiles(new MemorySource(folder), 'sd15')).rejects.toMatchObject({
    code: 'MODEL_FILE_NOT_FOUND',
    message: expect.stringMatching(
      /vae\/diffusion_pytorch_model\.fp16\.safetensors or vae\/diffusion_pytorch_model\.safetensors; tokenizer\/vocab\.json \+ tokenizer\/merges\.txt or tokenizer\/tokenizer\.json/,
    ),
  });
});

test('config checks name the offending field', () => {
  expect(() => parseUNetConfig({ ...SD15_UNET_CONFIG, _class_name: 'UNet3DConditionModel' })).toThrow(
    /unet\/config\.json: "_class_name" = "UNet3DConditionModel" is not supported/,
  );
  expect(() =>
    parseUNetConfig({
      ...SD15_UNET_CONFIG,
      up_block_types: ['UpBlock2D', 'CrossAttnUpBlock2D', 'AttnUpBlock2D', 'CrossAttnUpBlock2D'],
    }),
  ).toThrow(/"up_block_types\[2\]" = "AttnUpBlock2D" is not supported/);
  expect(() => parseUNetConfig({ ...SD15_UNET_CONFIG, addition_embed_type: 'text_time' })).toThrow(
    /addition_embed_type/,
  );
  expect(() => parseControlNetConfig({ ...SD15_CONTROLNET_CONFIG, block_out_channels: [320, -1] })).toThrow(
    expect.objectContaining({ code: 'MODEL_CONFIG_INVALID' }),
  );
  expect(() => parseTextEncoderConfig({ architectures: ['T5EncoderModel'] })).toThrow(/architectures/);
  expect(parseUNetConfig(SD15_UNET_CONFIG).attentionHeads).toBe(8);
});

const f32 = (n: number) => ({ dtype: 'F32' as const, shape: [n], data: new Float32Array(n) });

test('safetensors checks read only the header, and tell truncation from a malformed header', async () => {
  const file = writeSafetensors({ a: f32(1000), b: f32(3000) });
  const src = new MemorySource({ 'w.safetensors': file });
  const header = await validateSafetensorsFile(src, 'w.safetensors', file.byteLength);
  expect(header.tensors.get('b')!.shape).toEqual([3000]);
  expect(src.bytesRead).toBeLessThan(200);

  const cut = file.subarray(0, file.byteLength - 100);
  await expect(validateSafetensorsFile(new MemorySource({ w: cut }), 'w', cut.byteLength)).rejects.toMatchObject({
    code: 'MODEL_TRUNCATED',
    message: expect.stringContaining(`header describes ${file.byteLength} bytes but the file has ${cut.byteLength}`),
  });
  const longer = new Uint8Array(file.byteLength + 8);
  longer.set(file);
  await expect(validateSafetensorsFile(new MemorySource({ w: longer }), 'w', longer.byteLength)).rejects.toMatchObject({
    code: 'MODEL_HEADER_INVALID',
    message: expect.stringContaining('8 bytes after the last tensor'),
  });
  // Overlapping tensors: b claims a's bytes.
  const json = new TextEncoder().encode(
    JSON.stringify({
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
    }),
  );
  const overlap = new Uint8Array(8 + json.byteLength + 16);
  new DataView(overlap.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  overlap.set(json, 8);
  await expect(
    validateSafetensorsFile(new MemorySource({ w: overlap }), 'w', overlap.byteLength),
  ).rejects.toMatchObject({
    code: 'MODEL_HEADER_INVALID',
    message: expect.stringMatching(/gap or overlap/),
  });
});

test('incremental sha256 equals node:crypto for chunked input', () => {
  for (const n of [0, 3, 55, 56, 64, 65, 1000, 70_001]) {
    const data = Uint8Array.from({ length: n }, (_, i) => (i * 131 + 7) & 255);
    const h = new Sha256();
    for (let i = 0; i < n; i += 777) h.update(data.subarray(i, i + 777));
    expect(h.hex()).toBe(createHash('sha256').update(data).digest('hex'));
  }
});
