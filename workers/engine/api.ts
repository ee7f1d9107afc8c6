/**
 * The engine as a plain object: the worker exposes it with Comlink, tests and tooling call it in-thread.
 * It owns the one GPUDevice; device loss is reported, never hidden, and a later init() starts over.
 */
import type { EditEvent, EditResultData } from '../../src/core/protocol/edit';
import type { EngineApi, EngineStatus } from '../../src/core/protocol/engine';
import { AppError } from '../../src/core/protocol/errors';
import { Comlink } from '../../src/core/protocol/rpc';
import { createEditService, type EditModels } from './edit-service';
import { createEngineConditions } from './conditions/engine-conditions';
import { planModelOf } from '../../src/core/plan/model';
import { DEFAULT_MEMORY_BUDGET_BYTES } from './edit/memory-check';
import { trackDeviceBuffers } from './gpu/buffer-tracker';
import { GpuUnavailableError, acquireDevice, adapterLabel, type AcquiredDevice } from './gpu/device';
import { runInfer } from './infer-service';
import { createSegmentService } from './segment/service';
import { flowsFromLoadedRaft } from './flow/edit-flows';
import { createModelsService, type LoadedModel, type ModelsService } from './models-service';
import { gpuAttentionBackend } from './onnx/gpu-attention';
import { tuneAttentionAtStart, type AttentionTuningOptions } from './kernels/attention/engine-tuning';
import type { Components } from './pipeline/components';
import { createWebGpuComponents, modelFilesOf } from './pipeline/components-webgpu';
import type { OpfsModelCache } from './weights/cache';

/** Compiles an edit's networks on the engine's device. */
export type EditComponentsFactory = (device: GPUDevice, models: EditModels<LoadedModel>) => Promise<Components>;

export interface EngineDeps {
  readonly acquire: typeof acquireDevice;
  /** The model cache (default: OPFS folder `videograin-models`); tests pass their own. */
  readonly modelCache?: OpfsModelCache;
  /** The edit's networks (default: WebGPU components of the loaded models). */
  readonly editComponents?: EditComponentsFactory;
  /** Most GPU bytes an edit's memory plan may need (default DEFAULT_MEMORY_BUDGET_BYTES, edit/memory-check.ts). */
  readonly memoryBudgetBytes?: number;
  /**
   * Attention tile tuning at start (kernels/attention/engine-tuning.ts): default 'sweep' on hardware adapters
   * (cached per adapter in IndexedDB), cached choices only on software adapters; overrides by target key.
   */
  readonly attentionTuning?: AttentionTuningOptions;
}

const webGpuEditComponents: EditComponentsFactory = (device, models) =>
  createWebGpuComponents(device, {
    sd: modelFilesOf(models.sd.model),
    ...(models.controlnet ? { controlnet: modelFilesOf(models.controlnet.model) } : {}),
  });

/** Bulk arrays of an event or a result, moved (not copied) across the worker boundary. */
function eventTransfers(event: EditEvent): Transferable[] {
  return event.kind === 'preview' ? [event.rgba.buffer as ArrayBuffer] : [];
}

function resultTransfers(result: EditResultData): Transferable[] {
  const buffers: ArrayBufferLike[] = result.frames.map((f) => f.buffer);
  result.attentionMaps?.forEach((m) => buffers.push(m.data.buffer));
  if (result.latents) buffers.push(result.latents.z0.buffer, result.latents.xT.buffer, result.latents.final.buffer);
  return [...new Set(buffers)] as Transferable[];
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
  /** The device's attention tile tuning, started with the device; networks are built after it settles. */
  let tuning: Promise<unknown> = Promise.resolve();
  const listeners = new Set<(s: EngineStatus) => void>();
  const emit = (s: EngineStatus) => listeners.forEach((l) => l(s));

  async function start(): Promise<EngineStatus> {
    try {
      const got = await deps.acquire();
      acquired = got;
      trackDeviceBuffers(got.device);
      const label = adapterLabel(got.capabilities);
      tuning = tuneAttentionAtStart(
        got.device,
        { label, software: got.capabilities.isFallbackAdapter || /swiftshader/i.test(label) },
        deps.attentionTuning,
      );
      void got.device.lost.then((info) => {
        if (acquired !== got) return;
        acquired = undefined;
        pending = undefined;
        editing.cancel();
        void editing.releaseComponents();
        emit({
          state: 'lost',
          reason: info.reason,
          message:
            info.reason === 'destroyed'
              ? 'The GPU device was closed.'
              : `The GPU device was lost (${info.message || 'driver reset'}). Work in progress was stopped; your project is intact — press Retry.`,
        });
      });
      const ready: EngineStatus = {
        state: 'ready',
        gpu: got.capabilities,
        adapterLabel: adapterLabel(got.capabilities),
      };
      // After a loss, the next init (e.g. from an edit) acquires a new device: listeners hear the engine is back.
      emit(ready);
      return ready;
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
  const editComponents = deps.editComponents ?? webGpuEditComponents;
  // Structure conditions (issue 16): estimators on the engine's device (wasm without one), one cache for both.
  const conditions = createEngineConditions(models, async () => {
    const s = await init();
    return s.state === 'ready' && acquired ? { kind: 'webgpu', device: acquired.device } : { kind: 'cpu' };
  });
  const editing = createEditService<LoadedModel>({
    models,
    conditions: conditions.service,
    createComponents: async (m) => {
      const status = await init();
      if (status.state !== 'ready' || !acquired)
        throw new AppError(
          'GPU_UNAVAILABLE',
          status.state === 'unavailable' || status.state === 'lost'
            ? status.message
            : 'The GPU device is not ready; reload the page.',
        );
      trackDeviceBuffers(acquired.device).ensure();
      await tuning;
      return editComponents(acquired.device, m);
    },
    // FLATTEN without given flows: RAFT on the engine's device (or wasm without one).
    flows: flowsFromLoadedRaft(models, async () => {
      const s = await init();
      return s.state === 'ready' && acquired ? { kind: 'webgpu', device: acquired.device } : { kind: 'cpu' };
    }),
    // The memory plan is checked before each edit; the measured peak comes from the device's buffer tracker.
    memory: {
      planModel: (sd, controlnet) => planModelOf(sd.model, controlnet?.model),
      async device() {
        await init();
        if (!acquired) return undefined;
        const { limits } = acquired.device;
        const tracker = trackDeviceBuffers(acquired.device);
        return {
          limits: {
            maxBufferSize: limits.maxBufferSize,
            maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
            budgetBytes: deps.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES,
          },
          watchPeak: () => tracker.watchPeak(),
        };
      },
    },
  });
  // Click to segment and track (issue 18): on the engine's device, or onnxruntime's wasm backend without one.
  const segmenting = createSegmentService({
    models,
    target: async () => {
      const s = await init();
      return s.state === 'ready' && acquired ? { kind: 'webgpu', device: acquired.device } : { kind: 'cpu' };
    },
  });
  /** Compiled networks of the old models must go when the models change. */
  const afterModelChange = async <T>(work: Promise<T>): Promise<T> => {
    try {
      return await work;
    } finally {
      await editing.releaseComponents();
    }
  };

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
      return acquired ? trackDeviceBuffers(acquired.device).liveBytes() : 0;
    },
    loadModel: (spec, onProgress) => afterModelChange(models.load(spec, onProgress)),
    async cancelLoad() {
      models.cancel();
    },
    listCachedModels: () => models.list(),
    deleteCachedModels: (id) => afterModelChange(models.delete(id)),
    getTokenizerFiles: () => models.tokenizerFiles(),
    async edit(request, onEvent) {
      const forward = onEvent
        ? (event: EditEvent) => {
            // Across the worker, onEvent is a Comlink proxy: its promise must not become an unhandled rejection.
            const sent = onEvent(Comlink.transfer(event, eventTransfers(event))) as unknown;
            if (sent instanceof Promise) sent.catch(() => undefined);
          }
        : undefined;
      const result = await editing.edit(request, forward);
      return Comlink.transfer(result, resultTransfers(result));
    },
    async cancelEdit() {
      editing.cancel();
      conditions.cancel();
    },
    async estimateConditions(request) {
      const result = await conditions.estimate(request);
      return Comlink.transfer(
        result,
        result.frames.map((f) => f.buffer as ArrayBuffer),
      );
    },
    async setEditPreviewFrame(frame) {
      editing.setPreviewFrame(frame);
    },
    releaseEditCache: () => editing.releaseCache(),
    segment: (request) => segmenting.segment(request),
    track: (request, onEvent) => segmenting.track(request, onEvent),
    cancelTrack: () => segmenting.cancelTrack(),
    releaseSegmenter: () => segmenting.releaseSegmenter(),
    async infer(request) {
      const status = await init();
      if (status.state !== 'ready' || !acquired)
        throw new AppError('GPU_UNAVAILABLE', 'message' in status ? status.message : 'The GPU device is not ready.');
      const { device } = acquired;
      trackDeviceBuffers(device).ensure();
      await tuning;
      const sd = models.loaded('sd15');
      const controlnet = models.loaded('controlnet');
      const attention = gpuAttentionBackend(device);
      try {
        const result = await runInfer(
          {
            ...(sd ? { sd: modelFilesOf(sd.model).read } : {}),
            ...(controlnet ? { controlnet: modelFilesOf(controlnet.model).read } : {}),
          },
          request,
          { target: { kind: 'webgpu', device }, attention },
        );
        return Comlink.transfer(
          result,
          Object.values(result.outputs).map((t) => t.data.buffer as ArrayBuffer),
        );
      } finally {
        attention.release();
      }
    },
  };
}
