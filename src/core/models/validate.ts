/**
 * Validation of a model on load (DESIGN §4, §7), on any ModelSource, reading only configs and the first bytes
 * of each weights file:
 * - every required file is present (resolve.ts) and has the size the source announced;
 * - config.json files parse and name a supported architecture (configs.ts);
 * - each safetensors header is valid by the one shared validator (src/core/tensors/safetensors.ts: length,
 *   JSON, duplicates, dtypes, shapes, offsets) and its tensors cover exactly the file's data section: a file
 *   shorter than its header implies is MODEL_TRUNCATED; offsets out of bounds, gaps, overlaps, trailing bytes
 *   or a bad shape are MODEL_HEADER_INVALID.
 */
import { parseHeader, readHeaderLength, SafetensorsError, type SafetensorsHeader } from '../tensors/safetensors';
import {
  parseControlNetConfig,
  parseTextEncoderConfig,
  parseUNetConfig,
  parseVaeConfig,
  type ControlNetConfig,
  type TextEncoderConfig,
  type UNetConfig,
  type VaeConfig,
} from './configs';
import { ModelError } from './errors';
import { parseSchedulerConfig } from '../schedule/config';
import type { ScheduleConfig } from '../schedule/schedule';
import type { ModelKind, ResolvedFile } from './files';
import { isOnnxModelKind } from './onnx-models';
import type { ModelSource } from './source';

export interface ModelConfigs {
  readonly unet?: UNetConfig;
  readonly textEncoder?: TextEncoderConfig;
  readonly vae?: VaeConfig;
  readonly controlnet?: ControlNetConfig;
  /** The checkpoint's scheduler_config.json (DDIM reading; unsupported values refused at load). */
  readonly scheduler?: ScheduleConfig;
}

export interface ValidatedModel {
  readonly kind: ModelKind;
  readonly source: ModelSource;
  /** Resolved files by role ("unet.weights", "unet.config", "tokenizer.vocab.json", …). */
  readonly files: ReadonlyMap<string, ResolvedFile>;
  /** Parsed safetensors headers by weights role. */
  readonly headers: ReadonlyMap<string, SafetensorsHeader>;
  /** Raw config JSON by config role, for the graph builder. */
  readonly rawConfigs: ReadonlyMap<string, unknown>;
  readonly configs: ModelConfigs;
}

async function readJson(source: ModelSource, path: string, signal?: AbortSignal): Promise<unknown> {
  const bytes = await source.read(path, undefined, signal);
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new ModelError('MODEL_CONFIG_INVALID', `${path} is not valid JSON (${(e as Error).message})`, { file: path });
  }
}

/** Reads and checks a safetensors header with two small range reads. */
export async function validateSafetensorsFile(
  source: ModelSource,
  path: string,
  size: number,
  signal?: AbortSignal,
): Promise<SafetensorsHeader> {
  const invalid = (why: string) =>
    new ModelError(
      'MODEL_HEADER_INVALID',
      `${path}: invalid safetensors file (${why}). Delete the cached model and download it again, or use a trusted source.`,
      { file: path },
    );
  try {
    const prefix = await source.read(path, { start: 0, end: Math.min(8, size) }, signal);
    const n = readHeaderLength(prefix, size);
    const json = await source.read(path, { start: 8, end: 8 + n }, signal);
    if (json.byteLength !== n) throw invalid(`read ${json.byteLength} of ${n} header bytes`);
    // The shared validator (src/core/tensors/safetensors.ts) checks the layout against the real size.
    return parseHeader(json, size);
  } catch (e) {
    if (e instanceof SafetensorsError && e.code === 'SAFETENSORS_TRUNCATED')
      throw new ModelError(
        'MODEL_TRUNCATED',
        `${path} is ${e.message}. Delete the cached model and download it again.`,
        { file: path, ...e.details },
      );
    if (e instanceof SafetensorsError) throw invalid(e.message);
    throw e;
  }
}

const LFS_POINTER = 'version https://git-lfs';

/**
 * A cheap check that a file is an ONNX model (a protobuf `ModelProto`), reading its first bytes: the first field
 * tag must be one of ModelProto's (ir_version, opset_import, producer_name, …: field 1–20, varint or
 * length-delimited). Git LFS pointer files (what a clone without LFS holds) are named as such. The input/output
 * names are checked when the engine opens the session (workers/engine/onnx-models/session.ts).
 */
export async function validateOnnxFile(
  source: ModelSource,
  path: string,
  size: number,
  signal?: AbortSignal,
): Promise<void> {
  const head = await source.read(path, { start: 0, end: Math.min(64, size) }, signal);
  const text = new TextDecoder().decode(head);
  if (text.startsWith(LFS_POINTER))
    throw new ModelError(
      'MODEL_HEADER_INVALID',
      `${path} is a Git LFS pointer, not the model: fetch the real file (git lfs pull) or download it from the model's page.`,
      { file: path },
    );
  const tag = head[0] ?? 0;
  const field = tag >> 3;
  const wire = tag & 7;
  if (size < 16 || field < 1 || field > 20 || (wire !== 0 && wire !== 2))
    throw new ModelError(
      'MODEL_HEADER_INVALID',
      `${path} is not an ONNX model (it does not start like one). Check the file, or delete the cached model and download it again.`,
      { file: path },
    );
}

export async function validateModel(
  source: ModelSource,
  kind: ModelKind,
  files: readonly ResolvedFile[],
  signal?: AbortSignal,
): Promise<ValidatedModel> {
  const byRole = new Map(files.map((f) => [f.role, f]));
  const rawConfigs = new Map<string, unknown>();
  for (const f of files) {
    const stat = await source.stat(f.path);
    if (!stat) throw new ModelError('MODEL_FILE_NOT_FOUND', `${source.id} has no ${f.path}.`, { file: f.path });
    if (stat.size !== f.size)
      throw new ModelError(
        'MODEL_TRUNCATED',
        `${f.path} has ${stat.size} bytes, ${f.size} expected. Delete the cached model and download it again.`,
        { file: f.path, expected: f.size, actual: stat.size },
      );
    if (f.path.endsWith('.json') && f.role !== 'tokenizer.tokenizer.json' && f.role !== 'tokenizer.vocab.json')
      rawConfigs.set(f.role, await readJson(source, f.path, signal));
  }
  const cfg = (role: string) => rawConfigs.get(role);
  const pathOf = (role: string) => byRole.get(role)?.path;
  if (isOnnxModelKind(kind)) {
    for (const f of files) await validateOnnxFile(source, f.path, f.size, signal);
    return { kind, source, files: byRole, headers: new Map(), rawConfigs, configs: {} };
  }
  const configs: ModelConfigs =
    kind === 'controlnet'
      ? { controlnet: parseControlNetConfig(cfg('controlnet.config'), pathOf('controlnet.config')) }
      : {
          unet: parseUNetConfig(cfg('unet.config'), pathOf('unet.config')),
          textEncoder: parseTextEncoderConfig(cfg('text_encoder.config'), pathOf('text_encoder.config')),
          vae: parseVaeConfig(cfg('vae.config'), pathOf('vae.config')),
          scheduler: parseSchedulerConfig(cfg('scheduler.config'), pathOf('scheduler.config')),
        };
  const headers = new Map<string, SafetensorsHeader>();
  for (const f of files)
    if (f.weights) headers.set(f.role, await validateSafetensorsFile(source, f.path, f.size, signal));
  return { kind, source, files: byRole, headers, rawConfigs, configs };
}
