/**
 * Clip actions: open a file, extract the frames to edit, export them as MP4. Every failure becomes a notice
 * with the worker's error code; nothing already in the project is replaced until the new data is complete.
 */
import { services } from '../../app/services';
import { bulk } from '../../state/bulk';
import { useStore } from '../../state/store';
import { MAX_SOURCE_BYTES, type FrameSet } from '../../core/protocol/video';
import { clipRequestProblems } from '../../core/clip/settings';
import { assertLooksLikeVideo } from '../../core/clip/sniff';
import { AppError } from '../../core/protocol/errors';
import { createClipProject, saveClipSection, saveFrames } from '../projects/actions';
import { runTask, type ReportProgress } from '../tasks/run-task';

export async function openClipFile(file: File): Promise<boolean> {
  return runTask('open', `Opening ${file.name}`, async (progress) => {
    if (file.size > MAX_SOURCE_BYTES) {
      throw new AppError(
        'FILE_TOO_LARGE',
        `${file.name} is ${(file.size / 2 ** 20).toFixed(0)} MiB; the app accepts clips up to ${MAX_SOURCE_BYTES / 2 ** 20} MiB. Trim it first.`,
      );
    }
    if (file.size === 0) throw new AppError('NOT_A_VIDEO', `${file.name} is empty.`);
    // A plainly non-video file is refused at once, by name, before ffmpeg.wasm spends seconds probing it.
    assertLooksLikeVideo(file.name, new Uint8Array(await file.slice(0, 1024).arrayBuffer()));
    progress('reading file');
    const bytes = new Uint8Array(await file.arrayBuffer());
    progress('probing');
    const probe = await services
      .video()
      .probe(bytes.slice())
      .catch((e: unknown) => {
        const err = e as Error;
        if (!err.message.includes(file.name)) err.message = `${file.name}: ${err.message}`;
        throw err;
      });
    // Only now, with a readable video in hand, does a new project replace the open one (keeping the sizing).
    const frames = Math.max(1, Math.min(16, probe.frameCount));
    const clip = { ...useStore.getState().clip, start: 0, frames, stride: 1 };
    await createClipProject(file.name.replace(/\.[^.]+$/, '') || 'Untitled', { name: file.name, bytes }, probe, clip);
  });
}

export async function extractFrames(): Promise<boolean> {
  return runTask('extract', 'Extracting frames', async (progress) => {
    const s = useStore.getState();
    const source = bulk.source();
    if (!source || !s.probe || !s.projectId) throw new AppError('NO_CLIP', 'Open a clip first.');
    const problems = clipRequestProblems(s.clip, s.probe.frameCount);
    if (problems.length > 0) throw new AppError('BAD_OPTIONS', problems.join(' '));
    const set = await services.video().extract(source.slice(), s.clip, (p) => progress(p.stage, p.fraction));
    if (set.frames.length !== s.clip.frames) {
      throw new AppError(
        'TOO_FEW_FRAMES',
        `The clip gave ${set.frames.length} of the ${s.clip.frames} frames asked for. Lower the start, count or stride.`,
      );
    }
    const frames = set.frames.map((data) => ({ width: set.width, height: set.height, data }));
    progress('saving');
    await saveFrames(s.projectId, frames);
    const meta = {
      count: frames.length,
      width: set.width,
      height: set.height,
      fps: set.fps,
      startSec: set.startSec,
      endSec: set.endSec,
      version: (useStore.getState().frames?.version ?? 0) + 1,
      settings: s.clip,
    };
    // Saved before shown: frames on screen are frames a reload brings back, with the settings that made them. The
    // section keeps the panel's current settings (saveClipSection reads them now), which may have changed meanwhile.
    await saveClipSection({ frames: meta });
    bulk.setFrames(frames);
    useStore.setState({ frames: meta, currentFrame: 0 });
  });
}

/** The frames as the video worker's FrameSet (copies: the buffers are transferred away). */
export function currentFrameSet(): FrameSet | null {
  const meta = useStore.getState().frames;
  if (!meta) return null;
  return {
    width: meta.width,
    height: meta.height,
    fps: meta.fps,
    startSec: meta.startSec,
    endSec: meta.endSec,
    frames: bulk.frames().map((f) => f.data.slice()),
  };
}

export function downloadBytes(bytes: Uint8Array, fileName: string, type: string): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * H.264 MP4 of `set` at its frame rate, with the source's audio trimmed to the same time range when the clip
 * has audio (Export MP4 and the edit's Download MP4).
 */
export function encodeWithSourceAudio(set: FrameSet, progress: ReportProgress): Promise<Uint8Array> {
  const source = bulk.source();
  const audio =
    useStore.getState().probe?.hasAudio && source
      ? { source: source.slice(), startSec: set.startSec, endSec: set.endSec }
      : undefined;
  return services
    .video()
    .encode(set, { fps: set.fps, crf: 18, ...(audio ? { audio } : {}) }, (p) => progress(p.stage, p.fraction));
}

export async function exportMp4(): Promise<boolean> {
  return runTask('export', 'Exporting MP4', async (progress) => {
    const s = useStore.getState();
    const set = currentFrameSet();
    if (!set) throw new AppError('NO_FRAMES', 'Extract frames first.');
    const mp4 = await encodeWithSourceAudio(set, progress);
    downloadBytes(mp4, `${s.projectName || 'clip'}-${set.frames.length}f-${set.width}x${set.height}.mp4`, 'video/mp4');
  });
}

export function cancelVideoWork(): void {
  services.video().cancel();
}
