/**
 * `videograin edit --backend webgpu`: the edit on the engine the UI uses (workers/engine behind
 * src/services/engine-client.ts), in the headless page of a headless session (cli/headless/). The model
 * folders are mounted read-only on the session's server and loaded as URL sources; the request travels as
 * one raw file (src/headless/edit-transfer.ts); the MP4 is encoded in the same session.
 * Ctrl-C cancels the edit in the engine (cancelEdit), then closes the browser.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CliUsageError } from '../command.ts';
import { progressPrinter } from '../headless/progress.ts';
import { startHeadlessSession, type HeadlessSession } from '../headless/session.ts';
import { encodeMp4InSession } from './encode-mp4.ts';
import type { EditEvent, EditRequest, EditResultData } from '../../src/core/protocol/edit.ts';
import type { ModelKind } from '../../src/core/models/files.ts';
import { HEADLESS_EDIT_EVENT, HEADLESS_GLOBAL, type HeadlessGlobals } from '../../src/headless/types.ts';
import { packEditInput, unpackEditOutput, type EditJob, type LatentName } from '../../src/headless/edit-transfer.ts';

/** Pipeline errors the user caused: one line, exit 2 (as the CPU backend). */
const INPUT_CODES = new Set(['LAYOUT_INVALID', 'EDIT_INPUT_INVALID', 'TOKENIZER_INVALID', 'MASKS_INVALID']);

/** Ctrl-C stopped the edit; the command exits 130. */
export class EditCancelledError extends Error {
  override readonly name = 'EditCancelledError';
}

export interface WebGpuEditOptions {
  readonly request: EditRequest;
  readonly returnLatents: boolean;
  readonly modelDir: string;
  readonly controlnetDir?: string;
  /** Served as the model's tokenizer/ when it is not that folder already (prepare.ts picks it). */
  readonly tokenizerDir: string;
  readonly output: string;
  readonly fps: number;
  readonly crf: number;
  readonly log: (line: string) => void;
  readonly chromium?: string;
}

export interface WebGpuEditResult {
  readonly frames: Uint8ClampedArray[];
  readonly latents?: Record<LatentName, Float32Array>;
  readonly adapter: string;
  readonly mp4Bytes: number;
  readonly summary: Omit<EditResultData, 'frames' | 'attentionMaps' | 'latents'>;
}

type Globals = Record<string, HeadlessGlobals>;

export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '';
  const s = Math.max(0, Math.round(seconds));
  return s < 60 ? ` · ETA ${s} s` : ` · ETA ${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** One line per stage start, then each inversion/denoising step with the engine's ETA. */
export function editEventPrinter(log: (line: string) => void): (e: EditEvent) => void {
  let last = '';
  return (e) => {
    if (e.kind !== 'progress') return;
    const stepped = e.stage === 'invert' || e.stage === 'denoise';
    const line = stepped && e.step > 0 ? `${e.stage} ${e.step}/${e.total}${formatEta(e.etaSeconds)}` : `${e.stage}…`;
    const key = stepped && e.step > 0 ? line.split(' · ')[0]! : e.stage;
    if (key === last) return;
    last = key;
    log(line);
  };
}

async function loadModel(session: HeadlessSession, kind: ModelKind, baseUrl: string, dir: string): Promise<string> {
  const spec = { kind, source: { type: 'url' as const, baseUrl }, precision: 'auto' as const };
  const r = await session.page.evaluate(
    ({ g, spec }) => (globalThis as unknown as Globals)[g]!.engine.loadModel(spec),
    { g: HEADLESS_GLOBAL, spec },
  );
  if (!r.ok) throw new CliUsageError(`${kind === 'sd15' ? 'model' : 'controlnet'} ${dir}: ${firstLine(r.message)}`);
  return `${r.info.precision}, ${r.info.summary}`;
}

const firstLine = (s: string) => s.split('\n')[0]!;

export async function runWebGpuEdit(opts: WebGpuEditOptions): Promise<WebGpuEditResult> {
  const { log } = opts;
  let phase: 'start' | 'edit' | 'other' = 'start';
  let interrupted = false;
  let session: HeadlessSession | undefined;
  const onSigint = () => {
    if (interrupted || phase !== 'edit') {
      interrupted = true;
      log('interrupted: closing the browser');
      void session?.close();
      return;
    }
    interrupted = true;
    log('cancelling the edit… (Ctrl-C again to quit at once)');
    void session?.page
      .evaluate((g) => (globalThis as unknown as Globals)[g]!.engine.cancelEdit(), HEADLESS_GLOBAL)
      .catch(() => undefined);
  };
  process.on('SIGINT', onSigint);
  const tmp = mkdtempSync(join(tmpdir(), 'vg-webgpu-'));
  try {
    session = await startHeadlessSession({
      log,
      onProgress: progressPrinter(log),
      expose: { [HEADLESS_EDIT_EVENT]: editEventPrinter(log) },
      ownSigint: true,
      ...(opts.chromium ? { chromium: opts.chromium } : {}),
    });
    phase = 'other';
    if (interrupted) throw new EditCancelledError('edit cancelled');
    const s = session;
    const status = await s.page.evaluate((g) => (globalThis as unknown as Globals)[g]!.engine.init(), HEADLESS_GLOBAL);
    if (status.state !== 'ready') {
      const why = status.state === 'unavailable' ? `${status.code}: ${status.message}` : status.state;
      throw new Error(`WebGPU is not available in headless Chromium (${firstLine(why)}); use --backend cpu`);
    }
    const adapter = status.adapterLabel;
    log(`GPU adapter: ${adapter}`);

    const modelUrl = s.server.mount('sd', opts.modelDir);
    if (resolve(opts.tokenizerDir) !== resolve(opts.modelDir, 'tokenizer'))
      s.server.mount('sd/tokenizer', opts.tokenizerDir);
    log(`model: ${await loadModel(s, 'sd15', modelUrl, opts.modelDir)}`);
    if (opts.controlnetDir) {
      const url = s.server.mount('controlnet', opts.controlnetDir);
      log(`controlnet: ${await loadModel(s, 'controlnet', url, opts.controlnetDir)}`);
    }

    const { job: request, bytes } = packEditInput(opts.request, opts.returnLatents);
    const inputFile = join(tmp, 'edit-input.bin');
    const outputFile = join(tmp, 'edit-output.bin');
    writeFileSync(inputFile, bytes);
    const out = s.server.addOutput(outputFile);
    const job: EditJob = { inputUrl: s.server.addInput(inputFile), outputUrl: out.url, request };
    phase = 'edit';
    const outcome = await s.page.evaluate(({ g, job }) => (globalThis as unknown as Globals)[g]!.engine.edit(job), {
      g: HEADLESS_GLOBAL,
      job,
    });
    phase = 'other';
    if (!outcome.ok) {
      if (outcome.code === 'CANCELLED') throw new EditCancelledError('edit cancelled');
      if (INPUT_CODES.has(outcome.code)) throw new CliUsageError(firstLine(outcome.message));
      throw new Error(`the edit failed: ${firstLine(outcome.message)} (${outcome.code})`);
    }
    await out.written;
    const t = outcome.result.timings;
    log(
      `edit done: ${Object.entries(t)
        .map(([stage, ms]) => `${stage} ${(ms / 1000).toFixed(1)} s`)
        .join(', ')}`,
    );
    const { frames, latents } = unpackEditOutput(request, new Uint8Array(readFileSync(outputFile)), outcome.latents);
    log('encoding MP4…');
    const mp4Bytes = await encodeMp4InSession(s, {
      frames,
      width: request.width,
      height: request.height,
      fps: opts.fps,
      crf: opts.crf,
      output: opts.output,
      log,
    });
    return { frames, ...(latents ? { latents } : {}), adapter, mp4Bytes, summary: outcome.result };
  } catch (e) {
    if (interrupted) throw new EditCancelledError('edit cancelled');
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
    await session?.close().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }
}
