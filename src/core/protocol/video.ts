/**
 * The video worker's typed API (DESIGN §2): probe, extract, encode on ffmpeg.wasm. Used by the UI client,
 * the CLI's headless page and the tests alike. Frame pixels cross threads by transfer, never by copy.
 */

export interface ProbeResult {
  readonly durationSec: number;
  readonly fps: number;
  /** Coded size, before rotation. */
  readonly width: number;
  readonly height: number;
  /** Display rotation in degrees (0, 90, 180, 270) from the stream's side data / tags. */
  readonly rotation: number;
  readonly codec: string;
  readonly hasAudio: boolean;
  /** Frame count, exact where the container says so, else estimated from duration × fps. */
  readonly frameCount: number;
}

/** How extracted frames are sized (DESIGN §1): square crop (default 512) or aspect kept in multiples of 64. */
export type FrameSizing =
  { readonly mode: 'square'; readonly size: number } | { readonly mode: 'aspect'; readonly shortSide: number };

export interface ExtractOptions {
  /** Index of the first source frame. */
  readonly start: number;
  /** 1–64 frames. */
  readonly frames: number;
  /** Take every `stride`-th source frame (≥ 1). */
  readonly stride: number;
  readonly sizing: FrameSizing;
}

export interface FrameSet {
  readonly width: number;
  readonly height: number;
  /** Source fps divided by the stride: the rate the extracted frames play at. */
  readonly fps: number;
  /** One RGBA buffer of width·height·4 bytes per frame. */
  readonly frames: Uint8Array[];
  /** Source time range covered, for copying audio into the export. */
  readonly startSec: number;
  readonly endSec: number;
}

export interface EncodeOptions {
  readonly fps: number;
  /** x264 CRF, 0–51 (lower is better); default 18. */
  readonly crf?: number;
  /** Copy the source's audio for [startSec, endSec) into the MP4. */
  readonly audio?: { readonly source: Uint8Array; readonly startSec: number; readonly endSec: number };
}

export interface Progress {
  readonly stage: string;
  /** 0..1, or undefined while unknown. */
  readonly fraction?: number;
}

export type ProgressCallback = (p: Progress) => void;

export type VideoErrorCode =
  | 'NOT_A_VIDEO'
  | 'NO_VIDEO_STREAM'
  | 'UNSUPPORTED_CODEC'
  | 'CORRUPT_FILE'
  | 'TOO_FEW_FRAMES'
  | 'FILE_TOO_LARGE'
  | 'BAD_OPTIONS'
  | 'ENCODE_FAILED'
  | 'CANCELLED';

export interface VideoApi {
  /** `source` is the whole file's bytes (the worker keeps its own copy for later calls). */
  probe(source: Uint8Array): Promise<ProbeResult>;
  extract(source: Uint8Array, options: ExtractOptions, onProgress?: ProgressCallback): Promise<FrameSet>;
  encode(frames: FrameSet, options: EncodeOptions, onProgress?: ProgressCallback): Promise<Uint8Array>;
}

/** The largest source file the app accepts (bytes): ffmpeg.wasm holds it in memory. */
export const MAX_SOURCE_BYTES = 1024 * 1024 * 1024;
export const MAX_EXTRACT_FRAMES = 64;
