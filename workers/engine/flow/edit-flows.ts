/**
 * The edit's optical flow when the request has none (FLATTEN, DESIGN §3.6): the loaded RAFT export
 * (src/core/models/onnx/raft.ts) on the request's frames, its sessions opened for this one computation and released
 * after it. Without a loaded flow model the refusal says what to load or turn off.
 */
import type { EditFlows, EditRequest } from '../../../src/core/protocol/edit';
import { AppError } from '../../../src/core/protocol/errors';
import type { LoadedModels } from '../loaded-models';
import type { ExecutionTarget } from '../onnx/ort';
import { openOnnxModel } from '../onnx-models/session';
import { estimateFlows } from './raft';

export function flowsFromLoadedRaft(
  models: LoadedModels,
  target: () => Promise<ExecutionTarget>,
): (request: EditRequest, signal: AbortSignal) => Promise<EditFlows> {
  return async (request, signal) => {
    const raft = models.loaded('raft');
    if (!raft)
      throw new AppError(
        'FLOW_UNAVAILABLE',
        'Flow-guided consistency needs optical flow: load RAFT in Models → Estimators, optical flow and segmentation, or turn flow-guided consistency off (Run → Advanced).',
      );
    const sessions = await openOnnxModel(raft.model, await target());
    try {
      return await estimateFlows(request.frames, request.width, request.height, sessions, { signal });
    } finally {
      await sessions.release();
    }
  };
}
