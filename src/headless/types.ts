/**
 * What the headless page (headless.html) offers the CLI's driver on `globalThis.__videograinHeadless`
 * (DESIGN §9). Types only and DOM-free, so the Node side can name them too.
 */
import type { VideoApi } from '../core/protocol/video';
import type { EngineStatus, LoadedModelInfo, ModelSpec } from '../core/protocol/engine';
import type { EditJob, EditJobOutcome } from './edit-transfer';

/** The video client as the driver sees it (progress arrives through the page's `__videograinProgress`). */
export type HeadlessVideo = Pick<VideoApi, 'probe' | 'extract' | 'encode'>;

/**
 * The engine worker as the driver sees it (src/services/engine-client.ts, started on first use). Results are
 * plain data: errors come back as `{ ok: false, code, message }` because Playwright drops an Error's code.
 */
export interface HeadlessEngine {
  init(): Promise<EngineStatus>;
  /** Load progress goes to `progress('loading <kind>', fraction)`. */
  loadModel(
    spec: ModelSpec,
  ): Promise<{ ok: true; info: LoadedModelInfo } | { ok: false; code: string; message: string }>;
  /** Runs the edit of `job` (edit-transfer.ts); progress events go to `__videograinEditEvent`. */
  edit(job: EditJob): Promise<EditJobOutcome>;
  cancelEdit(): Promise<void>;
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
