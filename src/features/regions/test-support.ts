/**
 * What end-to-end tests reach through `window.__videograin.regions`: the mask store (pixels by region and
 * frame), the pending-save flush, and a way to seed a project with given frames through the normal
 * project-open path (so restore-on-open runs exactly as for a user's project).
 */
import { maskStore } from '../../state/mask-store';
import { DEFAULT_CLIP_SETTINGS, type FramesMeta } from '../../state/slices/project';
import type { RgbaFrame } from '../../state/bulk';
import { putSection } from '../../services/persistence/project-db';
import { createProject, openProject, saveFrames, type ClipSection } from '../projects/actions';
import { flushRegionsSave } from './persistence';
import { maskedPreviewFrames } from './import-export';

export interface SeedOptions {
  readonly name?: string;
  readonly fps?: number;
  /** Display size of the (pretend) source video, for mask imports that crop like the frames. */
  readonly source?: { readonly width: number; readonly height: number };
}

export async function loadFramesForTest(frames: readonly RgbaFrame[], options: SeedOptions = {}): Promise<string> {
  const first = frames[0];
  if (!first) throw new Error('loadFramesForTest needs at least one frame');
  const fps = options.fps ?? 8;
  const id = await createProject(options.name ?? 'test clip');
  await saveFrames(id, frames);
  const meta: FramesMeta = {
    count: frames.length,
    width: first.width,
    height: first.height,
    fps,
    startSec: 0,
    endSec: frames.length / fps,
    version: 1,
    settings: DEFAULT_CLIP_SETTINGS,
  };
  const src = options.source;
  const section: ClipSection = {
    sourceName: null,
    sourceBytes: 0,
    probe: src
      ? {
          durationSec: frames.length / fps,
          fps,
          width: src.width,
          height: src.height,
          rotation: 0,
          codec: 'test',
          hasAudio: false,
          frameCount: frames.length,
        }
      : null,
    clip: DEFAULT_CLIP_SETTINGS,
    frames: meta,
  };
  await putSection(id, 'clip', section);
  await openProject(id);
  return id;
}

export const regionsTestSupport = {
  masks: maskStore,
  flushSave: flushRegionsSave,
  loadFramesForTest,
  maskedPreviewFrames,
};
