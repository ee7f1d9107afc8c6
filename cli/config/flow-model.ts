/**
 * Forward optical flow of frames on disk with a RAFT ONNX export in a local folder (`--flow-model <dir>`), run in
 * Node on onnxruntime's wasm backend with the engine's own RAFT runner (workers/engine/flow/raft.ts), so
 * `videograin trajectories --frames` and `videograin edit` compute the same flows the app's engine would.
 * The folder is validated like any model source (src/core/models/onnx/raft.ts names the files it may hold).
 */
import type { EditFlows } from '../../src/core/protocol/edit';
import { resolveModelFiles } from '../../src/core/models/resolve';
import { validateModel } from '../../src/core/models/validate';
import { estimateFlows } from '../../workers/engine/flow/raft';
import { openOnnxModel } from '../../workers/engine/onnx-models/session';
import { NodeFolderSource } from './file-ranges';

export async function flowsFromModelFolder(
  modelDir: string,
  frames: readonly Uint8Array[],
  width: number,
  height: number,
  onPair?: (done: number, total: number) => void,
): Promise<EditFlows> {
  const source = new NodeFolderSource(modelDir);
  const model = await validateModel(source, 'raft', await resolveModelFiles(source, 'raft'));
  const sessions = await openOnnxModel(model, { kind: 'cpu' });
  try {
    return await estimateFlows(frames, width, height, sessions, onPair ? { onPair } : {});
  } finally {
    await sessions.release();
  }
}
