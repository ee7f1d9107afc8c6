/**
 * The engine in the headless page, as `edit --backend webgpu` and `infer --backend webgpu` use it: start the
 * session, check the adapter, mount local model folders read-only on the session's server and load them as URL
 * sources (the app's model loader). Failures come back with the protocol's serialization (deserializeError).
 */
import { resolve } from 'node:path';
import { CliUsageError } from '../command';
import { progressPrinter } from '../headless/progress';
import { startHeadlessSession, type HeadlessSession, type SessionOptions } from '../headless/session';
import type { ModelKind, WeightsPrecision } from '../../src/core/models/files';
import { deserializeError } from '../../src/core/protocol/errors';
import { HEADLESS_GLOBAL, type HeadlessGlobals } from '../../src/headless/types';
import { firstLine } from './errors';

export type Globals = Record<string, HeadlessGlobals>;

export interface EnginePage {
  readonly session: HeadlessSession;
  /** The WebGPU adapter, for the log. */
  readonly adapter: string;
}

/** Starts a session whose engine has a WebGPU device; else one line naming the cause (exit 1). */
export async function openEnginePage(options: Omit<SessionOptions, 'onProgress'>): Promise<EnginePage> {
  const session = await startHeadlessSession({ ...options, onProgress: progressPrinter(options.log) });
  try {
    const status = await session.page.evaluate(
      (g) => (globalThis as unknown as Globals)[g]!.engine.init(),
      HEADLESS_GLOBAL,
    );
    if (status.state !== 'ready') {
      const why = status.state === 'unavailable' ? `${status.code}: ${status.message}` : status.state;
      throw new Error(`WebGPU is not available in headless Chromium (${firstLine(why)}); use --backend cpu`);
    }
    options.log(`GPU adapter: ${status.adapterLabel}`);
    return { session, adapter: status.adapterLabel };
  } catch (e) {
    await session.close().catch(() => undefined);
    throw e;
  }
}

export interface FolderModel {
  readonly kind: ModelKind;
  readonly dir: string;
  /** sd15: served as the model's tokenizer/ when it is not that folder already. */
  readonly tokenizerDir?: string;
  /** Default 'auto' (fp16 with shader-f16, as the app). */
  readonly precision?: WeightsPrecision | 'auto';
}

/**
 * Mounts and loads a local folder; returns "precision, summary". A folder the engine refuses is the user's
 * (the folder named on the command line): one line with the engine's code, exit 2, as the CPU backend.
 */
export async function loadFolderModel(page: EnginePage, model: FolderModel): Promise<string> {
  const { server } = page.session;
  const mount = model.kind === 'sd15' ? 'sd' : 'controlnet';
  const baseUrl = server.mount(mount, model.dir);
  if (model.tokenizerDir && resolve(model.tokenizerDir) !== resolve(model.dir, 'tokenizer'))
    server.mount(`${mount}/tokenizer`, model.tokenizerDir);
  // Read by range where the server has it (`inPlace`): no copy of the folder into the page's storage per run.
  const spec = {
    kind: model.kind,
    source: { type: 'url' as const, baseUrl, inPlace: true },
    precision: model.precision ?? 'auto',
  };
  const r = await page.session.page.evaluate(
    ({ g, spec }) => (globalThis as unknown as Globals)[g]!.engine.loadModel(spec),
    { g: HEADLESS_GLOBAL, spec },
  );
  if (!r.ok) {
    const e = deserializeError(r.error) as Error & { code?: string };
    const what = model.kind === 'sd15' ? 'model' : 'controlnet';
    throw new CliUsageError(`${what} ${model.dir}: ${firstLine(e.message)}${e.code ? ` (${e.code})` : ''}`);
  }
  return `${r.info.precision}, ${r.info.summary}`;
}
