/**
 * Model loading through the REAL engine worker (createEngineClient → Comlink → workers/engine.worker.ts)
 * against the fault-injecting model server (test/helpers/node/model-server.ts): byte progress crosses the
 * worker as a Comlink proxy, a second load is a cache hit with no request, the cache is listed and deleted,
 * error codes (404, cancel) survive the hop, and the tokenizer files of the loaded model give the golden ids.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createEngineClient, type EngineClient } from '../../src/services/engine-client';
import { Comlink } from '../../src/core/protocol/rpc';
import type { ModelLoadProgress, ModelSpec } from '../../src/core/protocol/engine';
import { AppError } from '../../src/core/protocol/errors';
import { createClipTokenizer } from '../../src/core/tokenizer/clip';
import { describeShared, fetchShared } from '../helpers/browser/shared';
import { rejection } from '../helpers/browser/rejection';

interface Stats {
  total: number;
  requests: Record<string, number>;
}
const stats = async (): Promise<Stats> => (await fetch('/__model-server/stats')).json() as Promise<Stats>;
const reset = () => fetch('/__model-server/reset');

const hf = (scenario: string, repo: 'tiny-sd' | 'tiny-controlnet', kind: ModelSpec['kind']): ModelSpec => ({
  kind,
  precision: 'auto',
  source: { type: 'hf', repo: `golden/${repo}`, endpoint: `${location.origin}/__model-server/${scenario}` },
});

describeShared('models through the engine worker', () => {
  let client: EngineClient;
  let shaderF16 = false;

  beforeAll(async () => {
    client = createEngineClient();
    const status = await client.init(() => {});
    shaderF16 = status.state === 'ready' && status.gpu.shaderF16;
    await client.api.deleteCachedModels(); // a clean cache even after an aborted earlier run
  });
  afterAll(async () => {
    await client.api.deleteCachedModels();
    client.terminate();
  });

  test('tiny-sd: byte progress across the worker, auto precision, exact tokenizer; second load from cache with no request', async () => {
    await reset();
    const events: ModelLoadProgress[] = [];
    const info = await client.api.loadModel(
      hf('ok-engine', 'tiny-sd', 'sd15'),
      Comlink.proxy((p: ModelLoadProgress) => void events.push(p)),
    );
    expect(info).toMatchObject({
      kind: 'sd15',
      remote: true,
      fromCache: false,
      id: expect.stringContaining('tiny-sd'),
    });
    expect(info.precision).toBe(shaderF16 ? 'fp16' : 'fp32');
    expect(info.files).toBeGreaterThanOrEqual(10);
    expect(info.summary).toContain('UNet 32/64/64/64');
    // Progress callbacks run on this thread after a hop: wait for the last one.
    await expect.poll(() => events.at(-1)?.phase).toBe('done');
    const downloading = events.filter((e) => e.phase === 'downloading');
    expect(downloading.length).toBeGreaterThan(2);
    expect(downloading.at(-1)!.bytes).toBe(info.bytes);
    expect(downloading.every((e) => e.total === info.bytes && e.bytes <= e.total)).toBe(true);
    const s1 = await stats();
    const unetFile = `unet/diffusion_pytorch_model${info.precision === 'fp16' ? '.fp16' : ''}.safetensors`;
    expect(s1.requests[`GET ok-engine/tiny-sd/${unetFile}`]).toBe(1);

    const tokenizer = createClipTokenizer(await client.api.getTokenizerFiles());
    const golden = JSON.parse(
      new TextDecoder().decode(await fetchShared('models/clip_tokenizer/golden_token_ids.json')),
    ) as { cases: Record<string, number[]> };
    const prompt = 'Iron Man and Spiderman are jogging under cherry blossoms';
    const ids = tokenizer.encode(prompt).ids;
    expect([...ids.slice(0, golden.cases[prompt]!.length)]).toEqual(golden.cases[prompt]);

    await reset();
    const again: ModelLoadProgress[] = [];
    const cached = await client.api.loadModel(
      hf('ok-engine', 'tiny-sd', 'sd15'),
      Comlink.proxy((p: ModelLoadProgress) => void again.push(p)),
    );
    expect(cached).toMatchObject({ id: info.id, fromCache: true, bytes: info.bytes, precision: info.precision });
    expect((await stats()).total).toBe(0);
    await expect.poll(() => again.at(-1)?.fromCache).toBe(true);
  });

  test('ControlNet loads beside SD; the cache lists both with sizes; deleting one source keeps the other', async () => {
    const cn = await client.api.loadModel(hf('ok-engine', 'tiny-controlnet', 'controlnet'));
    expect(cn).toMatchObject({ kind: 'controlnet', files: 2 });
    expect(cn.summary).toContain('ControlNet');
    const list = await client.api.listCachedModels();
    const sd = list.find((m) => m.id.includes('tiny-sd'));
    const net = list.find((m) => m.id === cn.id);
    expect(sd && sd.bytes).toBeGreaterThan(cn.bytes);
    expect(sd!.complete).toEqual([{ kind: 'sd15', precision: shaderF16 ? 'fp16' : 'fp32' }]);
    expect(net).toMatchObject({ files: 2, complete: [{ kind: 'controlnet', precision: cn.precision }] });
    // Cached bytes include the manifests (a few hundred bytes each).
    expect(net!.bytes).toBeGreaterThanOrEqual(cn.bytes);
    expect(net!.bytes).toBeLessThan(cn.bytes + 64 * 1024);

    await client.api.deleteCachedModels(cn.id);
    const after = await client.api.listCachedModels();
    expect(after.map((m) => m.id)).not.toContain(cn.id);
    expect(after.some((m) => m.id.includes('tiny-sd'))).toBe(true);
    // The tokenizer of the loaded SD model is still readable (its source was not deleted).
    await expect(client.api.getTokenizerFiles()).resolves.toBeTruthy();

    await client.api.deleteCachedModels();
    expect(await client.api.listCachedModels()).toEqual([]);
    const gone = await rejection(client.api.getTokenizerFiles());
    expect(gone.code).toBe('MODEL_NOT_LOADED');
  });

  test('a 404 source: MODEL_FILE_NOT_FOUND crosses the worker as an AppError naming the file', async () => {
    const e = await rejection(client.api.loadModel(hf('missing-vae', 'tiny-sd', 'sd15')));
    expect(e).toBeInstanceOf(AppError);
    expect(e.code).toBe('MODEL_FILE_NOT_FOUND');
    expect(e.message).toContain('vae/diffusion_pytorch_model');
    const bad = await rejection(
      client.api.loadModel({ kind: 'sd15', precision: 'fp32', source: { type: 'hf', repo: 'not a repo' } }),
    );
    expect(bad.code).toBe('MODEL_SOURCE_INVALID');
  });

  test('cancel in the middle of a download: CANCELLED, partial bytes stay cached, the next load resumes', async () => {
    await reset();
    const events: ModelLoadProgress[] = [];
    const load = rejection(
      client.api.loadModel(
        hf('slow-engine', 'tiny-sd', 'sd15'),
        Comlink.proxy((p: ModelLoadProgress) => void events.push(p)),
      ),
    );
    // Cancel inside a weights file, so a partial file is left to resume.
    const inWeights = (e: ModelLoadProgress) =>
      e.phase === 'downloading' && !!e.file?.endsWith('.safetensors') && e.fileBytes > 0 && e.fileBytes < e.fileTotal;
    await expect.poll(() => events.some(inWeights), { timeout: 60_000 }).toBe(true);
    await client.api.cancelLoad();
    const e = await load;
    expect(e.code).toBe('CANCELLED');
    const partial = await client.api.listCachedModels();
    const entry = partial.find((m) => m.id.includes('slow-engine'));
    expect(entry?.complete).toEqual([]);
    expect(entry!.bytes).toBeGreaterThan(0);

    await reset();
    const info = await client.api.loadModel(hf('slow-engine', 'tiny-sd', 'sd15'));
    expect(info.fromCache).toBe(false);
    const resumed = (await stats()).requests;
    expect(resumed['GET slow-engine/tiny-sd/model_index.json']).toBeUndefined(); // complete files are kept
    expect(Object.keys(resumed).filter((k) => k.startsWith('RANGE slow-engine/')).length).toBe(1);
  });
});
