/**
 * Turns an official VideoGrain config plus CLI overrides into the engine's EditRequest (src/core/protocol/
 * edit.ts) — the same request the app's run panel sends — for both backends: cropped RGBA frames, one region per
 * layout_mask_order entry with its masks and prompt, the settings, and the condition (canny: estimated by the
 * engine from the frames; --control-frames: the request's condition images). Checks of the request itself
 * (sizes, counts, setting ranges, prompts vs. the layout) are the engine's (workers/engine/edit/request.ts and
 * runEdit's layout compiler); here only what is about the config and the command line.
 * Prompts follow `videograin layout`: editing_prompts[k] = [target, region 0 prompt, …], region r pairs with
 * layout_mask_order[r]; the source prompt (inversion) is dataset_config.prompt.
 * FLATTEN (DESIGN §3.6): editing_config.flatten_res / old_qk become settings.flatten and need a flow source
 * (`flows`: --flow, or RAFT from --flow-model); without one the config is refused, naming them, unless
 * `noFlatten` (--no-flatten) runs it without flow attention as a named deviation (a warning).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CliUsageError } from '../command';
import { loadLayoutMasks, resolveFrameSource } from '../config/layout-input';
import { DEFAULT_TOKENIZER_DIR } from '../config/tokenizer-files';
import type { VideoGrainConfig } from '../config/videograin-yaml';
import {
  DEFAULT_EDIT_SETTINGS,
  type EditFlows,
  type EditRequest,
  type EditSettings,
} from '../../src/core/protocol/edit';
import { listFrameFiles, loadClipFrames } from './frames';
import { estimatorModelsFromFolders } from '../config/condition-model';
import { conditionOfConfig, conditionOfControlType } from '../../src/core/config/project-from-config';
import { estimatorModelOf } from '../../src/core/conditions/kinds';
import type { EstimatedKind } from '../../workers/engine/edit/conditions';

export interface PrepareRequest {
  readonly config: VideoGrainConfig;
  readonly editIndex: number;
  readonly size: number;
  readonly modelDir: string;
  readonly tokenizerDir?: string;
  readonly controlnet: boolean;
  readonly controlFramesDir?: string;
  /** --condition-model folders: the estimators of control_type dwpose/openpose/depth/depth_zoe (issue 16). */
  readonly conditionModelDirs?: readonly string[];
  readonly steps?: number;
  readonly guidance?: number;
  readonly seed: number;
  readonly encodeWith: 'sample' | 'mean';
  /** EditRequest.returnLatents (--save-latents). */
  readonly returnLatents?: boolean;
  /** Forward flow [F − 1, 2, size, size] in pixels (--flow file, or RAFT from --flow-model). */
  readonly flows?: EditFlows;
  /** --no-flatten: run a config with flatten_res without flow attention (a deviation, warned). */
  readonly noFlatten?: boolean;
  /** --flow-model: the flows are computed from the prepared frames afterwards (cli/config/flow-model.ts). */
  readonly flowModel?: boolean;
}

/** FLATTEN settings of the config, or a refusal that names the flow options; null when it runs without. */
function flattenOf(req: PrepareRequest, warnings: string[]): EditSettings['flatten'] {
  const res = req.config.flattenRes ?? null;
  if (!res) {
    if (req.flows) warnings.push('the config sets no editing_config.flatten_res: the flow is not used');
    return null;
  }
  const named = `editing_config.flatten_res [${res.join(', ')}]`;
  if (req.noFlatten) {
    warnings.push(
      `--no-flatten: running without FLATTEN flow attention, a deviation from the official config's ${named}`,
    );
    return null;
  }
  if (!req.flows && !req.flowModel)
    throw new CliUsageError(
      `${req.config.configPath}: ${named} needs optical flow for FLATTEN flow attention (DESIGN §3.6): pass ` +
        `--flow <flow.safetensors> (forward flow [F−1, 2, ${req.size}, ${req.size}] in pixels at the edit size) or ` +
        `--flow-model <dir> (RAFT ONNX), or --no-flatten to run without it (a deviation from the official config)`,
    );
  return { resolutions: res, oldQk: req.config.oldQk ?? false };
}

export interface PreparedEdit {
  readonly request: EditRequest;
  readonly warnings: string[];
  /** The CLIP tokenizer folder to use (the model's own tokenizer/, --tokenizer, or the shared one). */
  readonly tokenizerDir: string;
}

/** The model's own tokenizer/ folder when it holds tokenizer files, else the shared SD1.5 tokenizer. */
export function tokenizerDir(req: Pick<PrepareRequest, 'tokenizerDir' | 'modelDir'>): string {
  if (req.tokenizerDir) return req.tokenizerDir;
  const own = join(req.modelDir, 'tokenizer');
  const hasFiles = ['tokenizer.json', 'vocab.json'].some((f) => existsSync(join(own, f)));
  return hasFiles ? own : DEFAULT_TOKENIZER_DIR;
}

export function prepareEdit(req: PrepareRequest): PreparedEdit {
  const { config, size } = req;
  const edit = config.editingPrompts[req.editIndex];
  if (!edit) throw new CliUsageError(`--edit ${req.editIndex}: the config has ${config.editingPrompts.length} edit(s)`);
  if (edit.regions.length > config.layoutMaskOrder.length)
    throw new CliUsageError(
      `edit ${req.editIndex} has ${edit.regions.length} region prompts but layout_mask_order names ${config.layoutMaskOrder.length} regions`,
    );
  if (req.controlFramesDir && !req.controlnet) throw new CliUsageError('--control-frames needs --controlnet <dir>');
  // Before any frame is read: a config that needs flow and has none is refused at once.
  const flattenWarnings: string[] = [];
  const flatten = flattenOf(req, flattenWarnings);
  const source = resolveFrameSource(config);
  if (source.sizeFrom !== 'frames')
    throw new CliUsageError(
      `${config.framesPath}: edit reads a frames folder for now; extract the frames first (videograin clip, or ffmpeg)`,
    );
  const loaded = loadLayoutMasks(config, source, size);
  const warnings = [...loaded.warnings, ...flattenWarnings];
  const frames = loadClipFrames(config.framesPath, source.frameIndices, size);

  let condition: EditSettings['condition'] = { kind: 'none', scale: config.controlnetConditioningScale ?? 1 };
  let conditionFrames: Uint8Array[] | undefined;
  if (req.controlnet && req.controlFramesDir) {
    const count = listFrameFiles(req.controlFramesDir).length;
    // Control frames are per clip frame when there are exactly as many; else indexed like the source. Frames
    // past the folder's end are left out: the engine refuses a condition that does not cover every frame.
    const indices = count === source.frameIndices.length ? source.frameIndices.map((_, i) => i) : source.frameIndices;
    conditionFrames = loadClipFrames(
      req.controlFramesDir,
      indices.filter((i) => i < count),
      size,
    );
    condition = { ...condition, kind: 'frames' };
  } else if (req.controlnet) {
    // control_type with its options (hand, face, low/high_threshold); no control_type: canny, as before.
    const kind = config.controlType ? conditionOfControlType(config.controlType) : 'canny';
    if (kind === 'none')
      warnings.push(
        `control_type "${config.controlType}" has no annotator here; using canny edges from the frames (pass --control-frames)`,
      );
    condition = conditionOfConfig(config, kind === 'none' ? 'canny' : kind);
    const needed = estimatorModelOf(condition.kind);
    const estimators = estimatorModelsFromFolders(req.conditionModelDirs ?? []);
    if (needed && !estimators.loaded(needed))
      throw new CliUsageError(
        `control_type "${config.controlType}": ${estimators.missingHint(needed, condition.kind as EstimatedKind)} Or give --control-frames <dir>.`,
      );
  }

  const steps = req.steps ?? config.numInferenceSteps ?? 50;
  const settings: EditSettings = {
    ...DEFAULT_EDIT_SETTINGS,
    steps,
    guidance: req.guidance ?? config.guidanceScale ?? 7.5,
    seed: req.seed,
    negativePrompt: config.negativePrompt,
    condition,
    // editing_config.modulated_percentage (the official pipeline's default 0.3 = 15 of 50 steps)
    modulatedSteps: config.modulatedPercentage === null ? null : Math.round(config.modulatedPercentage * steps),
    encodeWith: req.encodeWith,
    flatten,
  };
  const request: EditRequest = {
    width: size,
    height: size,
    frames,
    sourcePrompt: config.sourcePrompt,
    targetPrompt: edit.target,
    // Region r is layout_mask_order[r]; a region past the edit's prompts gets prompt ''.
    regions: loaded.masks.masks.map((masks, r) => ({
      name: config.layoutMaskOrder[r] ?? `region ${r}`,
      prompt: edit.regions[r] ?? '',
      masks,
    })),
    settings,
    ...(conditionFrames ? { conditionFrames } : {}),
    ...(flatten && req.flows ? { flows: req.flows } : {}),
    ...(req.returnLatents ? { returnLatents: true } : {}),
  };
  return { request, warnings, tokenizerDir: tokenizerDir(req) };
}
