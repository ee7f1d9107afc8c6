/**
 * Data of the ST-Layout compiler (DESIGN §3.4–3.5). Everything is flat typed arrays; no (F·h·w)² structure
 * exists anywhere: the self-attention map is R[q,k] = (regionBits[q] & regionBits[k]) ≠ 0 and the
 * cross-attention map is R[q,t] = (regionBits[q] & textTokenBits[t]) ≠ 0, evaluated by the kernels.
 *
 * Conventions
 * - Region r (0-based) is the r-th mask folder of `layout_mask_order` / the r-th region in the UI; bit r of
 *   a bitmask (u32) is region r, so at most 32 regions. Region r's prompt is the official prompts[r + 1].
 * - Token order inside one resolution is frame-major: token n = f·h·w + y·w + x (the official
 *   `"(b f) d c -> b (f d) c"`), F frames, h×w the attention resolution.
 * - Text tokens are the 77 CLIP positions of the target prompt (BOS at 0).
 */

/** Most regions a layout may have: one bit each in a u32. */
export const MAX_REGIONS = 32;

/**
 * Per-region, per-frame binary masks at frame resolution, aligned with the (cropped) frames the edit runs on.
 * `masks[r][f]` is a Uint8Array of `height·width` bytes, row-major; any non-zero byte means "pixel in region
 * r". Every region has exactly `frames` entries. Regions may overlap; a pixel may be in no region.
 */
export interface RegionMaskSet {
  readonly frames: number;
  readonly height: number;
  readonly width: number;
  readonly masks: ReadonlyArray<ReadonlyArray<Uint8Array>>;
}

/** Region bitmasks on one grid of F frames × height × width, frame-major. */
export interface RegionGrid {
  readonly frames: number;
  readonly height: number;
  readonly width: number;
  readonly regionCount: number;
  /** Uint32Array [F·h·w]: bit r set ⇔ the cell is in region r. */
  readonly regionBits: Uint32Array;
}

/** What one modulated UNet resolution needs (DESIGN §3.4). Arrays are indexed by token n = f·h·w + y·w + x. */
export interface ResolutionLayout {
  readonly frames: number;
  readonly height: number;
  readonly width: number;
  /** F·h·w. */
  readonly tokens: number;
  readonly regionCount: number;
  /** Uint32Array [F·h·w]: bit r ⇔ token in region r. Self-attention's R and cross-attention's query bits. */
  readonly regionBits: Uint32Array;
  /**
   * Float32Array [F·h·w]: official self size_reg = 1 − Σ_{r ∋ q} count_r / (F·F·h·w), count_r = region r's
   * token count over all frames (the F² is the official code's quirk). 1 for tokens in no region.
   */
  readonly selfSizeReg: Float32Array;
  /** Float32Array [F·h·w]: the `fixSelfSizeReg` variant, 1 − Σ_{r ∋ q} count_r / (F·h·w). */
  readonly selfSizeRegFixed: Float32Array;
  /** Float32Array [F·h·w]: size_reg_c = 1 − Σ_{r ∋ q} area_r(f(q)) / (h·w), per-frame areas. */
  readonly crossSizeReg: Float32Array;
  /** Uint32Array [R·F]: regionFrameCounts[r·F + f] = tokens of region r in frame f. */
  readonly regionFrameCounts: Uint32Array;
}

/** A region's ownership of target-prompt tokens (DESIGN §3.3, first exact match wins). */
export interface TokenSpan {
  /** First owned position in the 77 target ids (≥ 1). */
  readonly start: number;
  readonly length: number;
}

/**
 * Embedding substitution: positions start..start+length−1 of the target prompt's text-encoder hidden states
 * are replaced by positions 1..length of `regionIds`' encoding (official `cond[0][j:j+wlen] =
 * cond[i][1:1+wlen]`). Apply in the listed order (region order), as the official loop does.
 */
export interface EmbeddingSubstitution {
  readonly region: number;
  readonly start: number;
  readonly length: number;
  /** The region prompt's 77 ids (BOS, words, EOS, padding): encode these with the text encoder. */
  readonly regionIds: Int32Array;
}

/** A token for display: its id and decoded text. */
export interface TokenView {
  readonly position?: number;
  readonly id: number;
  readonly text: string;
}

export type LayoutIssueCode =
  | 'region-prompt-not-found'
  | 'prompt-too-long'
  | 'overlapping-spans'
  | 'more-prompts-than-masks'
  | 'regions-without-prompt'
  | 'too-many-regions'
  | 'region-empty'
  | 'region-empty-on-frames';

/** A validation finding. Errors make a layout unusable for an edit; warnings are shown and allowed. */
export interface LayoutIssue {
  readonly severity: 'error' | 'warning';
  readonly code: LayoutIssueCode;
  /** One line, with the tokens (ids and text) where tokens are the point. */
  readonly message: string;
  readonly region?: number;
}

/** Prompts side of a layout: spans, text-token bits, substitutions. */
export interface PromptLayout {
  /** The target prompt's 77 ids. */
  readonly targetIds: Int32Array;
  /** Per region (mask count): its prompt ('' when it has none) and owned span (null: no prompt or not found). */
  readonly regions: ReadonlyArray<{ readonly prompt: string; readonly span: TokenSpan | null }>;
  /** Uint32Array [77]: bit r ⇔ text token t is owned by region r. */
  readonly textTokenBits: Uint32Array;
  readonly substitutions: readonly EmbeddingSubstitution[];
  readonly issues: readonly LayoutIssue[];
}

/** Everything the engine needs for one edit's ST-Layout attention and latent blending. */
export interface CompiledLayout {
  /** The masks at the latent grid (H/8 × W/8), reduced with OpenCV INTER_NEAREST. */
  readonly latent: RegionGrid;
  /** Uint8Array [F·H/8·W/8]: 1 where some region covers the latent cell (DESIGN §3.5's M). */
  readonly blendMask: Uint8Array;
  /** One per modulated resolution, finest first (H/16, H/32, H/64; H/8 first with modulateAllResolutions). */
  readonly resolutions: readonly ResolutionLayout[];
  readonly prompts: PromptLayout;
  /** Prompt issues followed by mask issues. */
  readonly issues: readonly LayoutIssue[];
}
