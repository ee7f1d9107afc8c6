/**
 * `videograin edit --backend cpu`: the engine's edit service (workers/engine/edit-service.ts, the one the app
 * calls through EngineApi.edit) run in-process on the Node CPU components (workers/engine/pipeline/
 * components-node.ts). So the CLI gets the app's request checks, condition estimators, inversion cache, events,
 * error codes and result type; only the networks' backend differs. Ctrl-C cancels the edit (CANCELLED).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CliUsageError } from '../command';
import { readClipTokenizerFiles } from '../config/tokenizer-files';
import type { EditEvent, EditRequest, EditResultData } from '../../src/core/protocol/edit';
import type { LoadedModelInfo } from '../../src/core/protocol/engine';
import type { ModelKind } from '../../src/core/models/files';
import { createEditService, type EditModel, type EditService } from '../../workers/engine/edit-service';
import { createNodeComponents, type ModelFileReader } from '../../workers/engine/pipeline/components-node';
import { fileRangeReader } from '../config/file-ranges';
import { estimatorModelsFromFolders } from '../config/condition-model';
import { createConditionService } from '../../workers/engine/edit/conditions';

export interface CpuEditModels {
  /** diffusers SD1.5 folder (text_encoder/, unet/, vae/). */
  readonly modelDir: string;
  /** ControlNet folder (config.json + diffusion_pytorch_model.safetensors). */
  readonly controlnetDir?: string;
  /** CLIP tokenizer folder (prepare.ts `tokenizerDir`). */
  readonly tokenizerDir: string;
  /** Estimator model folders for pose/depth conditions (--condition-model), run on onnxruntime's wasm backend. */
  readonly conditionModelDirs?: readonly string[];
}

/** Reads files of a model folder; a missing one is the user's (one line, exit 2). */
export function modelReader(dir: string, what: string): ModelFileReader {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliUsageError(`${what} ${dir} is not a folder`);
  const existing = (rel: string) => {
    const file = join(dir, rel);
    if (!existsSync(file)) throw new CliUsageError(`${what} ${dir} has no ${rel}`);
    return file;
  };
  // Configs are read whole; weights stream per tensor by file reads at an offset (no whole-file buffer).
  return Object.assign((rel: string) => new Uint8Array(readFileSync(existing(rel))), {
    open: (rel: string) => fileRangeReader(existing(rel)),
    exists: (rel: string) => existsSync(join(dir, rel)),
  });
}

interface FolderModel extends EditModel {
  readonly read: ModelFileReader;
}

function folderModel(kind: ModelKind, dir: string, what: string): FolderModel {
  const info: LoadedModelInfo = {
    kind,
    // The inversion cache key includes the model id: the folder's name, as a local folder in the app.
    id: basename(dir),
    remote: false,
    precision: 'fp32',
    bytes: 0,
    files: 0,
    fromCache: false,
    summary: dir,
  };
  return { info, read: modelReader(dir, what) };
}

/** The app's edit service over local folders and the Node CPU components. */
export function createCpuEditService(models: CpuEditModels): EditService {
  const sd = folderModel('sd15', models.modelDir, 'model');
  const controlnet = models.controlnetDir ? folderModel('controlnet', models.controlnetDir, 'controlnet') : undefined;
  const tokenizerFiles = readClipTokenizerFiles(models.tokenizerDir);
  return createEditService<FolderModel>({
    models: {
      loaded: (kind) => (kind === 'sd15' ? sd : kind === 'controlnet' ? controlnet : undefined),
      tokenizerFiles: () => Promise.resolve(tokenizerFiles),
    },
    conditions: createConditionService({ models: estimatorModelsFromFolders(models.conditionModelDirs ?? []) }),
    createComponents: (m) =>
      Promise.resolve(
        createNodeComponents({ sd: m.sd.read, ...(m.controlnet ? { controlnet: m.controlnet.read } : {}) }),
      ),
  });
}

/**
 * Runs one edit and releases the compiled networks. Engine errors are thrown as they are (AppError with the
 * catalog's code; errors.ts turns them into the CLI's exits).
 */
export async function runCpuEdit(
  request: EditRequest,
  models: CpuEditModels,
  onEvent?: (event: EditEvent) => void,
): Promise<EditResultData> {
  const service = createCpuEditService(models);
  const onSigint = () => service.cancel();
  process.on('SIGINT', onSigint);
  try {
    return await service.edit(request, onEvent);
  } finally {
    process.off('SIGINT', onSigint);
    await service.releaseCache();
  }
}
