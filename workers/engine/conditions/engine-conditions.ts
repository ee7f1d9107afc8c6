/**
 * The engine's structure conditions (issue 16): one condition service (../edit/conditions.ts: registry + cache)
 * shared by the edit and `EngineApi.estimateConditions`, with estimator models taken from the engine's loaded
 * models (Models → Estimators) and opened on the engine's device (or wasm) for each computation, released after.
 */
import { conditionToRgba, createConditionService, APP_MISSING_HINT, type ConditionService } from '../edit/conditions';
import type { ConditionMapsRequest, ConditionMapsResult } from '../../../src/core/protocol/edit';
import { AppError } from '../../../src/core/protocol/errors';
import type { ModelsService } from '../models-service';
import type { ExecutionTarget } from '../onnx/ort';
import { openOnnxModel } from '../onnx-models/session';

export interface EngineConditions {
  readonly service: ConditionService;
  /** The maps of a condition as RGBA per frame (the preview); one at a time, cancelled by `cancel()`. */
  estimate(request: ConditionMapsRequest): Promise<ConditionMapsResult>;
  cancel(): void;
}

export function createEngineConditions(
  models: Pick<ModelsService, 'loaded'>,
  target: () => Promise<ExecutionTarget>,
): EngineConditions {
  // A reload of the same source is a new object: the cache key tells loads apart (a changed file recomputes).
  const loads = new WeakMap<object, number>();
  let nextLoad = 0;
  const loadId = (m: object) => {
    if (!loads.has(m)) loads.set(m, ++nextLoad);
    return loads.get(m)!;
  };
  const service = createConditionService({
    models: {
      loaded(kind) {
        const m = models.loaded(kind);
        if (!m) return undefined;
        return { id: `${m.info.id}#${loadId(m)}`, open: async () => openOnnxModel(m.model, await target()) };
      },
      missingHint: APP_MISSING_HINT,
    },
  });
  let running: AbortController | undefined;
  return {
    service,
    async estimate(request) {
      if (running) throw new AppError('EDIT_BUSY', 'A condition preview is being computed; wait for it or cancel it.');
      const controller = new AbortController();
      running = controller;
      try {
        const { kind, frames, width, height } = request;
        const condition = await service.compute(
          {
            kind,
            frames,
            width,
            height,
            options: request.options ?? {},
            ...(request.conditionFrames ? { conditionFrames: request.conditionFrames } : {}),
          },
          controller.signal,
        );
        return { frames: conditionToRgba(condition, frames.length, width, height), width, height };
      } finally {
        running = undefined;
      }
    },
    cancel: () => running?.abort(),
  };
}
