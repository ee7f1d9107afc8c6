/**
 * What the headless page (headless.html) offers the CLI's driver on `globalThis.__videograinHeadless`
 * (DESIGN §9). Types only and DOM-free, so the Node side can name them too.
 */
import type { VideoApi } from '../core/protocol/video';

/** The video client as the driver sees it (progress arrives through the page's `__videograinProgress`). */
export type HeadlessVideo = Pick<VideoApi, 'probe' | 'extract' | 'encode'>;

export interface HeadlessGlobals {
  readonly video: HeadlessVideo;
  /** GET a URL as bytes (the driver's server hands the input file out this way). */
  fetchBytes(url: string): Promise<Uint8Array>;
  /** POST bytes to a URL (the driver's server writes them to the output file). */
  postBytes(url: string, bytes: Uint8Array): Promise<void>;
  /** Reports progress to the driver (a no-op when the driver did not ask for it). */
  progress(stage: string, fraction?: number): void;
}

export const HEADLESS_GLOBAL = '__videograinHeadless';
export const HEADLESS_PROGRESS = '__videograinProgress';
