/**
 * Model downloads into the OPFS cache against the fault-injecting model server (test/helpers/node/model-server.ts,
 * served by this test server on 127.0.0.1): progress, cache hit, resume after a cut, clean restart, stalls,
 * 404, network errors, quota, cancel, hash mismatch, fp32 fallback.
 */
import { afterAll, expect, test } from 'vitest';
import { OpfsModelCache } from '../../workers/engine/weights/cache';
import { downloadModel, type DownloadProgress } from '../../workers/engine/weights/download';
import { HttpModelSource } from '../../workers/engine/weights/http-source';
import { describeShared, fetchShared } from '../helpers/browser/shared';
import { rejection } from '../helpers/browser/rejection';

const cacheRootName = `videograin-models-test-${Math.random().toString(36).slice(2)}`;
const cache = new OpfsModelCache(cacheRootName);
afterAll(() => cache.deleteAll());

const source = (scenario: string, repo: 'tiny-sd' | 'tiny-controlnet' = 'tiny-controlnet') =>
  new HttpModelSource({
    kind: 'huggingface',
    repo: `golden/${repo}`,
    endpoint: `${location.origin}/__model-server/${scenario}`,
  });

interface Stats {
  total: number;
  requests: Record<string, number>;
}
const stats = async (): Promise<Stats> => (await fetch('/__model-server/stats')).json() as Promise<Stats>;
const reset = () => fetch('/__model-server/reset');
const gets = (s: Stats, prefix: string) =>
  Object.entries(s.requests)
    .filter(([k]) => k.startsWith(`GET ${prefix}`))
    .reduce((a, [, v]) => a + v, 0);

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

describeShared('model download (browser cache)', () => {
  test('tiny-sd: streamed with byte progress and ETA, fp16 preferred; a second load is a cache hit with no request', async () => {
    await reset();
    const events: DownloadProgress[] = [];
    const model = await downloadModel(source('ok', 'tiny-sd'), cache, {
      kind: 'sd15',
      onProgress: (p) => events.push(p),
    });
    expect(model.files.get('unet.weights')!.path).toBe('unet/diffusion_pytorch_model.fp16.safetensors');
    expect(model.files.get('text_encoder.weights')!.path).toBe('text_encoder/model.fp16.safetensors');
    expect(model.files.get('tokenizer.vocab.json')!.path).toBe('tokenizer/vocab.json');
    expect(model.headers.get('unet.weights')!.tensors.size).toBeGreaterThan(100);
    expect(model.configs.unet!.blockOutChannels).toEqual([32, 64, 64, 64]);

    const downloading = events.filter((e) => e.phase === 'downloading');
    expect(downloading.length).toBeGreaterThan(3);
    const total = [...model.files.values()].reduce((a, f) => a + f.size, 0);
    for (let i = 1; i < downloading.length; i++)
      expect(downloading[i]!.bytes).toBeGreaterThanOrEqual(downloading[i - 1]!.bytes);
    expect(downloading.every((e) => e.total === total && e.bytes <= total && e.fileBytes <= e.fileTotal)).toBe(true);
    expect(downloading.at(-1)!.bytes).toBe(total);
    expect(downloading.some((e) => e.etaSeconds !== null && e.bytesPerSecond > 0)).toBe(true);
    expect(events.at(-1)!.phase).toBe('done');

    // The cached bytes are the source's bytes.
    const cached = await (
      await cache.source(source('ok', 'tiny-sd').id)
    ).read('unet/diffusion_pytorch_model.fp16.safetensors');
    expect(await sha256Hex(cached)).toBe(
      await sha256Hex(await fetchShared('golden/tiny-sd/unet/diffusion_pytorch_model.fp16.safetensors')),
    );

    const first = await stats();
    expect(first.requests['GET ok/tiny-sd/unet/diffusion_pytorch_model.fp16.safetensors']).toBe(1);
    expect(gets(first, 'ok/tiny-sd/unet/diffusion_pytorch_model.safetensors')).toBe(0);
    await reset();
    const again: DownloadProgress[] = [];
    const hit = await downloadModel(source('ok', 'tiny-sd'), cache, { kind: 'sd15', onProgress: (p) => again.push(p) });
    expect(hit.headers.get('vae.weights')!.tensors.size).toBe(model.headers.get('vae.weights')!.tensors.size);
    expect(again).toHaveLength(1);
    expect(again[0]!.fromCache).toBe(true);
    expect((await stats()).total).toBe(0);
    const listed = await cache.list();
    expect(listed.find((l) => l.sourceId === source('ok', 'tiny-sd').id)!.bytes).toBeGreaterThan(total);
  });

  test('fp16 file missing (404) → the fp32 file is used', async () => {
    const model = await downloadModel(source('no-fp16'), cache, { kind: 'controlnet' });
    expect(model.files.get('controlnet.weights')!.path).toBe('diffusion_pytorch_model.safetensors');
    expect(model.files.get('controlnet.weights')!.size).toBe(5456848);
  });

  test('connection cut mid-file → resumed with a Range request; hash verified', async () => {
    await reset();
    const model = await downloadModel(source('cut-once'), cache, { kind: 'controlnet' });
    expect(model.files.get('controlnet.weights')!.sha256).toMatch(/^[0-9a-f]{64}$/);
    const s = await stats();
    expect(s.requests['GET cut-once/tiny-controlnet/diffusion_pytorch_model.fp16.safetensors']).toBe(2);
    expect(s.requests['RANGE cut-once/tiny-controlnet/diffusion_pytorch_model.fp16.safetensors']).toBe(1);
  });

  test('server ignores Range after a cut → clean restart from byte 0', async () => {
    await reset();
    const events: DownloadProgress[] = [];
    const model = await downloadModel(source('no-range'), cache, {
      kind: 'controlnet',
      onProgress: (p) => events.push(p),
    });
    expect(model.headers.get('controlnet.weights')!.tensors.size).toBeGreaterThan(50);
    expect((await stats()).requests['GET no-range/tiny-controlnet/diffusion_pytorch_model.fp16.safetensors']).toBe(2);
    const last = events.filter((e) => e.phase === 'downloading').at(-1)!;
    expect(last.bytes).toBe(last.total);
  });

  test('server keeps sending fewer bytes than Content-Length → MODEL_TRUNCATED naming the file', async () => {
    const e = await rejection(downloadModel(source('stall'), cache, { kind: 'controlnet', stallAttempts: 2 }));
    expect(e.code).toBe('MODEL_TRUNCATED');
    expect(e.message).toMatch(
      /diffusion_pytorch_model\.fp16\.safetensors is truncated: the server sent \d+ of 2747440 bytes/,
    );
  });

  test('required file missing (404) → MODEL_FILE_NOT_FOUND naming it, before any download', async () => {
    await reset();
    const e = await rejection(downloadModel(source('missing-vae', 'tiny-sd'), cache, { kind: 'sd15' }));
    expect(e.code).toBe('MODEL_FILE_NOT_FOUND');
    expect(e.message).toContain(
      'vae/diffusion_pytorch_model.fp16.safetensors or vae/diffusion_pytorch_model.safetensors',
    );
    expect(gets(await stats(), '')).toBe(0);
  });

  test('unreachable server → MODEL_NETWORK explaining CORS/network', async () => {
    const s = new HttpModelSource({ kind: 'url', baseUrl: 'http://127.0.0.1:9/models' });
    const e = await rejection(downloadModel(s, cache, { kind: 'controlnet' }));
    expect(e.code).toBe('MODEL_NETWORK');
    expect(e.message).toMatch(/CORS/);
  });

  test('not enough storage quota → MODEL_QUOTA before any download', async () => {
    await reset();
    const e = await rejection(
      downloadModel(source('ok-quota'), cache, {
        kind: 'controlnet',
        estimate: async () => ({ quota: 2_000_000, usage: 1_000_000 }),
      }),
    );
    expect(e.code).toBe('MODEL_QUOTA');
    expect(e.message).toMatch(/needs 2\.\d+ MiB more but only 976\.\d KiB/);
    expect(gets(await stats(), '')).toBe(0);
  });

  test('cancel mid-download → CANCELLED; the next load resumes with Range', async () => {
    await reset();
    const abort = new AbortController();
    const e = await rejection(
      downloadModel(source('slow-cancel'), cache, {
        kind: 'controlnet',
        signal: abort.signal,
        onProgress: (p) => {
          if (p.phase === 'downloading' && p.fileBytes > 500_000) abort.abort();
        },
      }),
    );
    expect(e.code).toBe('CANCELLED');
    const partial = await cache.cachedSize(source('slow-cancel').id, 'diffusion_pytorch_model.fp16.safetensors');
    expect(partial).toBeGreaterThan(500_000);
    expect(partial).toBeLessThan(2747440);
    const model = await downloadModel(source('slow-cancel'), cache, { kind: 'controlnet' });
    expect(model.files.get('controlnet.weights')!.size).toBe(2747440);
    expect((await stats()).requests['RANGE slow-cancel/tiny-controlnet/diffusion_pytorch_model.fp16.safetensors']).toBe(
      1,
    );
  });

  test('sha256 differs from the announced one → MODEL_INTEGRITY and the file is dropped', async () => {
    const e = await rejection(downloadModel(source('bad-hash'), cache, { kind: 'controlnet' }));
    expect(e.code).toBe('MODEL_INTEGRITY');
    expect(e.message).toContain('diffusion_pytorch_model.fp16.safetensors is corrupt');
    expect(await cache.cachedSize(source('bad-hash').id, 'diffusion_pytorch_model.fp16.safetensors')).toBe(0);
  });

  test('delete cached models empties the cache', async () => {
    expect((await cache.list()).length).toBeGreaterThan(0);
    await cache.deleteAll();
    expect(await cache.list()).toEqual([]);
  });
});

describeShared('download inside a dedicated worker (the engine case: sync access handles)', () => {
  test('a cut connection resumes and the file is complete', async () => {
    // A module worker that imports the downloader from this dev server, as the engine worker does.
    const code = `
      const { OpfsModelCache } = await import('${location.origin}/workers/engine/weights/cache.ts');
      const { downloadModel } = await import('${location.origin}/workers/engine/weights/download.ts');
      const { HttpModelSource } = await import('${location.origin}/workers/engine/weights/http-source.ts');
      self.onmessage = async ({ data }) => {
        const cache = new OpfsModelCache(data.root);
        const source = new HttpModelSource({ kind: 'huggingface', repo: 'golden/tiny-controlnet', endpoint: data.endpoint });
        try {
          const m = await downloadModel(source, cache, { kind: 'controlnet' });
          const probe = await (await navigator.storage.getDirectory()).getFileHandle('probe-' + data.root, { create: true });
          self.postMessage({ ok: true, sync: typeof probe.createSyncAccessHandle === 'function', tensors: m.headers.get('controlnet.weights').tensors.size, size: await cache.cachedSize(source.id, 'diffusion_pytorch_model.fp16.safetensors') });
          await (await navigator.storage.getDirectory()).removeEntry('probe-' + data.root);
        } catch (e) {
          self.postMessage({ ok: false, code: e.code, message: e.message });
        }
      };
      self.postMessage({ ready: true });`;
    const url = URL.createObjectURL(new Blob([code], { type: 'text/javascript' }));
    const worker = new Worker(url, { type: 'module' });
    try {
      const messages: Record<string, unknown>[] = [];
      const next = () =>
        new Promise<Record<string, unknown>>((resolve, reject) => {
          worker.onmessage = (e) => resolve(e.data as Record<string, unknown>);
          worker.onerror = (e) => reject(new Error(e.message));
        });
      messages.push(await next());
      expect(messages[0]).toEqual({ ready: true });
      await reset();
      const done = next();
      worker.postMessage({
        root: `${cacheRootName}-worker`,
        endpoint: `${location.origin}/__model-server/cut-once-worker`,
      });
      const result = await done;
      expect(result).toMatchObject({ ok: true, sync: true, size: 2747440 });
      expect(result.tensors as number).toBeGreaterThan(50);
      const s = await stats();
      expect(s.requests['RANGE cut-once-worker/tiny-controlnet/diffusion_pytorch_model.fp16.safetensors']).toBe(1);
    } finally {
      worker.terminate();
      URL.revokeObjectURL(url);
      await new OpfsModelCache(`${cacheRootName}-worker`).deleteAll();
    }
  });
});
