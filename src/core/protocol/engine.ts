/**
 * The engine worker's typed API (DESIGN §2): one interface used in-thread, behind the worker and by the CLI.
 * Later capabilities (models, edit) extend it here.
 */
import type { GpuCapabilitiesInfo } from './gpu';
import type { ClipTokenizerFiles } from '../tokenizer/clip';
import type { ModelKind, WeightsPrecision } from '../models/files';
import type { ConditionMapsRequest, ConditionMapsResult, EditEvent, EditRequest, EditResultData } from './edit';
import type { SegmentRequest, SegmentResult, TrackEvent, TrackRequest, TrackResult } from './segment';

export type EngineStatus =
  | { readonly state: 'starting' }
  | { readonly state: 'ready'; readonly gpu: GpuCapabilitiesInfo; readonly adapterLabel: string }
  | { readonly state: 'unavailable'; readonly code: string; readonly message: string }
  | { readonly state: 'lost'; readonly reason: string; readonly message: string };

export interface EngineApi {
  /** Acquires the GPU device (once) and reports what it can do; never throws — failures are a status. */
  init(): Promise<EngineStatus>;
  /** Registers a callback (a Comlink proxy across the worker boundary) for device loss. */
  onStatusChange(callback: (status: EngineStatus) => void): void;
  /** Bytes in GPU buffers the engine holds right now (0 when idle): tests check that failed runs free memory. */
  gpuBytesInUse(): Promise<number>;

  /** Downloads (or opens from the cache / a local folder) and validates a model; one load at a time. */
  loadModel(spec: ModelSpec, onProgress?: (p: ModelLoadProgress) => void): Promise<LoadedModelInfo>;
  /** Cancels the load in progress (it rejects with CANCELLED; what arrived stays cached). */
  cancelLoad(): Promise<void>;
  listCachedModels(): Promise<CachedModelInfo[]>;
  /** Deletes one cached source (by `CachedModelInfo.id`) or, without an id, the whole model cache. */
  deleteCachedModels(id?: string): Promise<void>;
  /** The CLIP tokenizer files of the loaded SD1.5 model (MODEL_NOT_LOADED before one is loaded). */
  getTokenizerFiles(): Promise<ClipTokenizerFiles>;

  /**
   * Runs a VideoGrain edit on the loaded models (./edit.ts). One edit at a time (EDIT_BUSY); progress and
   * previews arrive through `onEvent` (a Comlink proxy across the worker). Rejects with CANCELLED after
   * `cancelEdit()`; a failed or cancelled edit frees its GPU memory. A second edit whose inversion key matches
   * a cached inversion skips encode and inversion.
   */
  edit(request: EditRequest, onEvent?: (event: EditEvent) => void): Promise<EditResultData>;
  cancelEdit(): Promise<void>;
  /** Moves the live preview of the running edit (if any) to another frame, from the next preview on. */
  setEditPreviewFrame(frame: number): Promise<void>;
  /** Forgets cached inversions and releases compiled networks (GPU memory back to idle). */
  releaseEditCache(): Promise<void>;
  /**
   * A structure condition's maps (the run panel's preview before Edit; issue 16), computed by the same registry
   * and cache as the edit's (an Edit after a preview reuses them). Estimator conditions use the loaded model
   * (CONDITION_UNAVAILABLE naming the one to load). Rejects with CANCELLED after `cancelEdit()`.
   */
  estimateConditions(request: ConditionMapsRequest): Promise<ConditionMapsResult>;

  /**
   * Runs one network of the loaded models on given tensors (`videograin infer --backend webgpu`; DESIGN §9):
   * the ControlNet from the loaded ControlNet, the others from the loaded SD1.5 model. Compiles, runs once and
   * releases. Tensor names follow the diffusers arguments, as the CPU backend's (see `InferRequest`).
   */
  infer(request: InferRequest): Promise<InferResultData>;

  /**
   * Click to segment (./segment.ts, issue 18) with the loaded segmenter (kind 'sam2' or 'slimsam',
   * see workers/engine/segment/service.ts `pickSegmenter`; MODEL_NOT_LOADED before).
   * The frame's embedding is computed once and cached per (clipKey, frameIndex) within a budget (LRU); another
   * clipKey drops the cache. Bad prompts reject with SEGMENT_INPUT_INVALID.
   */
  segment(request: SegmentRequest): Promise<SegmentResult>;
  /**
   * Tracks an accepted mask through the clip by prompt chaining; per-frame results and progress arrive through
   * `onEvent`. One track at a time (SEGMENT_BUSY); rejects with CANCELLED after `cancelTrack()`.
   */
  track(request: TrackRequest, onEvent?: (event: TrackEvent) => void): Promise<TrackResult>;
  cancelTrack(): Promise<void>;
  /** Drops the cached frame embeddings and closes the segmenter's sessions (they reopen on the next click). */
  releaseSegmenter(): Promise<void>;
}

/** The networks `infer` runs (workers/engine/models/components.ts builds them). */
export const INFER_COMPONENTS = ['text_encoder', 'unet', 'controlnet', 'vae_encoder', 'vae_decoder'] as const;
export type InferComponent = (typeof INFER_COMPONENTS)[number];

/** A tensor as plain data: float32, or int64 (`input_ids`). Row-major, `data.length` = product of `dims`. */
export interface InferTensor {
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array;
}

/**
 * Inputs by diffusers argument name: text_encoder `input_ids` → `last_hidden_state`; unet `sample`,
 * `timestep` [1], `encoder_hidden_states`[, `down_block_additional_residuals.{i}`,
 * `mid_block_additional_residual`] → `noise_pred`; controlnet + `controlnet_cond`, `conditioning_scale` [1] →
 * `down_block_res_samples.{i}`, `mid_block_res_sample`; vae_encoder `image` → `latent_mean`, `latent_std`;
 * vae_decoder `latent` → `image`.
 */
export interface InferRequest {
  readonly component: InferComponent;
  readonly inputs: Readonly<Record<string, InferTensor>>;
  /** UNet: frames per CFG half that self-attention spans jointly (default 1). */
  readonly frames?: number;
  /** UNet/ControlNet: also return every module output under its diffusers module path. */
  readonly taps?: boolean;
}

export interface InferResultData {
  readonly outputs: Readonly<Record<string, { readonly dims: readonly number[]; readonly data: Float32Array }>>;
}

/** A `FileSystemDirectoryHandle`, typed structurally: src/core also compiles without the DOM lib. */
export interface DirectoryHandleLike {
  readonly kind: 'directory';
  readonly name: string;
}

/** Where a model comes from, as plain (structured-cloneable) data. */
export type ModelSourceSpec =
  | { readonly type: 'hf'; readonly repo: string; readonly revision?: string; readonly endpoint?: string }
  | {
      readonly type: 'url';
      readonly baseUrl: string;
      /**
       * Read in place by HTTP Range, never copied into the browser's cache (`remote: false`): a folder this
       * page's own server serves (the CLI's mounts), where a copy per run would only fill storage.
       */
      readonly inPlace?: boolean;
    }
  | { readonly type: 'local'; readonly handle: DirectoryHandleLike }
  | { readonly type: 'local'; readonly files: readonly File[]; readonly name?: string };

export interface ModelSpec {
  readonly kind: ModelKind;
  readonly source: ModelSourceSpec;
  /** 'auto': fp16 when the engine's device has shader-f16, else fp32 (DESIGN §3.1). */
  readonly precision: WeightsPrecision | 'auto';
}

/** Byte progress of a model load: per file and for the whole model (bytes in the cache vs. total). */
export interface ModelLoadProgress {
  readonly phase: 'resolving' | 'downloading' | 'verifying' | 'done';
  readonly file?: string;
  readonly fileBytes: number;
  readonly fileTotal: number;
  /** Bytes in the cache for this model (resumed + downloaded now) and the model's total. */
  readonly bytes: number;
  readonly total: number;
  /** Bytes transferred in this session. */
  readonly downloaded: number;
  readonly bytesPerSecond: number;
  readonly etaSeconds: number | null;
  readonly fromCache: boolean;
}

export interface LoadedModelInfo {
  readonly kind: ModelKind;
  /** Cache key of a remote source (matches `CachedModelInfo.id`), the folder name of a local one. */
  readonly id: string;
  readonly remote: boolean;
  readonly precision: WeightsPrecision;
  readonly bytes: number;
  readonly files: number;
  /** Served from the browser cache with no download. */
  readonly fromCache: boolean;
  /** Architecture summary for display ("UNet 4 blocks, 320–1280 channels"). */
  readonly summary: string;
}

export interface CachedModelInfo {
  readonly id: string;
  readonly bytes: number;
  readonly files: number;
  /** Models whose download completed and passed its checks (by kind and precision). */
  readonly complete: readonly { readonly kind: ModelKind; readonly precision: WeightsPrecision }[];
}
