/**
 * The engine as a plain object: the worker exposes it with Comlink, tests and tooling call it in-thread.
 * It owns the one GPUDevice; device loss is reported, never hidden, and a later init() starts over.
 */
import type { EngineApi, EngineStatus } from '../../src/core/protocol/engine';
import { GpuUnavailableError, acquireDevice, adapterLabel, type AcquiredDevice } from './gpu/device';
import { createModelsService, type ModelsService } from './models-service';
import type { OpfsModelCache } from './weights/cache';
import { AppError } from '../../src/core/protocol/errors';

export interface EngineDeps {
  readonly acquire: typeof acquireDevice;
  /** The model cache (default: OPFS folder `videograin-models`); tests pass their own. */
  readonly modelCache?: OpfsModelCache;
}

export interface Engine extends EngineApi {
  /** The device, for in-thread users (pipeline modules); undefined until init() succeeded. */
  readonly gpu: AcquiredDevice | undefined;
  /** Loaded models, for in-thread users (graph builder, pipeline). */
  readonly models: ModelsService;
}

export function createEngineApi(deps: EngineDeps = { acquire: acquireDevice }): Engine {
  let acquired: AcquiredDevice | undefined;
  let pending: Promise<EngineStatus> | undefined;
  const listeners = new Set<(s: EngineStatus) => void>();
  const emit = (s: EngineStatus) => listeners.forEach((l) => l(s));

  async function start(): Promise<EngineStatus> {
    try {
      const got = await deps.acquire();
      acquired = got;
      void got.device.lost.then((info) => {
        if (acquired !== got) return;
        acquired = undefined;
        pending = undefined;
        emit({
          state: 'lost',
          reason: info.reason,
          message:
            info.reason === 'destroyed'
              ? 'The GPU device was closed.'
              : `The GPU device was lost (${info.message || 'driver reset'}). Work in progress was stopped; your project is intact — press Retry.`,
        });
      });
      return { state: 'ready', gpu: got.capabilities, adapterLabel: adapterLabel(got.capabilities) };
    } catch (e) {
      pending = undefined;
      if (e instanceof GpuUnavailableError) return { state: 'unavailable', code: e.code, message: e.message };
      return { state: 'unavailable', code: 'device-request-failed', message: (e as Error).message };
    }
  }

  const init = (): Promise<EngineStatus> => (pending ??= start());
  const models = createModelsService({
    ...(deps.modelCache ? { cache: deps.modelCache } : {}),
    shaderF16: async () => {
      const s = await init();
      return s.state === 'ready' && s.gpu.shaderF16;
    },
  });

  return {
    get gpu() {
      return acquired;
    },
    models,
    init,
    onStatusChange(callback) {
      listeners.add(callback);
    },
    async gpuBytesInUse() {
      return 0;
    },
    loadModel: (spec, onProgress) => models.load(spec, onProgress),
    async cancelLoad() {
      models.cancel();
    },
    listCachedModels: () => models.list(),
    deleteCachedModels: (id) => models.delete(id),
    getTokenizerFiles: () => models.tokenizerFiles(),
    // Wired to workers/engine/edit-service.ts by the edit work (issue 7).
    edit: () => Promise.reject(new AppError('EDIT_UNAVAILABLE', 'Editing is not wired into the engine yet.')),
    cancelEdit: async () => undefined,
    releaseEditCache: async () => undefined,
  };
}
