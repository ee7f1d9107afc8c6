/**
 * The edit as the engine API carries it (DESIGN §1 step 4–5, §3): plain, structured-cloneable data shared by
 * the UI's run panel, the engine worker (workers/engine/edit-service.ts) and the CLI's WebGPU backend.
 * Bulk arrays (frames, masks, condition frames, previews, results) cross threads by transfer.
 */

/**
 * Structure conditions (DESIGN §1, §3.7), named as the official configs' `control_type`: 'canny' (computed in
 * the engine), 'frames' (the user's own condition images), and the estimator conditions 'dwpose' / 'openpose'
 * (DWPose keypoints; drawn as ControlNet's draw_pose / OpenPose body), 'depth' (MiDaS DPT-Hybrid) and
 * 'depth_zoe' (ZoeDepth), which need their estimator model loaded (CONDITION_UNAVAILABLE otherwise).
 */
export type ConditionKind = 'none' | 'canny' | 'frames' | 'dwpose' | 'openpose' | 'depth' | 'depth_zoe';

export const CONDITION_KINDS: readonly ConditionKind[] = [
  'none',
  'canny',
  'frames',
  'dwpose',
  'openpose',
  'depth',
  'depth_zoe',
];

/** Canny thresholds when the settings give none (the official canny annotator's 100 / 200). */
export const DEFAULT_CANNY_LOW = 100;
export const DEFAULT_CANNY_HIGH = 200;

/**
 * The structure condition of an edit and its options: `hand` / `face` draw those keypoints (pose kinds, the
 * YAML's `hand` / `face`; default false), `low` / `high` are canny's thresholds (the YAML's
 * `low_threshold` / `high_threshold`; default 100 / 200).
 */
export interface ConditionSettings {
  readonly kind: ConditionKind;
  /** ControlNet conditioning scale. */
  readonly scale: number;
  readonly hand?: boolean;
  readonly face?: boolean;
  readonly low?: number;
  readonly high?: number;
}

/** Everything the run panel sets; persisted per project. Defaults: `DEFAULT_EDIT_SETTINGS`. */
export interface EditSettings {
  /** Denoising steps n (inversion uses the same schedule). */
  readonly steps: number;
  /** Classifier-free guidance scale. */
  readonly guidance: number;
  /** Philox seed of the posterior sample and the blend noise. */
  readonly seed: number;
  readonly negativePrompt: string;
  /** ControlNet condition and its conditioning scale; 'none' runs without the ControlNet. */
  readonly condition: ConditionSettings;
  /** ST-Layout weights w_self, w_cross (reference 0.3, 1.0). */
  readonly wSelf: number;
  readonly wCross: number;
  /** Leading modulated denoising steps; null = the reference round(15·n/50). */
  readonly modulatedSteps: number | null;
  /** DESIGN §3.4–3.5 reference options. */
  readonly selfModulationBranch: 'uncond' | 'cond' | 'both';
  readonly fixSelfSizeReg: boolean;
  readonly modulateAllResolutions: boolean;
  readonly blendWithInversion: boolean;
  /** Start latent: the VAE posterior sample (reference) or its mean. */
  readonly encodeWith: 'sample' | 'mean';
  /**
   * CFG halves one UNet/ControlNet call each (default 'sequential': half the activation memory) or both in one
   * batch (fewer calls, twice the activations; the memory plan checks either).
   */
  readonly cfgBatch?: 'sequential' | 'batched';
  /**
   * FLATTEN flow-guided attention (DESIGN §3.6): `resolutions` are the official `flatten_res` latent-size
   * divisors (1 → the UNet's full-resolution H/8 level, 2 → H/16, 4 → H/32); `oldQk` = the official `old_qk`
   * (Q, K from the self-attention's to_q/to_k instead of its output). Needs `EditRequest.flows`.
   * null/absent = off (the default until a flow source exists).
   */
  readonly flatten?: FlattenSettings | null;
}

/** DESIGN §3.6 flow attention settings (the official config's `flatten_res` and `old_qk`). */
export interface FlattenSettings {
  readonly resolutions: readonly number[];
  readonly oldQk: boolean;
}

/** Forward optical flow between consecutive frames, in pixels at the edit size (DESIGN §3.6). */
export interface EditFlows {
  /** [F − 1, 2, H, W]: channel 0 = x (width) displacement, 1 = y (height), as torchvision RAFT. */
  readonly dims: readonly [number, number, number, number];
  readonly data: Float32Array;
}

export const DEFAULT_EDIT_SETTINGS: EditSettings = {
  steps: 50,
  guidance: 7.5,
  seed: 0,
  negativePrompt: '',
  condition: { kind: 'canny', scale: 1.0 },
  wSelf: 0.3,
  wCross: 1.0,
  modulatedSteps: null,
  selfModulationBranch: 'uncond',
  fixSelfSizeReg: false,
  modulateAllResolutions: false,
  blendWithInversion: false,
  flatten: null,
  encodeWith: 'sample',
};

/** One region of the edit, in the order of the layout (bit r = region r). */
export interface EditRegion {
  readonly name: string;
  readonly prompt: string;
  /** One mask per frame, width·height bytes, non-zero = inside. */
  readonly masks: readonly Uint8Array[];
}

export interface EditRequest {
  /** Frame size; multiples of 64. */
  readonly width: number;
  readonly height: number;
  /** RGBA, width·height·4 bytes each (the extracted, cropped frames). */
  readonly frames: readonly Uint8Array[];
  readonly sourcePrompt: string;
  readonly targetPrompt: string;
  readonly regions: readonly EditRegion[];
  readonly settings: EditSettings;
  /** condition.kind 'frames': the user's condition images, RGBA like `frames`. */
  readonly conditionFrames?: readonly Uint8Array[];
  /** Also return per-region cross-attention maps of the last denoising step. */
  readonly attentionMaps?: boolean;
  /** Also return the edit's latents (`EditResultData.latents`; the CLI's --save-latents). */
  readonly returnLatents?: boolean;
  /** The frame the live preview shows (default 0; `EngineApi.setEditPreviewFrame` moves it during a run). */
  readonly previewFrame?: number;
  /** Flow for `settings.flatten` (required when it is set); trajectories are computed from it in the engine. */
  readonly flows?: EditFlows;
}

/** `EngineApi.estimateConditions`: a condition's maps for the run panel's preview (and `videograin condition`). */
export interface ConditionMapsRequest {
  readonly kind: Exclude<ConditionKind, 'none'>;
  readonly width: number;
  readonly height: number;
  /** RGBA at the edit size (the cropped frames), width·height·4 bytes each. */
  readonly frames: readonly Uint8Array[];
  /** hand / face (pose), low / high (canny); absent = the defaults. */
  readonly options?: Omit<ConditionSettings, 'kind' | 'scale'>;
  /** kind 'frames': the user's condition images (returned as the ControlNet will read them). */
  readonly conditionFrames?: readonly Uint8Array[];
}

export interface ConditionMapsResult {
  /** One RGBA map per frame (width·height·4 bytes), the ControlNet condition × 255. */
  readonly frames: Uint8Array[];
  readonly width: number;
  readonly height: number;
}

export type EditStageName = 'prepare' | 'text' | 'encode' | 'invert' | 'denoise' | 'decode';

export type EditEvent =
  | {
      readonly kind: 'progress';
      readonly stage: EditStageName;
      readonly step: number;
      readonly total: number;
      /** Seconds left for the whole edit, from the measured step times; null before the first step. */
      readonly etaSeconds: number | null;
      /** True once the engine knows it reuses a cached inversion (inversion and encode are skipped). */
      readonly inversionReused: boolean;
    }
  | {
      readonly kind: 'preview';
      /** Denoising step just finished (1-based) of `total`. */
      readonly step: number;
      readonly total: number;
      /** Latent resolution (H/8 × W/8). */
      readonly width: number;
      readonly height: number;
      /** Which frame `rgba` shows. */
      readonly frame: number;
      /**
       * RGBA of that frame's predicted clean latent x̂0 (src/core/latents/preview.ts): the only values an edit
       * reads back per step (DESIGN §6), at most one preview per `previewIntervalMs` (first and last steps always).
       */
      readonly rgba: Uint8ClampedArray;
    };

/** Bytes moved between the CPU and the GPU in one stage of an edit (zero on the CPU backend). */
export interface StageTransfers {
  readonly uploadBytes: number;
  readonly readbackBytes: number;
}

/** Cross-attention of a region's prompt tokens, cond half, averaged over heads and layers, normalized to [0, 1]. */
export interface RegionAttentionMap {
  readonly region: number;
  readonly frames: number;
  /** Attention resolution (H/32 × W/32 for the reference layout). */
  readonly width: number;
  readonly height: number;
  /** [frames, height, width]. */
  readonly data: Float32Array;
}

export interface EditResultData {
  readonly width: number;
  readonly height: number;
  /** Edited RGBA frames, like the request's. */
  readonly frames: Uint8ClampedArray[];
  /** Inversion cache key (src/core/pipeline/inversion-key.ts). */
  readonly inversionKey: string;
  readonly inversionReused: boolean;
  /** Calls of the UNet component this edit made (inversion + denoising); a re-edit makes only denoising's. */
  readonly unetCalls: number;
  /** Milliseconds per stage. */
  readonly timings: Readonly<Partial<Record<EditStageName, number>>>;
  readonly attentionMaps?: readonly RegionAttentionMap[];
  /**
   * With `returnLatents`: each [F, 4, H/8, W/8], scaled by the VAE factor. z0 = the start latent the inversion
   * started from (posterior sample or mean), xT = the inverted latent denoising starts from, final = the
   * denoised latent that was decoded.
   */
  readonly latents?: { readonly z0: Float32Array; readonly xT: Float32Array; readonly final: Float32Array };
  /** Transfers per stage (engine transfer accounting); previews are counted under `preview`. */
  readonly transfers: Readonly<Partial<Record<EditStageName | 'preview', StageTransfers>>>;
  /**
   * GPU memory of this edit (DESIGN §6; WebGPU engine only): the memory plan's peak for this request
   * (weights + activations, src/core/plan), the buffer tracker's measured high-water mark of live GPU bytes
   * during the edit, and the plan's resident weights.
   */
  readonly memory?: {
    readonly planPeakBytes: number;
    readonly measuredPeakBytes: number;
    readonly weightsBytes: number;
  };
}
