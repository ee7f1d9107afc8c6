/**
 * Estimator models for the CLI's structure conditions (issue 16): `--condition-model <dir>` (repeatable; a folder
 * per model: DWPose's yolox_l.onnx + dw-ll_ucoco_384.onnx, or a MiDaS / ZoeDepth export) validated like any model
 * source and opened in Node on onnxruntime's wasm backend, so `videograin condition` and `videograin edit` compute
 * the maps with the engine's own estimators (workers/engine/edit/conditions.ts). A folder is matched to the model a
 * condition needs by its files (src/core/models/onnx/<kind>.ts candidates); none matching is CONDITION_UNAVAILABLE
 * naming the model and the option.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ESTIMATOR_LABELS, estimatorModelOf, type EstimatorModelKind } from '../../src/core/conditions/kinds';
import type { EditRequest } from '../../src/core/protocol/edit';
import { ONNX_MODELS } from '../../src/core/models/onnx-models';
import { resolveModelFiles } from '../../src/core/models/resolve';
import { validateModel } from '../../src/core/models/validate';
import { CliUsageError } from '../command';
import {
  conditionInputOf,
  conditionToRgba,
  createConditionService,
  type EstimatedKind,
  type EstimatorModelSource,
} from '../../workers/engine/edit/conditions';
import { openOnnxModel } from '../../workers/engine/onnx-models/session';
import { NodeFolderSource } from './file-ranges';

/** Which folders hold each estimator's files (the first file role's first candidate that exists decides). */
function holds(dir: string, kind: EstimatorModelKind): boolean {
  return ONNX_MODELS[kind].files.every((f) => f.candidates.some((c) => existsSync(join(dir, c))));
}

/**
 * The estimator models in `dirs`. MiDaS and ZoeDepth exports share a layout (`onnx/model.onnx`): a folder with it
 * serves whichever depth model the condition asks for (the user names the right folder).
 */
export function estimatorModelsFromFolders(dirs: readonly string[], flag = '--condition-model'): EstimatorModelSource {
  for (const d of dirs)
    if (!existsSync(d) || !statSync(d).isDirectory())
      throw new CliUsageError(`${flag} ${d}: not a folder (give the estimator model's folder)`);
  return {
    loaded(kind) {
      const dir = dirs.find((d) => holds(d, kind) && (kind === 'dwpose' || !holds(d, 'dwpose')));
      if (!dir) return undefined;
      return {
        id: `${dir}:${kind}`,
        async open() {
          const source = new NodeFolderSource(dir);
          const model = await validateModel(source, kind, await resolveModelFiles(source, kind));
          return openOnnxModel(model, { kind: 'cpu' });
        },
      };
    },
    missingHint(kind: EstimatorModelKind, condition: EstimatedKind) {
      const files = ONNX_MODELS[kind].files.map((f) => f.candidates[0]).join(' + ');
      return (
        `The ${condition} condition needs the ${ESTIMATOR_LABELS[kind]} estimator: pass its folder with ` +
        `${flag} <dir> (holding ${files}; the export ${ONNX_MODELS[kind].preset.repo}).`
      );
    },
  };
}

/**
 * For `edit --backend webgpu`: an estimator condition (pose, depth) computed here in Node and sent as the request's
 * condition images ('frames'), so the browser engine needs no estimator model; canny, frames and none unchanged.
 */
export async function precomputeCondition(
  request: EditRequest,
  dirs: readonly string[],
  log: (line: string) => void,
): Promise<EditRequest> {
  const { kind } = request.settings.condition;
  if (!estimatorModelOf(kind)) return request;
  log(`computing the ${kind} condition in Node (wasm)…`);
  const service = createConditionService({ models: estimatorModelsFromFolders(dirs) });
  const condition = await service.compute(conditionInputOf(request));
  const conditionFrames = conditionToRgba(condition, request.frames.length, request.width, request.height);
  return {
    ...request,
    settings: { ...request.settings, condition: { ...request.settings.condition, kind: 'frames' } },
    conditionFrames,
  };
}
