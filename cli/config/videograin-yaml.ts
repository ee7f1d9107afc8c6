/**
 * Reads an official VideoGrain YAML config (github.com/knightyxp/VideoGrain `config/**.yaml`) into typed
 * settings. Paths inside the YAML are relative to the YAML file (DESIGN §9). Only the keys the CLI uses are
 * read; OmegaConf interpolations such as `clip_length: "${..dataset_config.n_sample_frame}"` are ignored.
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
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { CliUsageError } from '../command.ts';

export interface EditingPrompt {
  readonly target: string;
  readonly regions: readonly string[];
}

export interface VideoGrainConfig {
  readonly configPath: string;
  /** Frames folder or video file, absolute. */
  readonly framesPath: string;
  /** Source prompt (used for inversion); may be ''. */
  readonly sourcePrompt: string;
  /** Frames to edit; −1 in the YAML means every frame. */
  readonly nSampleFrame: number;
  readonly startSampleFrame: number;
  readonly samplingRate: number;
  /** Folder holding one sub-folder of `{frame:05d}.png` masks per region, absolute. */
  readonly layoutMaskDir: string;
  readonly layoutMaskOrder: readonly string[];
  readonly negativePrompt: string;
  readonly editingPrompts: readonly EditingPrompt[];
  readonly controlType: string | null;
  readonly controlnetConditioningScale: number | null;
  readonly guidanceScale: number | null;
  readonly numInferenceSteps: number | null;
  readonly modulatedPercentage: number | null;
  /** Top-level `seed`. */
  readonly seed: number | null;
  /** editing_config.sample_seeds (integers). */
  readonly sampleSeeds: readonly number[] | null;
}

type Dict = Record<string, unknown>;

const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(configPath: string, message: string): never {
  throw new CliUsageError(`${configPath}: ${message}`);
}

function section(root: Dict, key: string, configPath: string): Dict {
  const v = root[key];
  if (!isDict(v)) fail(configPath, `missing section "${key}"`);
  return v;
}

function str(d: Dict, key: string, where: string, configPath: string, fallback?: string): string {
  const v = d[key] ?? fallback;
  if (v === null || v === undefined) fail(configPath, `missing ${where}.${key}`);
  if (typeof v !== 'string' && typeof v !== 'number') fail(configPath, `${where}.${key} must be a string`);
  return String(v);
}

function int(d: Dict, key: string, where: string, configPath: string, fallback: number, min: number): number {
  const v = d[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    fail(configPath, `${where}.${key} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return v;
}

function num(d: Dict | undefined, key: string): number | null {
  const v = d?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function seedValue(v: unknown, where: string, configPath: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 2 ** 32 - 1)
    fail(configPath, `${where} must be an integer in [0, 2^32), got ${JSON.stringify(v)}`);
  return v;
}

function sampleSeeds(editing: Dict, configPath: string): number[] | null {
  const v = editing['sample_seeds'];
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || v.length === 0) fail(configPath, 'editing_config.sample_seeds must be a non-empty list');
  return v.map((s, i) => seedValue(s, `editing_config.sample_seeds[${i}]`, configPath));
}

/** The seed `edit` uses without --seed: top-level `seed`, else sample_seeds[0], else 0 (and where it came from). */
export function defaultSeed(config: Pick<VideoGrainConfig, 'seed' | 'sampleSeeds'>): { seed: number; from: string } {
  if (config.seed !== null) return { seed: config.seed, from: 'seed' };
  if (config.sampleSeeds) return { seed: config.sampleSeeds[0]!, from: 'editing_config.sample_seeds[0]' };
  return { seed: 0, from: 'default' };
}

function modulatedPercentage(editing: Dict, configPath: string): number | null {
  const v = num(editing, 'modulated_percentage');
  if (editing['modulated_percentage'] !== undefined && (v === null || v < 0 || v > 1))
    fail(configPath, `editing_config.modulated_percentage must be a number in [0, 1]`);
  return v;
}

function editingPrompts(editing: Dict, configPath: string): EditingPrompt[] {
  const list = editing['editing_prompts'];
  if (!Array.isArray(list) || list.length === 0)
    fail(configPath, 'editing_config.editing_prompts must be a non-empty list');
  return list.map((item: unknown, i) => {
    if (typeof item === 'string') return { target: item, regions: [] };
    if (!Array.isArray(item) || item.length === 0 || !item.every((p) => typeof p === 'string'))
      fail(configPath, `editing_config.editing_prompts[${i}] must be a list of strings [target, region prompts…]`);
    const [target, ...regions] = item as string[];
    return { target: target!, regions };
  });
}

/** Parses YAML text; `configPath` anchors relative paths and names the file in errors. */
export function parseVideoGrainConfig(text: string, configPath: string): VideoGrainConfig {
  let root: unknown;
  try {
    root = parse(text);
  } catch (e) {
    fail(configPath, `not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!isDict(root)) fail(configPath, 'not a VideoGrain config (expected a mapping at the top level)');
  const base = dirname(resolve(configPath));
  const data = section(root, 'dataset_config', configPath);
  const editing = section(root, 'editing_config', configPath);
  const control = isDict(root['control_config']) ? root['control_config'] : undefined;
  const order = data['layout_mask_order'];
  if (!Array.isArray(order) || !order.every((n) => typeof n === 'string' || typeof n === 'number'))
    fail(configPath, 'dataset_config.layout_mask_order must be a list of mask folder names');
  const nSample = data['n_sample_frame'] ?? 8;
  if (typeof nSample !== 'number' || !Number.isInteger(nSample) || nSample === 0 || nSample < -1)
    fail(configPath, `dataset_config.n_sample_frame must be a positive integer or -1, got ${JSON.stringify(nSample)}`);
  return {
    configPath: resolve(configPath),
    framesPath: resolve(base, str(data, 'path', 'dataset_config', configPath)),
    sourcePrompt: str(data, 'prompt', 'dataset_config', configPath, ''),
    nSampleFrame: nSample,
    startSampleFrame: int(data, 'start_sample_frame', 'dataset_config', configPath, 0, 0),
    samplingRate: int(data, 'sampling_rate', 'dataset_config', configPath, 1, 1),
    layoutMaskDir: resolve(base, str(data, 'layout_mask_dir', 'dataset_config', configPath)),
    layoutMaskOrder: order.map(String),
    // the official run_two_man config spells it "negative_promot"
    negativePrompt: String(data['negative_prompt'] ?? data['negative_promot'] ?? ''),
    editingPrompts: editingPrompts(editing, configPath),
    controlType: typeof control?.['control_type'] === 'string' ? control['control_type'] : null,
    controlnetConditioningScale: num(control, 'controlnet_conditioning_scale'),
    guidanceScale: num(editing, 'guidance_scale'),
    numInferenceSteps: num(editing, 'num_inference_steps'),
    modulatedPercentage: modulatedPercentage(editing, configPath),
    seed: root['seed'] === undefined || root['seed'] === null ? null : seedValue(root['seed'], 'seed', configPath),
    sampleSeeds: sampleSeeds(editing, configPath),
  };
}

export function readVideoGrainConfig(configPath: string): VideoGrainConfig {
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch (e) {
    throw new CliUsageError(
      `cannot read config ${configPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  return parseVideoGrainConfig(text, configPath);
}
