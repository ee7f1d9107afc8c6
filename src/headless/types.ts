/**
 * What the headless page (headless.html) offers the CLI's driver on `globalThis.__videograinHeadless`
 * (DESIGN §9). Types only and DOM-free, so the Node side can name them too.
 */
import type { VideoApi } from '../core/protocol/video';
import type { EngineStatus, LoadedModelInfo, ModelSpec } from '../core/protocol/engine';
import type { SerializedError } from '../core/protocol/errors';
import type { EditJob, EditJobOutcome } from './edit-transfer';
import type { InferJob, InferJobOutcome } from './infer-transfer';

/** The video client as the driver sees it (progress arrives through the page's `__videograinProgress`). */
export type HeadlessVideo = Pick<VideoApi, 'probe' | 'extract' | 'encode'>;

/**
 * The engine worker as the driver sees it (src/services/engine-client.ts, started on first use). Results are
 * plain data: Playwright drops an Error's code, so errors come back as `{ ok: false, error }` with the
 * protocol's own serialization (src/core/protocol/errors.ts; the driver calls deserializeError).
 */
export interface HeadlessEngine {
  init(): Promise<EngineStatus>;
  /** Load progress goes to `progress('loading <kind>', fraction)`. */
  loadModel(spec: ModelSpec): Promise<{ ok: true; info: LoadedModelInfo } | { ok: false; error: SerializedError }>;
  /** Runs the edit of `job` (edit-transfer.ts); progress events go to `__videograinEditEvent`. */
  edit(job: EditJob): Promise<EditJobOutcome>;
  cancelEdit(): Promise<void>;
  /** Runs one network of the loaded models on the job's tensors (infer-transfer.ts; EngineApi.infer). */
  infer(job: InferJob): Promise<InferJobOutcome>;
}

export interface HeadlessGlobals {
  readonly video: HeadlessVideo;
  readonly engine: HeadlessEngine;
  /** GET a URL as bytes (the driver's server hands the input file out this way). */
  fetchBytes(url: string): Promise<Uint8Array>;
  /** POST bytes to a URL (the driver's server writes them to the output file). */
  postBytes(url: string, bytes: Uint8Array): Promise<void>;
  /** Reports progress to the driver (a no-op when the driver did not ask for it). */
  progress(stage: string, fraction?: number): void;
}

export const HEADLESS_GLOBAL = '__videograinHeadless';
export const HEADLESS_PROGRESS = '__videograinProgress';
/** The driver's sink for the edit's progress events (EditEvent of kind 'progress', as plain data). */
export const HEADLESS_EDIT_EVENT = '__videograinEditEvent';
