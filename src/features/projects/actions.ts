/**
 * Project lifecycle: create, open, list, delete. A project record keeps the clip section (source name,
 * probe, settings, frames metadata); the source file and frames are blobs. Opening a project replaces the
 * in-memory state only after everything it needs was read, so a failed open leaves the current one intact.
 */
import { bulk, type RgbaFrame } from '../../state/bulk';
import { useStore, type AppState } from '../../state/store';
import { DEFAULT_CLIP_SETTINGS, NO_PROJECT, type ClipSettings, type FramesMeta } from '../../state/slices/project';
import type { ProbeResult } from '../../core/protocol/video';
import * as db from '../../services/persistence/project-db';

/** The `clip` section of a project record. */
export interface ClipSection {
  readonly sourceName: string | null;
  readonly sourceBytes: number;
  readonly probe: ProbeResult | null;
  readonly clip: ClipSettings;
  readonly frames: FramesMeta | null;
}

type Restorer = (projectId: string) => Promise<void>;
/** Features that keep their own data in a project (regions, results…) register how to restore it. */
const restorers: Restorer[] = [];
export function registerProjectRestorer(restore: Restorer): void {
  restorers.push(restore);
}

const LAST_PROJECT = 'videograin.lastProject';

export async function refreshProjectList(): Promise<db.ProjectRecord[]> {
  const records = await db.listProjects();
  useStore.setState({ projects: records.map(({ id, name, updatedAt }) => ({ id, name, updatedAt })) });
  return records;
}

export function clipSectionOf(s: AppState): ClipSection {
  return { sourceName: s.sourceName, sourceBytes: s.sourceBytes, probe: s.probe, clip: s.clip, frames: s.frames };
}

/**
 * Saves the open project's clip section; `changes` are written over the state's (a caller saves what it is about
 * to show, then shows it: what the user sees is already durable when a reload comes).
 */
export async function saveClipSection(changes: Partial<ClipSection> = {}): Promise<void> {
  const s = useStore.getState();
  if (s.projectId) await db.putSection(s.projectId, 'clip', { ...clipSectionOf(s), ...changes });
}

/**
 * Saves the clip settings alone into a project's clip section (the settings panel's autosave): the section's other
 * fields, such as the frames an extraction stored meanwhile, stay as stored.
 */
export function saveClipSettings(projectId: string, clip: ClipSettings): Promise<void> {
  return db.updateSection<ClipSection>(projectId, 'clip', (section) => section && { ...section, clip });
}

/**
 * A new project for a probed source (a clip opened or a config imported): the source blob and the clip section
 * are stored before the project opens, so a reload at any moment after the open finds it whole.
 */
export async function createClipProject(
  name: string,
  source: { readonly name: string; readonly bytes: Uint8Array },
  probe: ProbeResult,
  clip: ClipSettings,
): Promise<string> {
  const id = await createProject(name);
  await db.putBlob(id, 'source', source.bytes);
  const section: ClipSection = {
    sourceName: source.name,
    sourceBytes: source.bytes.byteLength,
    probe,
    clip,
    frames: null,
  };
  await db.putSection(id, 'clip', section);
  await openProject(id, source.bytes);
  return id;
}

export async function createProject(name: string): Promise<string> {
  const id = crypto.randomUUID();
  const now = Date.now();
  await db.putProject({ id, name, createdAt: now, updatedAt: now, sections: {} });
  await refreshProjectList();
  return id;
}

const frameKey = (i: number) => `frames/${String(i).padStart(5, '0')}`;

export async function saveFrames(projectId: string, frames: readonly RgbaFrame[]): Promise<void> {
  await db.deleteBlobs(projectId, 'frames/');
  for (let i = 0; i < frames.length; i++) await db.putBlob(projectId, frameKey(i), frames[i]!.data);
}

async function loadFrames(projectId: string, meta: FramesMeta): Promise<RgbaFrame[]> {
  const frames: RgbaFrame[] = [];
  for (let i = 0; i < meta.count; i++) {
    const blob = await db.getBlob(projectId, frameKey(i));
    if (!blob) throw new Error(`frame ${i} of the saved project is missing`);
    frames.push({ width: meta.width, height: meta.height, data: new Uint8Array(await blob.arrayBuffer()) });
  }
  return frames;
}

/** Opens a stored project; `storedSource`: its source bytes, when the caller has just stored them (no read back). */
export async function openProject(id: string, storedSource?: Uint8Array): Promise<void> {
  const record = await db.getProject(id);
  if (!record) throw new Error('That project no longer exists.');
  const clip = (record.sections.clip as ClipSection | undefined) ?? null;
  const sourceBlob = clip?.sourceName && !storedSource ? await db.getBlob(id, 'source') : undefined;
  const source = storedSource ?? (sourceBlob ? new Uint8Array(await sourceBlob.arrayBuffer()) : null);
  const frames = clip?.frames ? await loadFrames(id, clip.frames) : [];
  bulk.setSource(source);
  bulk.setFrames(frames);
  useStore.setState({
    projectId: id,
    projectName: record.name,
    sourceName: clip?.sourceName ?? null,
    sourceBytes: clip?.sourceBytes ?? 0,
    probe: clip?.probe ?? null,
    clip: clip?.clip ?? DEFAULT_CLIP_SETTINGS,
    frames: clip?.frames ? { ...clip.frames, version: clip.frames.version + 1 } : null,
    currentFrame: 0,
  });
  localStorage.setItem(LAST_PROJECT, id);
  for (const restore of restorers) await restore(id);
}

export async function renameProject(id: string, name: string): Promise<void> {
  const record = await db.getProject(id);
  if (!record) return;
  await db.putProject({ ...record, name, updatedAt: Date.now() });
  if (useStore.getState().projectId === id) useStore.setState({ projectName: name });
  await refreshProjectList();
}

/** Deletes a project and everything it owns; if it was open, the page shows an empty workspace. */
export async function deleteProject(id: string): Promise<void> {
  await db.deleteProject(id);
  if (useStore.getState().projectId === id) {
    bulk.clear();
    localStorage.removeItem(LAST_PROJECT);
    useStore.setState(NO_PROJECT);
  }
  await refreshProjectList();
}
