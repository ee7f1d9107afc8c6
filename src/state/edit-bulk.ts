/**
 * Bulk data of the edit outside the reactive store (DESIGN §2): the live preview (x̂0 of one frame at latent
 * resolution), the last result's RGBA frames and its per-region attention maps. The store holds versions
 * (`editRun.previewStep`, `editResult.version`); views read pixels from here when those move.
 */
import type { RegionAttentionMap } from '../core/protocol/edit';

/** The engine's latest preview: one frame's x̂0 RGBA at latent resolution. */
export interface PreviewFrame {
  readonly width: number;
  readonly height: number;
  readonly frame: number;
  readonly rgba: Uint8ClampedArray;
}

export interface ResultFrames {
  readonly width: number;
  readonly height: number;
  readonly frames: readonly Uint8ClampedArray[];
  readonly attentionMaps: readonly RegionAttentionMap[];
}

let preview: PreviewFrame | null = null;
let result: ResultFrames | null = null;
/** The user's condition images for condition 'frames' (RGBA at the frame size); not persisted. */
let conditionFrames: Uint8Array[] = [];

export const editBulk = {
  setPreview(next: PreviewFrame | null): void {
    preview = next;
  },
  preview(): PreviewFrame | null {
    return preview;
  },
  setResult(next: ResultFrames | null): void {
    result = next;
  },
  result(): ResultFrames | null {
    return result;
  },
  setConditionFrames(next: Uint8Array[]): void {
    conditionFrames = next;
  },
  conditionFrames(): readonly Uint8Array[] {
    return conditionFrames;
  },
  clear(): void {
    preview = null;
    result = null;
    conditionFrames = [];
  },
};
