/**
 * The headless page's entry: typed worker clients on `globalThis.__videograinHeadless` for the CLI's
 * driver (cli/headless/). No React, no store: the driver calls these through `page.evaluate`.
 */
import { Comlink } from '../core/protocol/rpc';
import type { EditEvent } from '../core/protocol/edit';
import { AppError, serializeError, type SerializedError } from '../core/protocol/errors';
import { createEngineClient, type EngineClient } from '../services/engine-client';
import { createVideoClient } from '../services/video-client';
import { packEditOutput, unpackEditInput } from './edit-transfer';
import { packInferTensors, unpackInferTensors } from './infer-transfer';
import {
  HEADLESS_EDIT_EVENT,
  HEADLESS_GLOBAL,
  HEADLESS_PROGRESS,
  type HeadlessEngine,
  type HeadlessGlobals,
} from './types';

type ProgressSink = (stage: string, fraction?: number) => void;
type EditEventSink = (event: EditEvent) => void;

const sink = <T>(name: string): T | undefined => (globalThis as unknown as Record<string, T | undefined>)[name];

/** The error as plain data with its code (Playwright would keep only the message of an Error). */
function failure(e: unknown): { ok: false; error: SerializedError } {
  return { ok: false, error: serializeError(e) };
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function postBytes(url: string, bytes: Uint8Array): Promise<void> {
  const res = await fetch(url, { method: 'POST', body: bytes as Uint8Array<ArrayBuffer> });
  if (!res.ok) throw new Error(`POST ${url}: HTTP ${res.status}`);
}

function progress(stage: string, fraction?: number): void {
  void sink<ProgressSink>(HEADLESS_PROGRESS)?.(stage, fraction);
}

/** The engine worker starts on first use: a session that only encodes video never pays for it. */
function createHeadlessEngine(): HeadlessEngine {
  let client: EngineClient | undefined;
  const engine = () => (client ??= createEngineClient());
  return {
    init: () => engine().init(() => undefined),
    async loadModel(spec) {
      try {
        const onProgress = Comlink.proxy((p: { bytes: number; total: number }) =>
          progress(`loading ${spec.kind}`, p.total > 0 ? p.bytes / p.total : undefined),
        );
        return { ok: true, info: await engine().api.loadModel(spec, onProgress) };
      } catch (e) {
        return failure(e);
      }
    },
    async edit(job) {
      try {
        const request = unpackEditInput(job.request, await fetchBytes(job.inputUrl));
        const onEvent = Comlink.proxy((event: EditEvent) => {
          // previews are pictures for the UI; the CLI prints progress only
          if (event.kind === 'progress') void sink<EditEventSink>(HEADLESS_EDIT_EVENT)?.(event);
        });
        const result = await engine().api.edit(request, onEvent);
        if (job.request.returnLatents && !result.latents)
          return failure(new AppError('EDIT_LATENTS_UNAVAILABLE', 'the engine returned no latents'));
        const latents = job.request.returnLatents ? result.latents : undefined;
        await postBytes(job.outputUrl, packEditOutput(result.frames, latents));
        const { frames: _frames, attentionMaps: _maps, latents: _latents, ...summary } = result;
        return { ok: true, result: summary, latents: latents !== undefined };
      } catch (e) {
        return failure(e);
      }
    },
    async cancelEdit() {
      await client?.api.cancelEdit();
    },
    async infer(job) {
      try {
        const inputs = unpackInferTensors(await fetchBytes(job.inputUrl));
        const { outputs } = await engine().api.infer({
          component: job.component,
          inputs,
          ...(job.frames !== undefined ? { frames: job.frames } : {}),
          ...(job.taps ? { taps: true } : {}),
        });
        await postBytes(job.outputUrl, packInferTensors(outputs));
        return { ok: true, outputs: Object.keys(outputs) };
      } catch (e) {
        return failure(e);
      }
    },
  };
}

const headless: HeadlessGlobals = {
  video: createVideoClient(),
  engine: createHeadlessEngine(),
  fetchBytes,
  postBytes,
  progress,
};

(globalThis as unknown as Record<string, HeadlessGlobals>)[HEADLESS_GLOBAL] = headless;
