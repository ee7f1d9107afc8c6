/**
 * `videograin edit --backend webgpu`: the EditRequest of ./prepare.ts sent to the engine the UI uses
 * (workers/engine behind src/services/engine-client.ts), in the headless page of a headless session
 * (./engine-page.ts). The request travels as one raw file (src/headless/edit-transfer.ts); errors come back with
 * the protocol's serialization, so their codes decide the exit as on the CPU backend (./errors.ts); the MP4 is
 * encoded in the same session. Ctrl-C cancels the edit in the engine (cancelEdit), then closes the browser.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadClipTokenizer } from '../config/tokenizer-files';
import { encodeMp4InSession } from './encode-mp4';
import { EditCancelledError, engineErrorForCli } from './errors';
import { editEventPrinter } from './events';
import { loadFolderModel, openEnginePage, type EnginePage, type Globals } from './engine-page';
import { compileLayout } from '../../src/core/layout/compile';
import type { EditRequest, EditResultData } from '../../src/core/protocol/edit';
import { AppError, deserializeError } from '../../src/core/protocol/errors';
import { HEADLESS_EDIT_EVENT, HEADLESS_GLOBAL } from '../../src/headless/types';
import { packEditInput, unpackEditOutput, type EditJob } from '../../src/headless/edit-transfer';
import { checkRequest, editInput } from '../../workers/engine/edit/request';

export interface WebGpuEditOptions {
  readonly request: EditRequest;
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
  /** The engine's result (without attention maps: the CLI does not ask for them). */
  readonly result: EditResultData;
  readonly adapter: string;
  readonly mp4Bytes: number;
}

/**
 * The engine's own request checks and layout compile, in Node before a browser starts and models load: a bad
 * request fails in a second with the code the engine would give (EDIT_INPUT_INVALID, LAYOUT_INVALID).
 */
export function preflight(request: EditRequest, tokenizerDir: string): void {
  checkRequest(request);
  const input = editInput(request, loadClipTokenizer(tokenizerDir));
  const layout = compileLayout({
    masks: input.masks,
    tokenizer: input.tokenizer,
    targetPrompt: input.targetPrompt,
    regionPrompts: input.regionPrompts,
    ...(request.settings.modulateAllResolutions ? { modulateAllResolutions: true } : {}),
  });
  const errors = layout.issues.filter((i) => i.severity === 'error');
  if (errors.length > 0) throw new AppError('LAYOUT_INVALID', errors.map((e) => e.message).join('; '));
}

export async function runWebGpuEdit(opts: WebGpuEditOptions): Promise<WebGpuEditResult> {
  const { log } = opts;
  let phase: 'start' | 'edit' | 'other' = 'start';
  let interrupted = false;
  let page: EnginePage | undefined;
  const onSigint = () => {
    if (interrupted || phase !== 'edit') {
      interrupted = true;
      log('interrupted: closing the browser');
      void page?.session.close();
      return;
    }
    interrupted = true;
    log('cancelling the edit… (Ctrl-C again to quit at once)');
    void page?.session.page
      .evaluate((g) => (globalThis as unknown as Globals)[g]!.engine.cancelEdit(), HEADLESS_GLOBAL)
      .catch(() => undefined);
  };
  process.on('SIGINT', onSigint);
  const tmp = mkdtempSync(join(tmpdir(), 'vg-webgpu-'));
  try {
    page = await openEnginePage({
      log,
      expose: { [HEADLESS_EDIT_EVENT]: editEventPrinter(log) },
      ownSigint: true,
      ...(opts.chromium ? { chromium: opts.chromium } : {}),
    });
    phase = 'other';
    if (interrupted) throw new EditCancelledError('edit cancelled');
    const s = page.session;
    log(`model: ${await loadFolderModel(page, { kind: 'sd15', dir: opts.modelDir, tokenizerDir: opts.tokenizerDir })}`);
    if (opts.controlnetDir)
      log(`controlnet: ${await loadFolderModel(page, { kind: 'controlnet', dir: opts.controlnetDir })}`);

    const returnLatents = opts.request.returnLatents ?? false;
    const { job: request, bytes } = packEditInput(opts.request, returnLatents);
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
    if (!outcome.ok) throw engineErrorForCli(deserializeError(outcome.error));
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
    return { result: { ...outcome.result, frames, ...(latents ? { latents } : {}) }, adapter: page.adapter, mp4Bytes };
  } catch (e) {
    if (interrupted) throw new EditCancelledError('edit cancelled');
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
    await page?.session.close().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }
}
