/**
 * Streamed, per-tensor weights (DESIGN §4; workers/engine/models/weights.ts, graph/onnx.ts emitModelAsync):
 * a store opened on a byte-range reader reads the header, then only the ranges of the tensors the emitted
 * network uses, one tensor per read, into that session's own external data; the result is byte-identical to
 * the in-memory path (fp32 and fp16 files, the fp16 widened tensor by tensor); a NaN is refused naming the
 * tensor; a file over 2 GiB (sparse) is read by offset; a ModelSource range that comes back short is an error.
 * Prints the reads and the process memory of a streamed tiny-UNet compile.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { fileRangeReader } from '../../cli/config/file-ranges';
import type { ModelSource } from '../../src/core/models/source';
import { writeSafetensors } from '../../src/core/tensors/safetensors';
import { emitModel, emitModelAsync, type OpGraph } from '../../workers/engine/graph/onnx';
import { lowerStandard } from '../../workers/engine/graph/lower';
import { buildUNet } from '../../workers/engine/models/unet';
import { parseUNetArch } from '../../workers/engine/models/unet-config';
import { buildVaeDecoder, parseVaeArch } from '../../workers/engine/models/vae';
import { memoryReader, WeightStore, type RangeReader } from '../../workers/engine/models/weights';
import { compileWhole } from '../../workers/engine/onnx/runner';
import { createNodeComponents, type ModelFileReader } from '../../workers/engine/pipeline/components-node';
import { sourceRangeReader } from '../../workers/engine/weights/ranges';
import { describeShared, readShared, sharedPath } from '../helpers/node/shared';
import { config } from './models-golden';

const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A reader that records every range asked for. */
function counting(inner: RangeReader): RangeReader & { reads: [number, number][] } {
  const reads: [number, number][] = [];
  return { size: inner.size, reads, read: (s, e) => (reads.push([s, e]), inner.read(s, e)) };
}

const VAE = 'golden/tiny-sd/vae/diffusion_pytorch_model';
const vaeArch = () => parseVaeArch(config('tiny-sd/vae/config.json'), 'vae/config.json');
const decoder = (w: WeightStore): OpGraph =>
  lowerStandard(buildVaeDecoder(w, vaeArch(), { batch: 1, height: 4, width: 4 }));
const EXTERNAL = { kind: 'external', location: 'vae_decoder.bin' } as const;

describeShared('streamed weights', () => {
  for (const suffix of ['', '.fp16'])
    it(`reads only the header and the decoder's tensors, one range each, same bytes as in memory (${suffix || 'fp32'})`, async () => {
      const file = readShared(`${VAE}${suffix}.safetensors`);
      const reader = counting(memoryReader(file));
      const streamed = await WeightStore.open(reader, 'vae.safetensors');
      expect(reader.reads).toEqual([
        [0, 8],
        [8, reader.reads[1]![1]],
      ]);
      const graph = decoder(streamed);
      expect(reader.reads.length).toBe(2); // building reads no tensor data
      const got = await emitModelAsync(graph, EXTERNAL);
      const want = emitModel(decoder(new WeightStore(file, 'vae.safetensors')), EXTERNAL);
      // Buffer.compare: a deep toEqual over megabytes is slow.
      expect(Buffer.compare(got.model, want.model)).toBe(0);
      expect(Buffer.compare(got.external!.data, want.external!.data)).toBe(0);
      expect(got.external!.data.byteLength).toBeGreaterThan(0);
      // One read per decoder tensor, none of the encoder's, each exactly its range.
      const tensorReads = reader.reads.slice(2);
      expect(tensorReads.length).toBe(streamed.used.size);
      expect(
        streamed
          .unused()
          .every((n) => n.startsWith('encoder.') || n === 'quant_conv.weight' || n === 'quant_conv.bias'),
      ).toBe(true);
      const read = tensorReads.reduce((a, [s, e]) => a + e - s, 0);
      console.log(
        `[weights-stream] ${suffix || 'fp32'}: file ${file.byteLength} B, read ${read} B in ${tensorReads.length} tensor reads (+ header), external data ${got.external!.data.byteLength} B`,
      );
      expect(read).toBeLessThan(file.byteLength);
    });

  it('a non-finite weight is refused naming the tensor when its bytes are read', async () => {
    const data = new Float32Array(16).fill(0.5);
    data[3] = NaN;
    const file = writeSafetensors({
      'post_quant_conv.weight': { dtype: 'F32', shape: [4, 4, 1, 1], data },
      'post_quant_conv.bias': { dtype: 'F32', shape: [4], data: new Float32Array(4) },
    });
    const w = await WeightStore.open(memoryReader(file), 'vae/bad.safetensors');
    const t = w.get('post_quant_conv.weight');
    await expect(t.read!()).rejects.toMatchObject({ code: 'SAFETENSORS_NOT_FINITE' });
    await expect(t.read!()).rejects.toThrow(/vae\/bad\.safetensors.*post_quant_conv\.weight/);
    await expect(w.get('post_quant_conv.bias').read!()).resolves.toHaveLength(16);
  });

  it('a tiny UNet compiles from streamed file reads; prints reads and process memory', async () => {
    const path = sharedPath('golden/tiny-sd/unet/diffusion_pytorch_model.fp16.safetensors');
    const reader = counting(await fileRangeReader(path));
    const before = process.memoryUsage();
    const w = await WeightStore.open(reader, 'unet.fp16.safetensors');
    const arch = parseUNetArch(config('tiny-sd/unet/config.json'), 'unet/config.json');
    const net = await compileWhole(buildUNet(w, arch, { batch: 1, height: 8, width: 8 }), {
      placement: { kind: 'external', location: 'unet.bin' },
    });
    const after = process.memoryUsage();
    await net.release();
    const biggest = Math.max(...reader.reads.map(([s, e]) => e - s));
    console.log(
      `[weights-stream] tiny UNet fp16: ${reader.reads.length} reads, largest ${biggest} B of a ${reader.size} B file; rss ${before.rss} → ${after.rss} B, heapUsed ${before.heapUsed} → ${after.heapUsed} B, arrayBuffers ${before.arrayBuffers} → ${after.arrayBuffers} B`,
    );
    expect(w.unused()).toEqual([]);
    expect(biggest).toBeLessThan(reader.size / 4);
  });

  it('Node components with a range-reading folder: weights only by range, same text states as whole files', async () => {
    const whole: string[] = [];
    const ranges: [string, number, number][] = [];
    const dir = (p: string) => sharedPath(`golden/tiny-sd/${p}`);
    const streamed: ModelFileReader = Object.assign(
      (p: string) => {
        whole.push(p);
        return readShared(`golden/tiny-sd/${p}`);
      },
      {
        open: async (p: string) => {
          const r = await fileRangeReader(dir(p));
          return { size: r.size, read: (s: number, e: number) => (ranges.push([p, s, e]), r.read(s, e)) };
        },
      },
    );
    const ids = [Int32Array.from({ length: 77 }, (_, i) => [49406, 320, 1125, 539, 320, 2368][i] ?? 49407)];
    const run = async (sd: ModelFileReader) => {
      const c = createNodeComponents({ sd });
      try {
        const t = await c.encodeText(ids);
        if (t.location !== 'cpu') throw new Error('expected a CPU tensor');
        return t.data.slice();
      } finally {
        await c.release();
      }
    };
    const got = await run(streamed);
    expect(whole.every((p) => p.endsWith('.json'))).toBe(true);
    expect(new Set(ranges.map(([p]) => p))).toEqual(new Set(['text_encoder/model.safetensors']));
    expect(got).toEqual(await run((p) => readShared(`golden/tiny-sd/${p}`)));
  });
});

it('reads by offset past 2 GiB without reading the file (sparse file)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vg-big-'));
  temps.push(dir);
  const big = 2 ** 31 + 64; // bytes of the leading tensor: the tail starts beyond 2 GiB
  const headerJson = JSON.stringify({
    big: { dtype: 'U8', shape: [2, big / 2], data_offsets: [0, big] },
    tail: { dtype: 'F32', shape: [4], data_offsets: [big, big + 16] },
  });
  const padded = headerJson.padEnd(Math.ceil(headerJson.length / 8) * 8, ' ');
  const file = join(dir, 'big.safetensors');
  const fd = openSync(file, 'w');
  try {
    const prefix = new Uint8Array(8);
    new DataView(prefix.buffer).setBigUint64(0, BigInt(padded.length), true);
    writeSync(fd, prefix, 0, 8, 0);
    writeSync(fd, new TextEncoder().encode(padded), 0, padded.length, 8);
    const tailAt = 8 + padded.length + big;
    ftruncateSync(fd, tailAt + 16);
    const tail = Float32Array.of(1.5, -2, 3.25, 4);
    writeSync(fd, new Uint8Array(tail.buffer), 0, 16, tailAt);
  } finally {
    closeSync(fd);
  }
  const reader = counting(await fileRangeReader(file));
  expect(reader.size).toBeGreaterThan(2 ** 31);
  const w = await WeightStore.open(reader, 'big.safetensors');
  const bytes = await w.get('tail', [4]).read!();
  expect([...new Float32Array(bytes.buffer, bytes.byteOffset, 4)]).toEqual([1.5, -2, 3.25, 4]);
  expect(reader.reads.reduce((a, [s, e]) => a + e - s, 0)).toBeLessThan(4096);
});

it('a ModelSource range read (HTTP Range, Blob.slice) that comes back short is an error naming the file', async () => {
  const data = Uint8Array.from({ length: 100 }, (_, i) => i);
  const source = (short: boolean): ModelSource => ({
    id: 'http://models.test/sd',
    remote: true,
    list: () => Promise.resolve(null),
    stat: () => Promise.resolve({ size: 100 }),
    read: (_path, range) => Promise.resolve(data.subarray(range!.start, short ? range!.start + 1 : range!.end)),
  });
  await expect(sourceRangeReader(source(false), 'unet/w.safetensors', 100).read(10, 20)).resolves.toEqual(
    data.subarray(10, 20),
  );
  await expect(sourceRangeReader(source(true), 'unet/w.safetensors', 100).read(10, 20)).rejects.toMatchObject({
    code: 'MODEL_TRUNCATED',
    message: expect.stringContaining('unet/w.safetensors') as unknown,
  });
});
