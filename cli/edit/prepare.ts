/**
 * Turns an official VideoGrain config plus CLI overrides into what `runEdit` needs (workers/engine/pipeline/
 * edit.ts): cropped RGBA frames, region masks, prompts, step/guidance/ControlNet settings, the condition.
 * Prompts follow `videograin layout`: editing_prompts[k] = [target, region 0 prompt, …], region r pairs with
 * layout_mask_order[r]; the source prompt (inversion) is dataset_config.prompt.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CliUsageError } from '../command.ts';
import { loadLayoutMasks, resolveFrameSource } from '../config/layout-input.ts';
import { DEFAULT_TOKENIZER_DIR, loadClipTokenizer } from '../config/tokenizer-files.ts';
import type { VideoGrainConfig } from '../config/videograin-yaml.ts';
import { cannyCondition } from '../../src/core/conditions/canny.ts';
import type { EditInput, EditOptions } from '../../workers/engine/pipeline/edit.ts';
import { listFrameFiles, loadClipFrames } from './frames.ts';

export interface PrepareRequest {
  readonly config: VideoGrainConfig;
  readonly editIndex: number;
  readonly size: number;
  readonly modelDir: string;
  readonly tokenizerDir?: string;
  readonly controlnet: boolean;
  readonly controlFramesDir?: string;
  readonly steps?: number;
  readonly guidance?: number;
  readonly seed: number;
  readonly encodeWith: 'sample' | 'mean';
}

export interface PreparedEdit {
  readonly input: EditInput;
  readonly options: EditOptions;
  readonly warnings: string[];
  /** What the condition is, for messages and the inversion key. */
  readonly conditionKind: 'none' | 'canny' | 'frames';
  /** conditionKind 'frames': the condition images as RGBA (the engine's EditRequest.conditionFrames). */
  readonly conditionRgba?: readonly Uint8Array[];
  /** The CLIP tokenizer folder used (the model's own tokenizer/, --tokenizer, or the shared one). */
  readonly tokenizerDir: string;
}

/** The model's own tokenizer/ folder when it holds tokenizer files, else the shared SD1.5 tokenizer. */
export function tokenizerDir(req: Pick<PrepareRequest, 'tokenizerDir' | 'modelDir'>): string {
  if (req.tokenizerDir) return req.tokenizerDir;
  const own = join(req.modelDir, 'tokenizer');
  const hasFiles = ['tokenizer.json', 'vocab.json'].some((f) => existsSync(join(own, f)));
  return hasFiles ? own : DEFAULT_TOKENIZER_DIR;
}

function toCondition(frames: readonly Uint8Array[], size: number): Float32Array {
  const plane = size * size;
  const out = new Float32Array(frames.length * 3 * plane);
  frames.forEach((rgba, f) => {
    for (let c = 0; c < 3; c++) for (let p = 0; p < plane; p++) out[(f * 3 + c) * plane + p] = rgba[4 * p + c]! / 255;
  });
  return out;
}

export function prepareEdit(req: PrepareRequest): PreparedEdit {
  const { config, size } = req;
  const edit = config.editingPrompts[req.editIndex];
  if (!edit) throw new CliUsageError(`--edit ${req.editIndex}: the config has ${config.editingPrompts.length} edit(s)`);
  if (edit.regions.length > config.layoutMaskOrder.length)
    throw new CliUsageError(
      `edit ${req.editIndex} has ${edit.regions.length} region prompts but layout_mask_order names ${config.layoutMaskOrder.length} regions`,
    );
  const source = resolveFrameSource(config);
  if (source.sizeFrom !== 'frames')
    throw new CliUsageError(
      `${config.framesPath}: edit reads a frames folder for now; extract the frames first (videograin clip, or ffmpeg)`,
    );
  const loaded = loadLayoutMasks(config, source, size);
  const masks = loaded.masks;
  const warnings = [...loaded.warnings];
  const frames = loadClipFrames(config.framesPath, source.frameIndices, size);
  const tokenizerFolder = tokenizerDir(req);
  const tokenizer = loadClipTokenizer(tokenizerFolder);

  let condition: EditOptions['condition'];
  let conditionKind: PreparedEdit['conditionKind'] = 'none';
  let conditionRgba: Uint8Array[] | undefined;
  const scale = config.controlnetConditioningScale ?? 1;
  if (req.controlFramesDir && !req.controlnet) throw new CliUsageError('--control-frames needs --controlnet <dir>');
  if (req.controlnet && req.controlFramesDir) {
    const count = listFrameFiles(req.controlFramesDir).length;
    if (count < source.frameIndices.length)
      throw new CliUsageError(
        `${req.controlFramesDir} has ${count} frames; the clip needs ${source.frameIndices.length}`,
      );
    // Control frames are already per clip frame when there are exactly as many; else indexed like the source.
    const indices = count === source.frameIndices.length ? source.frameIndices.map((_, i) => i) : source.frameIndices;
    conditionRgba = loadClipFrames(req.controlFramesDir, indices, size);
    condition = { frames: toCondition(conditionRgba, size), scale };
    conditionKind = 'frames';
  } else if (req.controlnet) {
    if (config.controlType && config.controlType !== 'canny')
      warnings.push(
        `control_type "${config.controlType}" needs its own annotator; using canny edges from the frames (pass --control-frames)`,
      );
    const plane = size * size;
    const all = new Float32Array(frames.length * 3 * plane);
    frames.forEach((rgba, f) => all.set(cannyCondition(rgba, size, size), f * 3 * plane));
    condition = { frames: all, scale };
    conditionKind = 'canny';
  }

  const steps = req.steps ?? config.numInferenceSteps ?? 50;
  // editing_config.modulated_percentage (the official pipeline's default 0.3 = 15 of 50 steps)
  const modulatedSteps =
    config.modulatedPercentage === null ? undefined : Math.round(config.modulatedPercentage * steps);
  const input: EditInput = {
    frames,
    width: size,
    height: size,
    masks,
    tokenizer,
    sourcePrompt: config.sourcePrompt,
    targetPrompt: edit.target,
    regionPrompts: edit.regions,
    negativePrompt: config.negativePrompt,
  };
  const options: EditOptions = {
    steps,
    guidance: req.guidance ?? config.guidanceScale ?? 7.5,
    seed: req.seed,
    encodeWith: req.encodeWith,
    ...(modulatedSteps !== undefined ? { modulatedSteps } : {}),
    ...(condition ? { condition } : {}),
  };
  return {
    input,
    options,
    warnings,
    conditionKind,
    ...(conditionRgba ? { conditionRgba } : {}),
    tokenizerDir: tokenizerFolder,
  };
}
