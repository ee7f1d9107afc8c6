/**
 * What a loaded model is to its users (the edit, estimators, flow, segmenter), as types only: Node code (the CLI,
 * unit tests) can name them without pulling in the browser-only models service (OPFS cache, fetch).
 */
import type { ModelKind } from '../../src/core/models/files';
import type { ValidatedModel } from '../../src/core/models/validate';
import type { LoadedModelInfo } from '../../src/core/protocol/engine';

export interface LoadedModel {
  readonly info: LoadedModelInfo;
  readonly model: ValidatedModel;
}

/** The loaded models by kind (workers/engine/models-service.ts in the engine; folders read in place in the CLI). */
export interface LoadedModels {
  loaded(kind: ModelKind): LoadedModel | undefined;
}
