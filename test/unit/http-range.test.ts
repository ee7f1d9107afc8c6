/**
 * HTTP model sources read by range (issue 12; workers/engine/weights/http-source.ts):
 *  - a ranged read accepts only the range asked for: 206 with that Content-Range, or a 200 as long as the range
 *    when the range is the whole file; a server that ignores Range (200 with the whole file) is refused with
 *    MODEL_HTTP instead of silently sending the whole file for every tensor;
 *  - an in-place source (`inPlace`, the CLI's mounted folders) is not remote: the loader validates it where it
 *    is (no cache is touched), and the engine then reads single tensors by range from the CLI's own server
 *    (cli/headless/server.ts), transferring only headers and the tensors read.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticServer, type StaticServer } from '../../cli/headless/server';
import { parseSafetensors } from '../../src/core/tensors/safetensors';
import { WeightStore } from '../../workers/engine/models/weights';
import { toSource } from '../../workers/engine/models-service';
import { HttpModelSource, type Fetch } from '../../workers/engine/weights/http-source';
import type { OpfsModelCache } from '../../workers/engine/weights/cache';
import { openModel } from '../../workers/engine/weights/load';
import { openSourceFile } from '../../workers/engine/weights/ranges';
import { describeShared, sharedPath } from '../helpers/node/shared';

const FILE = Uint8Array.from({ length: 100 }, (_, i) => i);

/** A fetch that answers every request with `reply(range)` (range parsed from the Range header, if any). */
function fakeFetch(reply: (range: { start: number; end: number } | undefined) => Response): Fetch {
  return (_input, init) => {
    const h = new Headers(init?.headers);
    const m = /^bytes=(\d+)-(\d+)$/.exec(h.get('range') ?? '');
    return Promise.resolve(reply(m ? { start: Number(m[1]), end: Number(m[2]) + 1 } : undefined));
  };
}

const source = (f: Fetch) => new HttpModelSource({ kind: 'url', baseUrl: 'https://models.example/sd' }, f);
const partial = (start: number, end: number, cr = `bytes ${start}-${end - 1}/${FILE.length}`) =>
  new Response(FILE.slice(start, end), {
    status: 206,
    headers: { 'content-range': cr, 'content-length': String(end - start) },
  });
const whole = () => new Response(FILE.slice(), { status: 200, headers: { 'content-length': String(FILE.length) } });

describe('HttpModelSource ranged reads', () => {
  it('206 with the asked Content-Range: exactly those bytes', async () => {
    const s = source(fakeFetch((r) => partial(r!.start, r!.end)));
    expect([...(await s.read('f', { start: 10, end: 14 }))]).toEqual([10, 11, 12, 13]);
  });

  it('200 with the whole file for a partial range: refused (MODEL_HTTP), not sliced', async () => {
    const s = source(fakeFetch(() => whole()));
    await expect(s.read('f', { start: 10, end: 14 })).rejects.toMatchObject({
      code: 'MODEL_HTTP',
      message: expect.stringMatching(/HTTP 200.*must support Range requests/),
    });
  });

  it('200 for a range that is the whole file, of that length: accepted', async () => {
    const s = source(fakeFetch(() => whole()));
    expect((await s.read('f', { start: 0, end: FILE.length })).byteLength).toBe(FILE.length);
  });

  it('206 with another range than asked: refused', async () => {
    const s = source(fakeFetch(() => partial(0, 4)));
    await expect(s.read('f', { start: 10, end: 14 })).rejects.toMatchObject({ code: 'MODEL_HTTP' });
  });

  it('206 without a visible Content-Range (cross-origin, not exposed), of the asked length: accepted', async () => {
    const s = source(fakeFetch((r) => new Response(FILE.slice(r!.start, r!.end), { status: 206 })));
    expect([...(await s.read('f', { start: 10, end: 13 }))]).toEqual([10, 11, 12]);
  });

  it('206 cut short: refused', async () => {
    const s = source(
      fakeFetch(
        () =>
          new Response(FILE.slice(10, 12), {
            status: 206,
            headers: { 'content-range': `bytes 10-13/${FILE.length}` },
          }),
      ),
    );
    await expect(s.read('f', { start: 10, end: 14 })).rejects.toMatchObject({ code: 'MODEL_HTTP' });
  });

  it('a url spec with inPlace is not remote; without it, it is', () => {
    expect(toSource({ type: 'url', baseUrl: 'http://127.0.0.1:1/m/', inPlace: true }).remote).toBe(false);
    expect(toSource({ type: 'url', baseUrl: 'http://127.0.0.1:1/m/' }).remote).toBe(true);
  });
});

describeShared('an in-place source over the CLI server (tiny-sd mounted)', () => {
  let root: string;
  let server: StaticServer;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'vg-range-'));
    server = await startStaticServer(root);
  });
  afterAll(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('loads without the cache, transfers headers only, then reads one tensor by range', async () => {
    const baseUrl = server.mount('sd', sharedPath('golden/tiny-sd'));
    server.mount('sd/tokenizer', sharedPath('models/clip_tokenizer')); // as the CLI mounts --tokenizer
    let transferred = 0;
    const ranged: string[] = [];
    const counting: Fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (new Headers(init?.headers).has('range')) ranged.push(String(input));
      transferred += Number(res.headers.get('content-length') ?? 0) * (init?.method === 'HEAD' ? 0 : 1);
      return res;
    };
    const src = new HttpModelSource({ kind: 'url', baseUrl }, counting, { inPlace: true });
    const noCache = new Proxy({} as OpfsModelCache, {
      get: () => {
        throw new Error('an in-place source must not touch the model cache');
      },
    });
    const model = await openModel(src, noCache, { kind: 'sd15', precision: 'fp16' });
    const unetFile = model.files.get('unet.weights')!;
    expect(unetFile.path).toBe('unet/diffusion_pytorch_model.fp16.safetensors');
    const weightBytes = [...model.files.values()].filter((f) => f.weights).reduce((a, f) => a + f.size, 0);
    expect(transferred).toBeLessThan(weightBytes / 10);

    const before = transferred;
    // As the engine's components read it (components-webgpu.ts modelFilesOf → openSourceFile).
    const reader = await openSourceFile(model.source, unetFile.path, unetFile.size);
    const store = await WeightStore.open(reader, unetFile.path);
    const name = 'conv_in.weight';
    const bytes = await store.get(name).half!.read();
    const disk = new Uint8Array(readFileSync(sharedPath(`golden/tiny-sd/${unetFile.path}`)));
    const info = parseSafetensors(disk).tensors.get(name)!;
    expect(Buffer.from(bytes).equals(Buffer.from(disk.subarray(info.begin, info.end)))).toBe(true);
    // The header (two reads: its length, its JSON) and the one tensor, nothing more.
    const headerBytes = 8 + Number(new DataView(disk.buffer).getBigUint64(0, true));
    expect(transferred - before).toBe(headerBytes + info.end - info.begin);
    expect(ranged.every((u) => u.startsWith(baseUrl))).toBe(true);
  });
});
