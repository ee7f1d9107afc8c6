/**
 * The full-size test checkpoint's tensor lists (test/fixtures/full-size-checkpoint.ts) are the ones diffusers
 * and transformers write: for the tiny golden configs they equal the golden files' headers name for name and
 * shape for shape (those files were saved by diffusers/transformers); for the real SD1.5 / ControlNet v1.1
 * configs every graph builder finds every tensor it reads, none is left over, and the parameter counts are
 * the published ones. The streamed writer's output passes the safetensors validator and reads back.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  controlNetTensors,
  floatToHalf,
  safetensorsLayout,
  sd15Tensors,
  writeStreamed,
  type TensorSpec,
} from '../fixtures/full-size-checkpoint';
import {
  SD15_CONTROLNET_CONFIG,
  SD15_TEXT_ENCODER_CONFIG,
  SD15_UNET_CONFIG,
  SD15_VAE_CONFIG,
} from '../../src/core/models/known-configs';
import { halfToFloat, parseSafetensors, readAllFloat32 } from '../../src/core/tensors/safetensors';
import { buildClipText, parseClipArch } from '../../workers/engine/models/clip';
import { buildControlNet, buildUNet } from '../../workers/engine/models/unet';
import { parseUNetArch } from '../../workers/engine/models/unet-config';
import { buildVaeDecoder, buildVaeEncoder, parseVaeArch } from '../../workers/engine/models/vae';
import { WeightStore } from '../../workers/engine/models/weights';
import { describeShared, readShared } from '../helpers/node/shared';
import { config } from './models-golden';

const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

const asMap = (specs: readonly TensorSpec[]) => new Map(specs.map((s) => [s.name, [...s.shape]]));
const headerMap = (rel: string) =>
  new Map([...parseSafetensors(readShared(rel)).tensors.values()].map((t) => [t.name, [...t.shape]]));

/** A store over a header only: building a graph reads names and shapes, never tensor bytes. */
async function headerStore(specs: readonly TensorSpec[], name: string): Promise<WeightStore> {
  const { head, dataBytes } = safetensorsLayout(specs, 'F16');
  const reader = {
    size: head.byteLength + dataBytes,
    read: (s: number, e: number) => {
      if (e > head.byteLength) throw new Error('tensor bytes read while building');
      return Promise.resolve(head.subarray(s, e));
    },
  };
  return WeightStore.open(reader, name);
}

const params = (specs: readonly TensorSpec[]) =>
  specs.filter((s) => s.init.kind !== 'positions').reduce((a, s) => a + s.shape.reduce((x, d) => x * d, 1), 0);

describeShared('full-size checkpoint tensor lists against the tiny goldens (diffusers/transformers-written)', () => {
  it('UNet, text encoder (no prefix, as the tiny file), VAE', () => {
    const t = sd15Tensors(
      {
        unet: config('tiny-sd/unet/config.json'),
        textEncoder: config('tiny-sd/text_encoder/config.json'),
        vae: config('tiny-sd/vae/config.json'),
      },
      { textModelPrefix: false },
    );
    expect(asMap(t.unet)).toEqual(headerMap('golden/tiny-sd/unet/diffusion_pytorch_model.safetensors'));
    expect(asMap(t.textEncoder)).toEqual(headerMap('golden/tiny-sd/text_encoder/model.safetensors'));
    expect(asMap(t.vae)).toEqual(headerMap('golden/tiny-sd/vae/diffusion_pytorch_model.safetensors'));
  });

  it('ControlNet', () => {
    expect(asMap(controlNetTensors(config('tiny-controlnet/config.json')))).toEqual(
      headerMap('golden/tiny-controlnet/diffusion_pytorch_model.safetensors'),
    );
  });
});

describe('full-size checkpoint tensor lists for the real configs', () => {
  const t = sd15Tensors();

  it('have the published parameter counts (UNet, CLIP ViT-L/14 text model, VAE)', () => {
    expect(params(t.unet)).toBe(859_520_964);
    expect(params(t.textEncoder)).toBe(123_060_480);
    expect(params(t.vae)).toBe(83_653_863);
    // ControlNet: its structure is the one checked against the tiny golden above; with the v1.1 config that is:
    expect(params(controlNetTensors())).toBe(361_279_120);
    expect(t.textEncoder.find((s) => s.name === 'text_model.embeddings.position_ids')?.shape).toEqual([1, 77]);
  });

  it('every builder finds every tensor it reads and leaves none', async () => {
    const unet = await headerStore(t.unet, 'unet');
    buildUNet(unet, parseUNetArch(SD15_UNET_CONFIG, 'unet/config.json'), { batch: 1, height: 8, width: 8 });
    expect(unet.unused()).toEqual([]);
    const cn = await headerStore(controlNetTensors(), 'controlnet');
    buildControlNet(cn, parseUNetArch(SD15_CONTROLNET_CONFIG, 'controlnet/config.json'), {
      batch: 1,
      height: 8,
      width: 8,
      frames: 1,
    });
    expect(cn.unused()).toEqual([]);
    const clip = await headerStore(t.textEncoder, 'text_encoder');
    buildClipText(clip, parseClipArch(SD15_TEXT_ENCODER_CONFIG, 'text_encoder/config.json'), { batch: 1 });
    expect(clip.unused()).toEqual(['text_model.embeddings.position_ids']);
    for (const legacy of [false, true]) {
      const vae = await headerStore(sd15Tensors(undefined, { legacyVaeNames: legacy }).vae, 'vae');
      const arch = parseVaeArch(SD15_VAE_CONFIG, 'vae/config.json');
      buildVaeEncoder(vae, arch, { batch: 1, height: 64, width: 64 });
      buildVaeDecoder(vae, arch, { batch: 1, height: 8, width: 8 });
      expect(vae.unused()).toEqual([]);
    }
  });
});

describe('streamed writer', () => {
  it('fp16 conversion rounds to nearest even like the reference', () => {
    for (const x of [0, 1, -2.5, 0.1, 65504, 1e-5, -3e-7, 1 / 3, 2049, 2051])
      expect(halfToFloat(floatToHalf(x))).toBeCloseTo(x, x > 1000 ? -1 : 3);
    expect(floatToHalf(2049)).toBe(0x6800); // 2049 → 2048 (tie to even)
    expect(floatToHalf(2051)).toBe(0x6802); // 2051 → 2052
    expect(floatToHalf(1e9)).toBe(0x7c00);
  });

  it('writes a valid file, deterministically, with finite values scaled by fan-in', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vg-writer-'));
    temps.push(dir);
    const specs: TensorSpec[] = [
      { name: 'b.weight', shape: [64, 32, 3, 3], init: { kind: 'fan-in', fanIn: 32 * 9 } },
      { name: 'a.bias', shape: [64], init: { kind: 'bias' } },
      { name: 'n.weight', shape: [5], init: { kind: 'ones' } },
      { name: 'p', shape: [1, 7], init: { kind: 'positions' } },
    ];
    for (const dtype of ['F16', 'F32'] as const) {
      const path = join(dir, `${dtype}.safetensors`);
      const size = await writeStreamed(path, specs, dtype, 3);
      const bytes = new Uint8Array(readFileSync(path));
      expect(bytes.byteLength).toBe(size);
      const header = parseSafetensors(bytes, path);
      expect([...header.tensors.keys()]).toEqual(['a.bias', 'b.weight', 'n.weight', 'p']);
      expect(header.tensors.get('p')!.dtype).toBe('I64');
      const all = readAllFloat32(bytes);
      expect([...all.get('p')!.data]).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect([...all.get('n.weight')!.data]).toEqual([1, 1, 1, 1, 1]);
      const w = all.get('b.weight')!.data;
      const std = Math.sqrt(w.reduce((a, v) => a + v * v, 0) / w.length);
      expect(std).toBeGreaterThan(0.9 / Math.sqrt(288));
      expect(std).toBeLessThan(1.1 / Math.sqrt(288));
      const again = join(dir, `${dtype}-again.safetensors`);
      await writeStreamed(again, specs, dtype, 3);
      expect(new Uint8Array(readFileSync(again))).toEqual(bytes);
    }
  });
});
