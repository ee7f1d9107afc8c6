/**
 * Result actions: Download MP4 encodes the edited frames with the video worker at the clip's frame rate, with
 * the source's audio trimmed to the clip's time range (as the clip panel's Export MP4 does), and downloads
 * `<project>-edit.mp4`.
 */
import { AppError } from '../../core/protocol/errors';
import type { FrameSet } from '../../core/protocol/video';
import { editBulk } from '../../state/edit-bulk';
import { useStore } from '../../state/store';
import { downloadBytes, encodeWithSourceAudio } from '../clip/actions';
import { runTask } from '../tasks/run-task';

export const RESULT_EXPORT_TASK = 'export-edit';

/** The result as the video worker's FrameSet (copies: the buffers are transferred away). */
export function resultFrameSet(): FrameSet | null {
  const result = editBulk.result();
  const meta = useStore.getState().frames;
  if (!result || result.frames.length === 0) return null;
  const fps = meta?.fps ?? 8;
  const startSec = meta?.startSec ?? 0;
  return {
    width: result.width,
    height: result.height,
    fps,
    startSec,
    endSec: meta?.endSec ?? startSec + result.frames.length / fps,
    frames: result.frames.map((f) => new Uint8Array(f)),
  };
}

export const resultFileName = (projectName: string): string =>
  `${(projectName || 'video').replace(/[\\/:*?"<>|]+/g, '_')}-edit.mp4`;

export async function downloadResultMp4(): Promise<boolean> {
  return runTask(RESULT_EXPORT_TASK, 'Encoding the edit as MP4', async (progress) => {
    const s = useStore.getState();
    const set = resultFrameSet();
    if (!set) throw new AppError('NO_RESULT', 'Run an edit first.');
    const mp4 = await encodeWithSourceAudio(set, progress);
    downloadBytes(mp4, resultFileName(s.projectName), 'video/mp4');
  });
}
