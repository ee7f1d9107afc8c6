/**
 * The one catalog of error codes (issue 19). Every `AppError` code is a key here: one naming style
 * (UPPER_SNAKE, domain first), one summary each (what happened; the thrown message adds the specifics and what
 * to do), and who caused it (DESIGN §7):
 * - `user`: bad input the user can fix (a file, a setting, a missing step) → CLI exit 2;
 * - `environment`: the machine, the browser, the model files or a bug → CLI exit 1;
 * - `cancelled`: the user stopped it → CLI exit 130. `CANCELLED` is the only cancellation code, on every thread.
 * Pure data: imported by src, workers and the CLI alike.
 */

export type ErrorCause = 'user' | 'environment' | 'cancelled';

export interface ErrorCodeInfo {
  readonly cause: ErrorCause;
  /** A one-line summary; the thrown message is the specific one. */
  readonly summary: string;
}

export const ERROR_CODES = {
  // The user stopped the work (video, model download, edit).
  CANCELLED: { cause: 'cancelled', summary: 'Cancelled.' },

  // Video files (workers/video).
  NOT_A_VIDEO: { cause: 'user', summary: 'The file is not a video.' },
  NO_VIDEO_STREAM: { cause: 'user', summary: 'The file has no video stream.' },
  UNSUPPORTED_CODEC: { cause: 'user', summary: 'The video codec is not supported.' },
  CORRUPT_FILE: { cause: 'user', summary: 'The file is corrupt or truncated.' },
  TOO_FEW_FRAMES: { cause: 'user', summary: 'The clip has too few frames.' },
  FILE_TOO_LARGE: { cause: 'user', summary: 'The file is too large.' },
  BAD_OPTIONS: { cause: 'user', summary: 'The clip options are out of range.' },
  ENCODE_FAILED: { cause: 'environment', summary: 'Encoding the MP4 failed.' },

  // Project state: a step the user has not done yet.
  NO_CLIP: { cause: 'user', summary: 'Open a clip first.' },
  NO_FRAMES: { cause: 'user', summary: 'Extract the frames first.' },
  NO_RESULT: { cause: 'user', summary: 'Run an edit first.' },
  NO_REGIONS: { cause: 'user', summary: 'The project has no regions.' },
  NO_REGION: { cause: 'user', summary: 'The region does not exist.' },
  BAD_REGION: { cause: 'user', summary: 'The region change is not allowed.' },
  STORAGE: { cause: 'environment', summary: 'The browser storage failed.' },

  // Masks: painting, propagation, import (src/core/masks, src/core/regions).
  MASK_NOTHING_TO_COPY: { cause: 'user', summary: 'The frame has no mask to copy.' },
  TOO_FEW_KEYFRAMES: { cause: 'user', summary: 'Interpolation needs at least two keyframes.' },
  MASK_NO_FILES: { cause: 'user', summary: 'No mask files were given.' },
  MASK_NOT_PNG: { cause: 'user', summary: 'A mask file is not a PNG.' },
  MASK_CORRUPT_PNG: { cause: 'user', summary: 'A mask PNG cannot be decoded.' },
  MASK_BAD_NAME: { cause: 'user', summary: 'A mask file name does not say its frame.' },
  MASK_ZIP_CORRUPT: { cause: 'user', summary: 'The mask ZIP cannot be read.' },
  MASK_ZIP_EMPTY: { cause: 'user', summary: 'The mask ZIP holds no PNG.' },
  MASK_MIXED_LAYOUT: { cause: 'user', summary: 'The mask files mix layouts.' },
  MASK_DUPLICATE_FRAME: { cause: 'user', summary: 'Two mask files are for the same frame.' },
  MASK_UNKNOWN_INDEX: { cause: 'user', summary: 'A palette mask uses an unknown index.' },
  MASK_EMPTY: { cause: 'user', summary: 'The mask files contain no object.' },
  MASK_WRONG_COUNT: { cause: 'user', summary: 'The number of masks does not match the frames.' },
  MASK_WRONG_SIZE: { cause: 'user', summary: 'The mask size does not match the frames.' },
  MASK_DATA_CORRUPT: { cause: 'environment', summary: 'Stored mask data is corrupt.' },
  MASKS_INVALID: { cause: 'user', summary: 'The masks cannot be used for the layout.' },

  // VideoGrain configs (src/core/config): the YAML, its frames and mask folders.
  CONFIG_INVALID: { cause: 'user', summary: 'The VideoGrain config cannot be used.' },

  // Prompts, tokenizer, layout, edit requests.
  TOKENIZER_INVALID: { cause: 'user', summary: 'The tokenizer files are invalid.' },
  TEXT_COND_INVALID: { cause: 'user', summary: 'The prompts cannot be encoded.' },
  LAYOUT_INVALID: { cause: 'user', summary: 'The region layout is invalid.' },
  EDIT_INPUT_INVALID: { cause: 'user', summary: 'The edit request is invalid.' },
  EDIT_NOT_READY: { cause: 'user', summary: 'The project is not ready to edit.' },
  CONDITION_UNAVAILABLE: { cause: 'user', summary: 'The structure condition is not available.' },
  CONDITION_IMAGE_UNREADABLE: { cause: 'user', summary: 'A condition image cannot be read.' },
  FLOW_UNAVAILABLE: { cause: 'user', summary: 'The optical flow for flow-guided attention is not available.' },
  EDIT_BUSY: { cause: 'environment', summary: 'Another edit is running.' },
  EDIT_TOO_LARGE: { cause: 'user', summary: 'The edit needs more GPU memory than the engine may use.' },
  INVERSION_MISMATCH: { cause: 'environment', summary: 'The cached inversion does not fit this edit.' },
  EDIT_DATA_CORRUPT: { cause: 'environment', summary: 'The saved edit result cannot be read.' },
  EDIT_LATENTS_UNAVAILABLE: { cause: 'environment', summary: 'The engine returned no latents.' },

  // Models: sources, downloads, files, architectures (src/core/models, workers/engine).
  MODEL_SOURCE_INVALID: { cause: 'user', summary: 'The model source is not valid.' },
  MODEL_NOT_LOADED: { cause: 'user', summary: 'Load the model first.' },
  MODEL_FILE_NOT_FOUND: { cause: 'environment', summary: 'A model file is missing.' },
  MODEL_NETWORK: { cause: 'environment', summary: 'The model server cannot be reached.' },
  MODEL_HTTP: { cause: 'environment', summary: 'The model server refused the request.' },
  MODEL_QUOTA: { cause: 'environment', summary: 'Not enough browser storage for the model.' },
  MODEL_TRUNCATED: { cause: 'environment', summary: 'A model file is truncated.' },
  MODEL_INTEGRITY: { cause: 'environment', summary: 'A model file differs from what its source announced.' },
  MODEL_HEADER_INVALID: { cause: 'environment', summary: 'A safetensors header is invalid.' },
  MODEL_ARCHITECTURE: { cause: 'environment', summary: 'The model architecture is not supported.' },
  MODEL_CONFIG_INVALID: { cause: 'environment', summary: 'A model config file is invalid.' },
  MODEL_STORAGE: { cause: 'environment', summary: 'The model cache failed.' },
  MODEL_WEIGHTS_MISMATCH: { cause: 'environment', summary: 'The weights do not match the architecture.' },
  SAFETENSORS_INVALID: { cause: 'environment', summary: 'A safetensors file is invalid.' },
  SAFETENSORS_TRUNCATED: { cause: 'environment', summary: 'A safetensors file is shorter than its header says.' },
  SAFETENSORS_NOT_FINITE: { cause: 'environment', summary: 'A safetensors tensor holds NaN or Inf.' },
  INFER_INPUT_INVALID: { cause: 'user', summary: 'The inputs for the network are invalid.' },
  SEGMENT_INPUT_INVALID: { cause: 'user', summary: 'The segment or track request is invalid.' },
  SEGMENT_BUSY: { cause: 'environment', summary: 'Another track is running.' },

  // GPU and kernels.
  GPU_UNAVAILABLE: { cause: 'environment', summary: 'WebGPU is not available.' },
  ATTENTION_TOO_LARGE: { cause: 'environment', summary: "The attention exceeds the adapter's limits." },
  ATTENTION_F16_UNSUPPORTED: { cause: 'environment', summary: 'fp16 attention needs shader-f16.' },
  ATTENTION_UNSUPPORTED: { cause: 'environment', summary: 'The attention core is not supported here.' },
  ATTENTION_BAD_INPUT: { cause: 'environment', summary: 'The attention inputs are inconsistent.' },
  LATENT_TOO_LARGE: { cause: 'environment', summary: "The latents exceed the adapter's limits." },
} as const satisfies Readonly<Record<string, ErrorCodeInfo>>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

/** The cause of a code; unknown codes (and plain errors) are the environment's. */
export function causeOf(code: unknown): ErrorCause {
  return isErrorCode(code) ? ERROR_CODES[code].cause : 'environment';
}

export function isUserCaused(code: unknown): boolean {
  return causeOf(code) === 'user';
}

/** The code of a thrown value (an AppError, or a plain object after a thread hop), if it is in the catalog. */
export function errorCodeOf(error: unknown): ErrorCode | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return isErrorCode(code) ? code : undefined;
}

/** The CLI's exit code for a failure (DESIGN §9): 2 user input, 130 cancelled, 1 anything else. */
export function exitCodeFor(error: unknown): 1 | 2 | 130 {
  const cause = causeOf(errorCodeOf(error));
  return cause === 'user' ? 2 : cause === 'cancelled' ? 130 : 1;
}
