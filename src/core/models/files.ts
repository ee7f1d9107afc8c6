/**
 * The files a model needs, in diffusers layout (DESIGN §4). Each required file has candidates in order of
 * preference: the fp16 variant first (half the download), the fp32 file when the repo has no fp16 one.
 * Tokenizer: `vocab.json` + `merges.txt`, or `tokenizer.json`. PyTorch `.bin` (pickle) weights are not
 * loaded: a folder that only has them is refused naming the file (resolve.ts).
 */

import { ONNX_MODELS, isOnnxModelKind, type OnnxModelKind } from './onnx-models';

/** Diffusers-layout checkpoints (safetensors + config.json), built into graphs by the engine. */
export type DiffusersModelKind = 'sd15' | 'controlnet';
/** Models shipped as ONNX files (estimators, optical flow, segmenter): ./onnx-models.ts. */
export type ModelKind = DiffusersModelKind | OnnxModelKind;
export type WeightsPrecision = 'fp16' | 'fp32';

export interface FileRequirement {
  /** What the file is for ("unet.weights"); the key of the resolved file map. */
  readonly role: string;
  /** Candidate paths, most preferred first; the first one the source has is used. */
  readonly candidates: readonly string[];
  /** Safetensors weights get their header validated. */
  readonly weights: boolean;
  /** The PyTorch pickle files of the same weights (`.bin`): never loaded, only named when they are all there is. */
  readonly pickles?: readonly string[];
}

/** One requirement satisfied by any of several file sets (the tokenizer). */
export interface AlternativeRequirement {
  readonly role: string;
  readonly alternatives: readonly (readonly string[])[];
}

/** transformers saves `model.safetensors` but `pytorch_model.bin`; diffusers uses one stem for both. */
function pickleCandidates(dir: string, stem: string): string[] {
  const prefix = dir ? `${dir}/` : '';
  const binStem = stem === 'model' ? 'pytorch_model' : stem;
  return [`${prefix}${binStem}.bin`, `${prefix}${binStem}.fp16.bin`];
}

function weightsCandidates(dir: string, stem: string, precision: WeightsPrecision): string[] {
  const prefix = dir ? `${dir}/` : '';
  const fp16 = `${prefix}${stem}.fp16.safetensors`;
  const fp32 = `${prefix}${stem}.safetensors`;
  return precision === 'fp16' ? [fp16, fp32] : [fp32, fp16];
}

export function requiredFiles(kind: ModelKind, precision: WeightsPrecision = 'fp16'): FileRequirement[] {
  if (isOnnxModelKind(kind))
    return ONNX_MODELS[kind].files.map((f) => ({ role: f.role, candidates: f.candidates, weights: false }));
  const config = (role: string, path: string): FileRequirement => ({ role, candidates: [path], weights: false });
  const weights = (role: string, dir: string, stem: string): FileRequirement => ({
    role,
    candidates: weightsCandidates(dir, stem, precision),
    weights: true,
    pickles: pickleCandidates(dir, stem),
  });
  if (kind === 'controlnet')
    return [config('controlnet.config', 'config.json'), weights('controlnet.weights', '', 'diffusion_pytorch_model')];
  return [
    config('model_index', 'model_index.json'),
    config('unet.config', 'unet/config.json'),
    weights('unet.weights', 'unet', 'diffusion_pytorch_model'),
    config('text_encoder.config', 'text_encoder/config.json'),
    weights('text_encoder.weights', 'text_encoder', 'model'),
    config('vae.config', 'vae/config.json'),
    weights('vae.weights', 'vae', 'diffusion_pytorch_model'),
    config('scheduler.config', 'scheduler/scheduler_config.json'),
  ];
}

export function alternativeFiles(kind: ModelKind): AlternativeRequirement[] {
  if (kind !== 'sd15') return [];
  return [
    {
      role: 'tokenizer',
      alternatives: [['tokenizer/vocab.json', 'tokenizer/merges.txt'], ['tokenizer/tokenizer.json']],
    },
  ];
}

/** Which path was chosen for each role (after probing the source). */
export interface ResolvedFile {
  readonly role: string;
  readonly path: string;
  readonly size: number;
  readonly sha256?: string;
  readonly etag?: string;
  readonly weights: boolean;
}
