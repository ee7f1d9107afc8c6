/**
 * What the app makes of an official VideoGrain config folder (pure; src/features/config-import does the
 * reading): which file is the config, where its frames and mask folders are among the picked files, and the
 * project it describes — clip settings (start_sample_frame, n_sample_frame, sampling_rate; 512² square crop as
 * the official dataset loader), regions in `layout_mask_order` with their region prompts (editing_prompts[0]),
 * source/target/negative prompts, steps, guidance, seed (top-level `seed`, else sample_seeds[0]), the
 * structure condition of control_config.control_type and its scale.
 *
 * Masks are taken as the official code reads them (`mask > 0` per region folder): nothing is added for pixels
 * outside every mask (no implicit background region), so those pixels stay outside every region.
 */
import { AppError } from '../protocol/errors';
import type { ConditionKind, ConditionSettings, EditSettings } from '../protocol/edit';
import { MAX_EXTRACT_FRAMES } from '../protocol/video';
import { defaultSeed, joinConfigPath, type VideoGrainYaml } from './videograin-yaml';

const IMAGE = /\.(png|jpe?g)$/i;
const VIDEO = /\.(mp4|mov|webm|mkv|avi|m4v|gif)$/i;
const YAML = /\.ya?ml$/i;

export const CONFIG_FRAME_SIZE = 512;

export type ConfigFrames =
  | { readonly kind: 'folder'; readonly path: string; readonly files: readonly string[] }
  | { readonly kind: 'video'; readonly path: string };

export interface ConfigRegion {
  readonly name: string;
  readonly prompt: string;
  /** The region's mask files among the picked paths. */
  readonly maskFiles: readonly string[];
}

export interface ConfigProject {
  readonly name: string;
  readonly frames: ConfigFrames;
  /** null frames: every frame of the source (n_sample_frame −1 with a video; resolved after probing). */
  readonly clip: {
    readonly start: number;
    readonly frames: number | null;
    readonly stride: number;
    readonly size: number;
  };
  readonly regions: readonly ConfigRegion[];
  readonly sourcePrompt: string;
  readonly targetPrompt: string;
  readonly settings: Pick<
    EditSettings,
    'negativePrompt' | 'steps' | 'guidance' | 'seed' | 'condition' | 'modulatedSteps' | 'flatten'
  >;
  /** control_config.control_type as written (null: none). */
  readonly controlType: string | null;
  readonly warnings: readonly string[];
}

const dirOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '');
const baseOf = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const depth = (path: string) => path.split('/').length;

/** The config file among picked paths: the shallowest `.yaml`/`.yml`, `config.yaml` first. */
export function findConfigFile(paths: readonly string[]): string {
  const yamls = paths.filter((p) => YAML.test(p));
  if (yamls.length === 0)
    throw new AppError(
      'CONFIG_INVALID',
      'The picked folder holds no config.yaml. Pick the folder with the VideoGrain config and its frames and masks.',
    );
  const shallowest = Math.min(...yamls.map(depth));
  const top = yamls.filter((p) => depth(p) === shallowest).sort();
  return top.find((p) => /^config\.ya?ml$/i.test(baseOf(p))) ?? top[0]!;
}

/** The structure condition a control_config.control_type asks for. */
export function conditionOfControlType(type: string | null): ConditionKind {
  if (!type) return 'none';
  const t = type.toLowerCase();
  if (t === 'openpose' || t.startsWith('openpose')) return 'openpose';
  if (t.includes('pose')) return 'dwpose';
  if (t.includes('zoe')) return 'depth_zoe';
  if (t.includes('depth') || t.includes('midas')) return 'depth';
  if (t.includes('canny')) return 'canny';
  return 'none';
}

/** The condition settings of a config: kind, scale and the options the YAML sets (hand/face, canny thresholds). */
export function conditionOfConfig(
  config: Pick<VideoGrainYaml, 'controlType' | 'controlOptions' | 'controlnetConditioningScale'>,
  kind: ConditionKind = conditionOfControlType(config.controlType),
): ConditionSettings {
  const o = config.controlOptions;
  return {
    kind,
    scale: config.controlnetConditioningScale ?? 1,
    ...(o?.hand != null ? { hand: o.hand } : {}),
    ...(o?.face != null ? { face: o.face } : {}),
    ...(o?.low != null ? { low: o.low } : {}),
    ...(o?.high != null ? { high: o.high } : {}),
  };
}

const filesUnder = (paths: readonly string[], dir: string) =>
  paths.filter((p) => p.startsWith(`${dir}/`)).sort((a, b) => a.localeCompare(b));

/** Maps a parsed config and the picked folder's file paths ('/'-separated) to the project it describes. */
export function projectFromConfig(config: VideoGrainYaml, configPath: string, paths: readonly string[]): ConfigProject {
  const base = dirOf(configPath);
  const warnings: string[] = [];
  // Picked paths start with the picked folder's name: a path that leaves it cannot be read.
  const root = configPath.includes('/') ? configPath.slice(0, configPath.indexOf('/') + 1) : '';
  const outside = (p: string) => p.startsWith('/') || p.startsWith('..') || !p.startsWith(root);

  // Frames: a folder of images (the official get_image_list: sorted) or a video file.
  const framesPath = joinConfigPath(base, config.framesPath);
  let frames: ConfigFrames;
  const images = filesUnder(paths, framesPath).filter((p) => dirOf(p) === framesPath && IMAGE.test(p));
  if (paths.includes(framesPath) && VIDEO.test(framesPath)) frames = { kind: 'video', path: framesPath };
  else if (images.length > 0) frames = { kind: 'folder', path: framesPath, files: images };
  else
    throw new AppError(
      'CONFIG_INVALID',
      outside(framesPath)
        ? `${configPath}: dataset_config.path "${config.framesPath}" is outside the picked folder. Pick the folder that holds the config, its frames and its masks.`
        : `${configPath}: dataset_config.path "${config.framesPath}" is not a frames folder (PNG/JPEG) or a video in the picked folder.`,
    );

  let count: number | null = config.nSampleFrame === -1 ? null : config.nSampleFrame;
  if (count === null && frames.kind === 'folder')
    count = Math.floor((frames.files.length - 1 - config.startSampleFrame) / config.samplingRate) + 1;
  if (count !== null && count > MAX_EXTRACT_FRAMES) {
    warnings.push(
      `The config edits ${count} frames; the app edits at most ${MAX_EXTRACT_FRAMES}, so it opened the first ${MAX_EXTRACT_FRAMES}.`,
    );
    count = MAX_EXTRACT_FRAMES;
  }
  if (frames.kind === 'folder' && count !== null) {
    const last = config.startSampleFrame + (count - 1) * config.samplingRate;
    if (last >= frames.files.length)
      throw new AppError(
        'CONFIG_INVALID',
        `${configPath}: ${frames.path} has ${frames.files.length} frames, but start ${config.startSampleFrame} + ${count} frames × rate ${config.samplingRate} needs frame ${last}.`,
      );
  }

  // Regions: layout_mask_order, each with its mask folder and its region prompt.
  const maskDir = joinConfigPath(base, config.layoutMaskDir);
  const edit = config.editingPrompts[0]!;
  if (config.editingPrompts.length > 1)
    warnings.push(
      `The config lists ${config.editingPrompts.length} edits; the project has the first ("${edit.target}").`,
    );
  if (config.layoutMaskOrder.length === 0)
    throw new AppError('CONFIG_INVALID', `${configPath}: dataset_config.layout_mask_order is empty.`);
  if (edit.regions.length !== config.layoutMaskOrder.length)
    warnings.push(
      `The config has ${edit.regions.length} region prompts for ${config.layoutMaskOrder.length} regions (${config.layoutMaskOrder.join(', ')}); ${edit.regions.length < config.layoutMaskOrder.length ? 'the others have no prompt yet' : 'the extra prompts were left out'}.`,
    );
  const regions = config.layoutMaskOrder.map((name, r) => {
    const maskFiles = filesUnder(paths, `${maskDir}/${name}`).filter((p) => /\.png$/i.test(p));
    if (maskFiles.length === 0)
      throw new AppError(
        'CONFIG_INVALID',
        `${configPath}: the mask folder ${maskDir}/${name} (layout_mask_order "${name}") is missing or holds no PNG masks.`,
      );
    return { name, prompt: edit.regions[r] ?? '', maskFiles };
  });
  // Sub-folders of the mask folder (a path with a folder part after it) that the layout does not name.
  const folders = filesUnder(paths, maskDir)
    .map((p) => p.slice(maskDir.length + 1).split('/'))
    .filter((parts) => parts.length > 1)
    .map((parts) => parts[0]!);
  const unused = [...new Set(folders)].filter((n) => !config.layoutMaskOrder.includes(n));
  if (unused.length > 0) warnings.push(`Mask folders not in layout_mask_order were left out: ${unused.join(', ')}.`);

  const steps = config.numInferenceSteps !== null ? Math.round(config.numInferenceSteps) : 50;
  const kind = conditionOfControlType(config.controlType);
  return {
    name: baseOf(base) || baseOf(configPath).replace(YAML, ''),
    frames,
    clip: { start: config.startSampleFrame, frames: count, stride: config.samplingRate, size: CONFIG_FRAME_SIZE },
    regions,
    sourcePrompt: config.sourcePrompt,
    targetPrompt: edit.target,
    settings: {
      negativePrompt: config.negativePrompt,
      steps,
      guidance: config.guidanceScale ?? 7.5,
      seed: defaultSeed(config).seed,
      condition: conditionOfConfig(config, kind),
      modulatedSteps: config.modulatedPercentage === null ? null : Math.round(config.modulatedPercentage * steps),
      // FLATTEN as the config sets it; the engine computes the flow with RAFT (or refuses, naming what to load).
      flatten: config.flattenRes?.length ? { resolutions: config.flattenRes, oldQk: config.oldQk ?? false } : null,
    },
    controlType: config.controlType,
    warnings,
  };
}
