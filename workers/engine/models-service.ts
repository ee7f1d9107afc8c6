/**
 * The engine's model-management face (DESIGN §4, §7): turns a plain-data ModelSpec into a ModelSource,
 * opens it through ./weights/load.ts (download into the OPFS cache, or validate a local folder in place),
 * keeps the loaded models for the pipeline, and lists / deletes the cache. One load runs at a time; a new
 * load or `cancel()` aborts the previous one.
 */
import type {
  CachedModelInfo,
  LoadedModelInfo,
  ModelLoadProgress,
  ModelSourceSpec,
  ModelSpec,
} from '../../src/core/protocol/engine';
import { AppError } from '../../src/core/protocol/errors';
import type { ModelKind, WeightsPrecision } from '../../src/core/models/files';
import { isHuggingFaceRepoId, type ModelSource, type RemoteSourceSpec } from '../../src/core/models/source';
import { DEFAULT_SD15_REPO } from '../../src/core/models/catalog';
import { ONNX_MODELS, ONNX_MODEL_KINDS, isOnnxModelKind } from '../../src/core/models/onnx-models';
import type { ValidatedModel } from '../../src/core/models/validate';
import type { ClipTokenizerFiles } from '../../src/core/tokenizer/clip';
import { OpfsModelCache } from './weights/cache';
import { HttpModelSource } from './weights/http-source';
import { DirectoryModelSource, FileListModelSource } from './weights/local-source';
import { openModel } from './weights/load';
import type { LoadedModel } from './loaded-models';

export interface ModelsServiceDeps {
  readonly cache?: OpfsModelCache;
  /** Whether the engine's device has shader-f16 (decides 'auto' precision). */
  readonly shaderF16: () => Promise<boolean>;
}

export type { LoadedModel } from './loaded-models';

export interface ModelsService {
  load(spec: ModelSpec, onProgress?: (p: ModelLoadProgress) => void): Promise<LoadedModelInfo>;
  cancel(): void;
  list(): Promise<CachedModelInfo[]>;
  delete(id?: string): Promise<void>;
  tokenizerFiles(): Promise<ClipTokenizerFiles>;
  /** The validated model of a kind, for in-thread users (graph builder, pipeline). */
  loaded(kind: ModelKind): LoadedModel | undefined;
}

export function toSource(spec: ModelSourceSpec): ModelSource {
  if (spec.type === 'hf' || spec.type === 'url') {
    const remote: RemoteSourceSpec =
      spec.type === 'hf'
        ? {
            kind: 'huggingface',
            repo: spec.repo,
            ...(spec.revision ? { revision: spec.revision } : {}),
            ...(spec.endpoint ? { endpoint: spec.endpoint } : {}),
          }
        : { kind: 'url', baseUrl: spec.baseUrl };
    if (spec.type === 'hf' && !isHuggingFaceRepoId(spec.repo))
      throw new AppError(
        'MODEL_SOURCE_INVALID',
        `"${spec.repo}" is not a Hugging Face repo id: write it as owner/name (for example ${DEFAULT_SD15_REPO}).`,
      );
    if (spec.type === 'url' && !/^https?:\/\/[^/]/i.test(spec.baseUrl))
      throw new AppError('MODEL_SOURCE_INVALID', `"${spec.baseUrl}" is not an http(s) URL.`);
    return new HttpModelSource(remote, undefined, { inPlace: spec.type === 'url' && spec.inPlace === true });
  }
  if ('handle' in spec) return new DirectoryModelSource(spec.handle as FileSystemDirectoryHandle);
  if (spec.files.length === 0) throw new AppError('MODEL_SOURCE_INVALID', 'The chosen folder is empty.');
  return FileListModelSource.fromFiles(spec.files, spec.name);
}

function summarize(model: ValidatedModel): string {
  if (isOnnxModelKind(model.kind)) {
    const spec = ONNX_MODELS[model.kind];
    return `${spec.label}, ${spec.files.length} ONNX file${spec.files.length > 1 ? 's' : ''}`;
  }
  const c = model.configs;
  if (c.controlnet)
    return `ControlNet, ${c.controlnet.blockOutChannels.join('/')} channels, ${c.controlnet.conditioningChannels}-channel condition`;
  const unet = c.unet ? `UNet ${c.unet.blockOutChannels.join('/')}` : 'UNet';
  const text = c.textEncoder ? `, text encoder ${c.textEncoder.numHiddenLayers}×${c.textEncoder.hiddenSize}` : '';
  return `${unet}${text}`;
}

/** fp16 when any weights file chosen is an `.fp16.` variant (the resolver falls back to fp32 files). */
function weightsPrecision(model: ValidatedModel): WeightsPrecision {
  return [...model.files.values()].some((f) => f.weights && f.path.includes('.fp16.')) ? 'fp16' : 'fp32';
}

const KINDS: readonly ModelKind[] = ['sd15', 'controlnet', ...ONNX_MODEL_KINDS];
const PRECISIONS: readonly WeightsPrecision[] = ['fp16', 'fp32'];

export function createModelsService(deps: ModelsServiceDeps): ModelsService {
  const cache = deps.cache ?? new OpfsModelCache();
  const loaded = new Map<ModelKind, LoadedModel>();
  let current: AbortController | undefined;

  async function readText(model: ValidatedModel, role: string): Promise<string | undefined> {
    const file = model.files.get(role);
    if (!file) return undefined;
    return new TextDecoder().decode(await model.source.read(file.path));
  }

  return {
    async load(spec, onProgress) {
      current?.abort();
      const controller = new AbortController();
      current = controller;
      try {
        // ONNX exports carry their own element types: one cache manifest, whatever the adapter.
        const precision: WeightsPrecision = isOnnxModelKind(spec.kind)
          ? 'fp32'
          : spec.precision === 'auto'
            ? (await deps.shaderF16())
              ? 'fp16'
              : 'fp32'
            : spec.precision;
        const source = toSource(spec.source);
        let fromCache = false;
        const model = await openModel(source, cache, {
          kind: spec.kind,
          precision,
          signal: controller.signal,
          onProgress: (p) => {
            if (p.fromCache) fromCache = true;
            onProgress?.(p);
          },
        });
        const files = [...model.files.values()];
        const info: LoadedModelInfo = {
          kind: spec.kind,
          id: source.id,
          remote: source.remote,
          precision: weightsPrecision(model),
          bytes: files.reduce((a, f) => a + f.size, 0),
          files: files.length,
          fromCache,
          summary: summarize(model),
        };
        loaded.set(spec.kind, { info, model });
        return info;
      } finally {
        if (current === controller) current = undefined;
      }
    },
    cancel() {
      current?.abort();
    },
    async list() {
      const out: CachedModelInfo[] = [];
      for (const { sourceId, bytes } of await cache.list()) {
        const complete: { kind: ModelKind; precision: WeightsPrecision }[] = [];
        const paths = new Set<string>();
        for (const kind of KINDS)
          for (const precision of PRECISIONS) {
            const m = await cache.readManifest(sourceId, kind, precision);
            if (!m) continue;
            m.files.forEach((f) => paths.add(f.path));
            if (m.complete) complete.push({ kind, precision });
          }
        out.push({ id: sourceId, bytes, files: paths.size, complete });
      }
      return out;
    },
    async delete(id) {
      current?.abort();
      // A loaded model read from the deleted cache folder would fail on its next read: forget it.
      for (const [kind, m] of loaded) if (m.info.remote && (id === undefined || m.info.id === id)) loaded.delete(kind);
      if (id === undefined) await cache.deleteAll();
      else await cache.delete(id);
    },
    async tokenizerFiles() {
      const sd = loaded.get('sd15');
      if (!sd) throw new AppError('MODEL_NOT_LOADED', 'Load a Stable Diffusion 1.5 model first.');
      const tokenizerJson = await readText(sd.model, 'tokenizer.tokenizer.json');
      if (tokenizerJson !== undefined) return { tokenizerJson };
      const vocabJson = await readText(sd.model, 'tokenizer.vocab.json');
      const merges = await readText(sd.model, 'tokenizer.merges.txt');
      if (vocabJson === undefined || merges === undefined)
        throw new AppError('MODEL_FILE_NOT_FOUND', `${sd.info.id} has no tokenizer files.`);
      return { vocabJson, merges };
    },
    loaded: (kind) => loaded.get(kind),
  };
}
