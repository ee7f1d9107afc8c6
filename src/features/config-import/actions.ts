/**
 * "Open VideoGrain config" (issue 14): a picked folder holding an official `config.yaml` with its frames (or
 * video) and mask folders becomes a new project — the clip settings, the regions in `layout_mask_order` with
 * their prompts and masks, the prompts and the run settings the config describes (src/core/config does the
 * mapping). A frames folder becomes the project's source video (H.264 at 8 fps, the rate of the official
 * outputs, CRF 12: visually lossless) so the clip can be re-extracted at any size like any other clip.
 * Nothing replaces the open project until the config, its frames and its masks were all read.
 */
import { services } from '../../app/services';
import { maskStore } from '../../state/mask-store';
import { useStore } from '../../state/store';
import { AppError } from '../../core/protocol/errors';
import type { FrameSet } from '../../core/protocol/video';
import { parseVideoGrainYaml } from '../../core/config/videograin-yaml';
import { findConfigFile, projectFromConfig, type ConfigProject } from '../../core/config/project-from-config';
import { importMasks } from '../../core/masks/import';
import type { MaskFile } from '../../core/masks/files';
import { batch, setRegionPrompt, setSourcePrompt, setTargetPrompt } from '../../core/regions/actions';
import { extractFrames } from '../clip/actions';
import { createClipProject } from '../projects/actions';
import { applyImportAction } from '../regions/import-export';
import { run } from '../regions/actions';
import { runTask, type ReportProgress } from '../tasks/run-task';

/** The frame rate a frames folder plays at (the official outputs and run_two_man's source are 8 fps). */
export const FRAMES_FOLDER_FPS = 8;
const FRAMES_FOLDER_CRF = 12;

/** One picked file with its path inside the picked folder ('/'-separated, starting with the folder's name). */
export interface PickedFile {
  readonly path: string;
  readonly file: File;
}

/** The files of an `<input webkitdirectory>` (paths from webkitRelativePath). */
export const pickedFromInput = (files: readonly File[]): PickedFile[] =>
  files.map((file) => ({ path: file.webkitRelativePath || file.name, file }));

/** Every file under a directory handle (the directory picker), paths starting with the folder's name. */
export async function pickedFromDirectory(dir: FileSystemDirectoryHandle, prefix = dir.name): Promise<PickedFile[]> {
  const out: PickedFile[] = [];
  const entries = (dir as unknown as { values(): AsyncIterable<FileSystemHandle> }).values();
  for await (const entry of entries) {
    const path = `${prefix}/${entry.name}`;
    if (entry.kind === 'directory') out.push(...(await pickedFromDirectory(entry as FileSystemDirectoryHandle, path)));
    else out.push({ path, file: await (entry as FileSystemFileHandle).getFile() });
  }
  return out;
}

async function decodeImage(file: File, path: string): Promise<{ width: number; height: number; data: Uint8Array }> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    throw new AppError('CONFIG_INVALID', `${path} is not a readable PNG or JPEG frame.`);
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  return { width: canvas.width, height: canvas.height, data: new Uint8Array(pixels.buffer) };
}

/** The source video of the project: the config's video file, or its frames folder encoded as H.264. */
async function sourceVideo(
  plan: ConfigProject,
  files: ReadonlyMap<string, File>,
  progress: ReportProgress,
): Promise<{ bytes: Uint8Array; name: string }> {
  if (plan.frames.kind === 'video') {
    const file = files.get(plan.frames.path)!;
    return { bytes: new Uint8Array(await file.arrayBuffer()), name: file.name };
  }
  const list = plan.frames.files;
  const frames: Uint8Array[] = [];
  let size: { width: number; height: number } | null = null;
  for (const [i, path] of list.entries()) {
    progress(`reading frame ${i + 1} / ${list.length}`, (0.3 * i) / list.length);
    const img = await decodeImage(files.get(path)!, path);
    if (size && (img.width !== size.width || img.height !== size.height))
      throw new AppError(
        'CONFIG_INVALID',
        `${path} is ${img.width}×${img.height}, but the first frame is ${size.width}×${size.height}. Every frame of the folder must have one size.`,
      );
    size = { width: img.width, height: img.height };
    frames.push(img.data);
  }
  const set: FrameSet = {
    width: size!.width,
    height: size!.height,
    fps: FRAMES_FOLDER_FPS,
    startSec: 0,
    endSec: list.length / FRAMES_FOLDER_FPS,
    frames,
  };
  const bytes = await services
    .video()
    .encode(set, { fps: FRAMES_FOLDER_FPS, crf: FRAMES_FOLDER_CRF }, (p) =>
      progress(`frames → source video: ${p.stage}`, 0.3 + 0.6 * (p.fraction ?? 0)),
    );
  return { bytes, name: `${plan.frames.path.split('/').pop() || 'frames'}.mp4` };
}

/** Regions, masks and prompts of the config as one undo step (masks matched to the extracted frames). */
async function applyRegions(plan: ConfigProject, files: ReadonlyMap<string, File>): Promise<string[]> {
  const s = useStore.getState();
  const meta = s.frames!;
  const maskFiles: MaskFile[] = [];
  for (const region of plan.regions)
    for (const path of region.maskFiles)
      maskFiles.push({
        path: `${region.name}/${path.split('/').pop()}`,
        bytes: new Uint8Array(await files.get(path)!.arrayBuffer()),
      });
  const sourceFrames = Array.from({ length: meta.count }, (_, i) => meta.settings.start + i * meta.settings.stride);
  const turned = s.probe && (s.probe.rotation === 90 || s.probe.rotation === 270);
  const imported = importMasks(
    maskFiles,
    {
      frames: { width: meta.width, height: meta.height },
      frameCount: meta.count,
      sourceFrames,
      ...(s.probe
        ? {
            source: turned
              ? { width: s.probe.height, height: s.probe.width }
              : { width: s.probe.width, height: s.probe.height },
          }
        : {}),
    },
    'videograin',
  );
  // importMasks sorts by name; the layout order is the config's.
  const order = plan.regions.map((r) => r.name);
  const regions = [...imported.regions].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  const ids = new Map<string, string>();
  const action = applyImportAction(maskStore.doc(), { ...imported, regions }, () => crypto.randomUUID());
  const withRegions = action(maskStore.doc());
  for (const r of withRegions.regions) ids.set(r.name, r.id);
  run(
    batch(
      action,
      ...plan.regions.map((r) => setRegionPrompt(ids.get(r.name)!, r.prompt)),
      setSourcePrompt(plan.sourcePrompt),
      setTargetPrompt(plan.targetPrompt),
    ),
  );
  return imported.warnings;
}

const CONDITION_NOTE: Record<string, string> = {
  dwpose: 'load DWPose in Models → Estimators and the openpose ControlNet',
  openpose: 'load DWPose in Models → Estimators and the openpose ControlNet',
  depth: 'load MiDaS DPT-Hybrid in Models → Estimators and the depth ControlNet',
  depth_zoe: 'load ZoeDepth in Models → Estimators and the depth ControlNet',
};

/** Opens the config folder as a new project; resolves true when the project is complete. */
export async function openConfigFolder(picked: readonly PickedFile[]): Promise<boolean> {
  let plan: ConfigProject | null = null;
  const files = new Map(picked.map((f) => [f.path.replace(/\\/g, '/'), f.file]));
  const opened = await runTask('open-config', 'Opening VideoGrain config', async (progress) => {
    const paths = [...files.keys()];
    const configPath = findConfigFile(paths);
    progress(`reading ${configPath}`);
    const config = parseVideoGrainYaml(await files.get(configPath)!.text(), configPath);
    plan = projectFromConfig(config, configPath, paths);
    const source = await sourceVideo(plan, files, progress);
    progress('probing the source video', 0.95);
    const probe = await services.video().probe(source.bytes.slice());
    const { start, stride } = plan.clip;
    const frames = plan.clip.frames ?? Math.max(1, Math.floor((probe.frameCount - 1 - start) / stride) + 1);
    await createClipProject(plan.name, source, probe, {
      start,
      frames,
      stride,
      sizing: { mode: 'square', size: plan.clip.size },
    });
    // FLATTEN runs only with a flow model; without one the config's flatten_res waits (the notice says so).
    const flowReady = useStore.getState().models.raft.state === 'ready';
    useStore.getState().setEditSettings({ ...plan.settings, flatten: flowReady ? plan.settings.flatten : null });
  });
  const p = plan as ConfigProject | null;
  if (!opened || !p) return false;
  if (!(await extractFrames())) return false;
  const { notify } = useStore.getState();
  try {
    const warnings = await applyRegions(p, files);
    const note = CONDITION_NOTE[p.settings.condition.kind];
    const flatten = p.settings.flatten;
    if (flatten && useStore.getState().models.raft.state !== 'ready')
      warnings.push(
        `Flow-guided consistency (flatten_res [${flatten.resolutions.join(', ')}]) is off until optical flow is available: load RAFT in Models → Estimators, optical flow and segmentation.`,
      );
    notify(
      'info',
      `Opened ${p.name}: ${p.regions.length} regions (${p.regions.map((r) => r.name).join(', ')}), ${useStore.getState().frames?.count ?? 0} frames, ${p.settings.steps} steps, seed ${p.settings.seed}${p.controlType ? `, ControlNet ${p.controlType} (condition ${p.settings.condition.kind}${note ? `; ${note}` : ''})` : ''}.${[...p.warnings, ...warnings].map((w) => ` ${w}`).join('')}`,
    );
    return true;
  } catch (e) {
    notify('error', `The config's masks could not be used: ${(e as Error).message}`, (e as { code?: string }).code);
    return false;
  }
}
