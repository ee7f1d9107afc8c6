/**
 * Reads an official VideoGrain YAML config (github.com/knightyxp/VideoGrain `config/**.yaml`) into typed
 * settings. Pure (no file system): shared by the CLI (cli/config/videograin-yaml.ts resolves the paths on
 * disk) and the app's "Open VideoGrain config" (src/features/config-import, paths inside a picked folder).
 * Paths are returned as written in the YAML, relative to the YAML file (DESIGN §9). Only the keys the editor
 * uses are read; OmegaConf interpolations such as `clip_length: "${..dataset_config.n_sample_frame}"` are ignored.
 *
 * editing_config.editing_prompts is a list of edits; each edit is a list [target, region 0 prompt, region 1
 * prompt, …] (or a bare string: a target without regions). Region r's prompt pairs with
 * dataset_config.layout_mask_order[r].
 *
 * Seeds: the official test.py calls `set_seed(seed)` with the top-level `seed`; that global RNG draws the VAE
 * posterior sample of the inversion and the blend noise (`torch.randn_like`), the two draws our one Philox
 * seed makes (EditSettings.seed). `editing_config.sample_seeds` seeds a per-sample generator that, with
 * inversion latents and DDIM eta 0, draws nothing; it is only the fallback when `seed` is absent.
 */
import { parse } from 'yaml';
import { AppError } from '../protocol/errors';

export interface EditingPrompt {
  readonly target: string;
  readonly regions: readonly string[];
}

export interface VideoGrainYaml {
  /** Frames folder or video file, relative to the YAML file as written (dataset_config.path). */
  readonly framesPath: string;
  /** Source prompt (used for inversion); may be ''. */
  readonly sourcePrompt: string;
  /** Frames to edit; −1 in the YAML means every frame. */
  readonly nSampleFrame: number;
  readonly startSampleFrame: number;
  readonly samplingRate: number;
  /** Folder holding one sub-folder of `{frame:05d}.png` masks per region, relative to the YAML file. */
  readonly layoutMaskDir: string;
  readonly layoutMaskOrder: readonly string[];
  readonly negativePrompt: string;
  readonly editingPrompts: readonly EditingPrompt[];
  readonly controlType: string | null;
  /** control_config's condition options as written (`hand`, `face`, `low_threshold`, `high_threshold`). */
  readonly controlOptions?: ControlOptions;
  readonly controlnetConditioningScale: number | null;
  readonly guidanceScale: number | null;
  readonly numInferenceSteps: number | null;
  readonly modulatedPercentage: number | null;
  /** Top-level `seed`. */
  readonly seed: number | null;
  /** editing_config.sample_seeds (integers). */
  readonly sampleSeeds: readonly number[] | null;
  /**
   * editing_config.flatten_res: FLATTEN flow attention's latent-size divisors (DESIGN §3.6; [1] in most
   * official configs); null when absent or empty.
   */
  readonly flattenRes?: readonly number[] | null;
  /** editing_config.old_qk (1/true: Q, K of the flow attention from to_q/to_k); null when absent. */
  readonly oldQk?: boolean | null;
}

/** Options of the structure condition (DESIGN §3.7); null where the YAML does not set them. */
export interface ControlOptions {
  readonly hand: boolean | null;
  readonly face: boolean | null;
  readonly low: number | null;
  readonly high: number | null;
}

type Dict = Record<string, unknown>;

const flag = (d: Dict | undefined, key: string): boolean | null => {
  const v = d?.[key];
  return typeof v === 'boolean' ? v : typeof v === 'number' ? v !== 0 : null;
};

const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parsing state: the name errors start with (the config's path or file name). */
interface Ctx {
  readonly name: string;
}

function fail(ctx: Ctx, message: string): never {
  throw new AppError('CONFIG_INVALID', `${ctx.name}: ${message}`);
}

function section(root: Dict, key: string, ctx: Ctx): Dict {
  const v = root[key];
  if (!isDict(v)) fail(ctx, `missing section "${key}"`);
  return v;
}

function str(d: Dict, key: string, where: string, ctx: Ctx, fallback?: string): string {
  const v = d[key] ?? fallback;
  if (v === null || v === undefined) fail(ctx, `missing ${where}.${key}`);
  if (typeof v !== 'string' && typeof v !== 'number') fail(ctx, `${where}.${key} must be a string`);
  return String(v);
}

function int(d: Dict, key: string, where: string, ctx: Ctx, fallback: number, min: number): number {
  const v = d[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    fail(ctx, `${where}.${key} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return v;
}

function num(d: Dict | undefined, key: string): number | null {
  const v = d?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function seedValue(v: unknown, where: string, ctx: Ctx): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 2 ** 32 - 1)
    fail(ctx, `${where} must be an integer in [0, 2^32), got ${JSON.stringify(v)}`);
  return v;
}

function sampleSeeds(editing: Dict, ctx: Ctx): number[] | null {
  const v = editing['sample_seeds'];
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || v.length === 0) fail(ctx, 'editing_config.sample_seeds must be a non-empty list');
  return v.map((s, i) => seedValue(s, `editing_config.sample_seeds[${i}]`, ctx));
}

/** The seed an edit uses without an explicit one: top-level `seed`, else sample_seeds[0], else 0 (and where it came from). */
export function defaultSeed(config: Pick<VideoGrainYaml, 'seed' | 'sampleSeeds'>): { seed: number; from: string } {
  if (config.seed !== null) return { seed: config.seed, from: 'seed' };
  if (config.sampleSeeds) return { seed: config.sampleSeeds[0]!, from: 'editing_config.sample_seeds[0]' };
  return { seed: 0, from: 'default' };
}

function modulatedPercentage(editing: Dict, ctx: Ctx): number | null {
  const v = num(editing, 'modulated_percentage');
  if (editing['modulated_percentage'] !== undefined && (v === null || v < 0 || v > 1))
    fail(ctx, `editing_config.modulated_percentage must be a number in [0, 1]`);
  return v;
}

function editingPrompts(editing: Dict, ctx: Ctx): EditingPrompt[] {
  const list = editing['editing_prompts'];
  if (!Array.isArray(list) || list.length === 0) fail(ctx, 'editing_config.editing_prompts must be a non-empty list');
  return list.map((item: unknown, i) => {
    if (typeof item === 'string') return { target: item, regions: [] };
    if (!Array.isArray(item) || item.length === 0 || !item.every((p) => typeof p === 'string'))
      fail(ctx, `editing_config.editing_prompts[${i}] must be a list of strings [target, region prompts…]`);
    const [target, ...regions] = item as string[];
    return { target: target!, regions };
  });
}

/**
 * Parses YAML text; `name` (the config's path or file name) starts every error message. Throws
 * AppError('CONFIG_INVALID').
 */
export function parseVideoGrainYaml(text: string, name: string): VideoGrainYaml {
  const ctx: Ctx = { name };
  let root: unknown;
  try {
    root = parse(text);
  } catch (e) {
    fail(ctx, `not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!isDict(root)) fail(ctx, 'not a VideoGrain config (expected a mapping at the top level)');
  const data = section(root, 'dataset_config', ctx);
  const editing = section(root, 'editing_config', ctx);
  const control = isDict(root['control_config']) ? root['control_config'] : undefined;
  const order = data['layout_mask_order'];
  if (!Array.isArray(order) || !order.every((n) => typeof n === 'string' || typeof n === 'number'))
    fail(ctx, 'dataset_config.layout_mask_order must be a list of mask folder names');
  const nSample = data['n_sample_frame'] ?? 8;
  if (typeof nSample !== 'number' || !Number.isInteger(nSample) || nSample === 0 || nSample < -1)
    fail(ctx, `dataset_config.n_sample_frame must be a positive integer or -1, got ${JSON.stringify(nSample)}`);
  return {
    framesPath: str(data, 'path', 'dataset_config', ctx),
    sourcePrompt: str(data, 'prompt', 'dataset_config', ctx, ''),
    nSampleFrame: nSample,
    startSampleFrame: int(data, 'start_sample_frame', 'dataset_config', ctx, 0, 0),
    samplingRate: int(data, 'sampling_rate', 'dataset_config', ctx, 1, 1),
    layoutMaskDir: str(data, 'layout_mask_dir', 'dataset_config', ctx),
    layoutMaskOrder: order.map(String),
    // the official run_two_man config spells it "negative_promot"
    negativePrompt: String(data['negative_prompt'] ?? data['negative_promot'] ?? ''),
    editingPrompts: editingPrompts(editing, ctx),
    controlType: typeof control?.['control_type'] === 'string' ? control['control_type'] : null,
    controlOptions: {
      hand: flag(control, 'hand'),
      face: flag(control, 'face'),
      low: num(control, 'low_threshold'),
      high: num(control, 'high_threshold'),
    },
    controlnetConditioningScale: num(control, 'controlnet_conditioning_scale'),
    guidanceScale: num(editing, 'guidance_scale'),
    numInferenceSteps: num(editing, 'num_inference_steps'),
    modulatedPercentage: modulatedPercentage(editing, ctx),
    seed: root['seed'] === undefined || root['seed'] === null ? null : seedValue(root['seed'], 'seed', ctx),
    sampleSeeds: sampleSeeds(editing, ctx),
    flattenRes: flattenRes(editing, ctx),
    oldQk: flag(editing, 'old_qk'),
  };
}

function flattenRes(editing: Dict, ctx: Ctx): readonly number[] | null {
  const v = editing['flatten_res'];
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || !v.every((r) => typeof r === 'number' && Number.isInteger(r) && r > 0))
    fail(ctx, 'editing_config.flatten_res must be a list of positive integers (latent-size divisors, e.g. [1])');
  return v.length > 0 ? (v as number[]) : null;
}

/** Joins a YAML-relative path onto a '/'-separated base folder ('' = the config's folder), resolving ./ and ../. */
export function joinConfigPath(base: string, rel: string): string {
  if (rel.startsWith('/')) return normalize(rel);
  return normalize(base ? `${base}/${rel}` : rel);
}

function normalize(path: string): string {
  const out: string[] = [];
  for (const part of path.replace(/\\/g, '/').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else out.push(part);
  }
  return (path.startsWith('/') ? '/' : '') + out.join('/');
}
