/**
 * The EditRequest (src/core/protocol/edit.ts) from what the project holds, the reasons the Edit button is
 * disabled, and a fingerprint of the edit's inputs (a saved result is stale once it moves). Pure: no store,
 * no DOM; unit-tested in Node (test/unit/edit-request.test.ts).
 *
 * Decisions:
 * - Regions go in the document's order (bit r = region r, VideoGrain's layout_mask_order).
 * - A frame with no mask for a region is an all-zero mask (the region is absent on that frame).
 * - Hidden regions take part: "hidden" is a view setting of the mask editor, not an exclusion.
 * - Every array in the request is a fresh copy, so transferring it never detaches the project's buffers.
 */
import type { EditRegion, EditRequest, EditSettings } from '../../core/protocol/edit';
import type { RegionsDoc } from '../../core/regions/model';
import type { PromptProblem } from '../../core/regions/prompts';
import { settingsProblems } from './settings';
import { ESTIMATOR_LABELS, estimatorModelOf } from '../../core/conditions/kinds';

export interface FramesInput {
  readonly width: number;
  readonly height: number;
  /** RGBA, width·height·4 bytes each. */
  readonly frames: readonly Uint8Array[];
}

export interface BuildOptions {
  readonly attentionMaps?: boolean;
  readonly conditionFrames?: readonly Uint8Array[];
  /** The frame the live preview starts on (the one the user is looking at). */
  readonly previewFrame?: number;
}

export function buildEditRequest(
  frames: FramesInput,
  doc: RegionsDoc,
  settings: EditSettings,
  options: BuildOptions = {},
): EditRequest {
  const { width, height } = frames;
  const pixels = width * height;
  const regions: EditRegion[] = doc.regions.map((r) => ({
    name: r.name,
    prompt: r.prompt,
    masks: frames.frames.map((_, f) => {
      const stored = doc.masks[r.id]?.[f];
      if (!stored) return new Uint8Array(pixels);
      if (stored.bits.length !== pixels)
        throw new Error(`the mask of "${r.name}" on frame ${f + 1} is not ${width}×${height}; reopen the project`);
      return stored.bits.slice();
    }),
  }));
  return {
    width,
    height,
    frames: frames.frames.map((f) => f.slice()),
    sourcePrompt: doc.sourcePrompt,
    targetPrompt: doc.targetPrompt,
    regions,
    settings,
    ...(settings.condition.kind === 'frames' && options.conditionFrames
      ? { conditionFrames: options.conditionFrames.map((f) => f.slice()) }
      : {}),
    ...(options.attentionMaps ? { attentionMaps: true } : {}),
    ...(options.previewFrame ? { previewFrame: options.previewFrame } : {}),
  };
}

/** Every ArrayBuffer a request owns (for Comlink.transfer). */
export function requestTransferables(request: EditRequest): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const add = (a: Uint8Array) => out.add(a.buffer as ArrayBuffer);
  request.frames.forEach(add);
  request.regions.forEach((r) => r.masks.forEach(add));
  request.conditionFrames?.forEach(add);
  return [...out];
}

export interface EditReadiness {
  readonly frames: { readonly count: number; readonly width: number; readonly height: number } | null;
  readonly sdReady: boolean;
  readonly controlnetReady: boolean;
  readonly settings: EditSettings;
  readonly promptProblems: readonly PromptProblem[];
  readonly conditionFrames: number;
  readonly running: boolean;
  /** Whether the condition's estimator model (estimatorModelOf) is loaded; absent = not known (no blocker). */
  readonly estimatorReady?: boolean;
  /** Whether a flow model (RAFT) is loaded for flow-guided consistency; absent = not known (no blocker). */
  readonly flowReady?: boolean;
}

/** Why Edit cannot run now, most basic first (empty = it can). */
export function editBlockers(r: EditReadiness): string[] {
  const out: string[] = [];
  if (r.running) out.push('An edit is running.');
  if (!r.frames || r.frames.count === 0) out.push('Open a clip and extract frames.');
  else if (r.frames.width % 64 !== 0 || r.frames.height % 64 !== 0)
    out.push(`Frames are ${r.frames.width}×${r.frames.height}; the edit needs multiples of 64. Extract again.`);
  if (!r.sdReady) out.push('Load the Stable Diffusion 1.5 model (Models panel).');
  const kind = r.settings.condition.kind;
  if (kind !== 'none' && !r.controlnetReady)
    out.push(
      `Load a ControlNet for the ${kind === 'canny' ? 'canny edges' : kind === 'frames' ? 'condition frames' : `${kind} condition`}, or pick no structure condition.`,
    );
  const estimator = estimatorModelOf(kind);
  if (estimator && r.estimatorReady === false)
    out.push(`Load ${ESTIMATOR_LABELS[estimator]} in Models → Estimators for the ${kind} condition.`);
  if (r.settings.flatten && r.flowReady === false)
    out.push(
      'Load RAFT in Models → Estimators, optical flow and segmentation for flow-guided consistency, or turn it off (Run → Advanced).',
    );
  if (kind === 'frames' && r.frames && r.conditionFrames !== r.frames.count)
    out.push(`Pick ${r.frames.count} condition images (one per frame); ${r.conditionFrames} picked.`);
  out.push(...r.promptProblems.filter((p) => p.severity === 'error').map((p) => p.message));
  out.push(...settingsProblems(r.settings));
  return out;
}

/** FNV-1a over bytes, from `h`, every `stride`-th byte. */
function fnv(h: number, bytes: Uint8Array, stride = 1): number {
  for (let i = 0; i < bytes.length; i += stride) h = Math.imul(h ^ bytes[i]!, 0x01000193) >>> 0;
  return h;
}
const fnvText = (h: number, text: string) => fnv(h, new TextEncoder().encode(text));

/**
 * A hash of everything the edit's output depends on: settings, prompts, region order and masks (every
 * byte), frames (sampled: a re-extraction changes far more than a few bytes). Equal inputs → equal hash.
 */
export function inputsFingerprint(frames: FramesInput, doc: RegionsDoc, settings: EditSettings): string {
  let h = 0x811c9dc5;
  h = fnvText(h, JSON.stringify({ w: frames.width, h: frames.height, n: frames.frames.length, settings }));
  h = fnvText(h, JSON.stringify([doc.sourcePrompt, doc.targetPrompt]));
  for (const r of doc.regions) {
    h = fnvText(h, JSON.stringify([r.id, r.prompt]));
    for (let f = 0; f < frames.frames.length; f++) {
      const m = doc.masks[r.id]?.[f];
      h = m ? fnv(fnvText(h, `m${f}`), m.bits) : fnvText(h, `-${f}`);
    }
  }
  for (const f of frames.frames) h = fnv(h, f, 97);
  return h.toString(16).padStart(8, '0');
}
