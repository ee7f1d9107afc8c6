/**
 * The edit in the project (DESIGN §1: projects survive a reload): the project's `edit` section (settings,
 * the attention-map choice, the last result's metadata) and blobs `edit/frames/<i>` (result RGBA) and
 * `edit/attention/<i>` (Float32 maps). A result is never deleted when its inputs change: it is marked stale
 * (src/features/run/staleness.ts).
 */
import { useStore } from '../../state/store';
import { editBulk } from '../../state/edit-bulk';
import * as db from '../../services/persistence/project-db';
import type { EditSettings, RegionAttentionMap } from '../../core/protocol/edit';
import type { EditResultMeta } from '../../state/slices/edit';
import { mergeSettings } from './settings';
import { loadedControlNet, referenceSettings } from './defaults';

/** A project without saved settings starts from the reference, its condition following the loaded ControlNet. */
const freshSettings = (): EditSettings => referenceSettings(loadedControlNet(useStore.getState()));

interface AttentionHeader {
  readonly region: number;
  readonly frames: number;
  readonly width: number;
  readonly height: number;
}

/** The `edit` section of a project record. */
export interface EditSection {
  readonly format: 1;
  readonly settings: EditSettings;
  readonly wantAttentionMaps: boolean;
  readonly result: Omit<EditResultMeta, 'version'> | null;
  readonly attention: readonly AttentionHeader[];
}

const frameKey = (i: number) => `edit/frames/${String(i).padStart(5, '0')}`;
const attentionKey = (i: number) => `edit/attention/${String(i).padStart(3, '0')}`;

let restoring = false;

function section(): EditSection {
  const s = useStore.getState();
  const { version: _version, ...result } = s.editResult ?? { version: 0 };
  const maps = editBulk.result()?.attentionMaps ?? [];
  return {
    format: 1,
    settings: s.editSettings,
    wantAttentionMaps: s.wantAttentionMaps,
    result: s.editResult ? (result as Omit<EditResultMeta, 'version'>) : null,
    attention: s.editResult ? maps.map(({ region, frames, width, height }) => ({ region, frames, width, height })) : [],
  };
}

/** Writes the result's blobs, then the section (a torn write leaves the previous section pointing at blobs). */
export async function saveEditResult(projectId: string): Promise<void> {
  const result = editBulk.result();
  await db.deleteBlobs(projectId, 'edit/');
  if (result) {
    for (let i = 0; i < result.frames.length; i++)
      await db.putBlob(projectId, frameKey(i), new Uint8Array(result.frames[i]!.buffer.slice(0)));
    for (let i = 0; i < result.attentionMaps.length; i++) {
      const m = result.attentionMaps[i]!;
      await db.putBlob(projectId, attentionKey(i), new Uint8Array(m.data.buffer.slice(0)));
    }
  }
  await db.putSection(projectId, 'edit', section());
}

let timer: ReturnType<typeof setTimeout> | undefined;
let pending: Promise<void> = Promise.resolve();

function scheduleSettingsSave(): void {
  const projectId = useStore.getState().projectId;
  if (!projectId || restoring) return;
  if (timer !== undefined) clearTimeout(timer);
  timer = setTimeout(() => {
    timer = undefined;
    pending = pending
      .then(() => db.putSection(projectId, 'edit', section()))
      .catch((e: unknown) =>
        useStore.getState().notify('error', `Edit settings could not be saved: ${(e as Error).message}`, 'STORAGE'),
      );
  }, 300);
}

/** Resolves once pending writes are done (tests, before unload). */
export async function flushEditSave(): Promise<void> {
  if (timer !== undefined) {
    clearTimeout(timer);
    timer = undefined;
    const projectId = useStore.getState().projectId;
    if (projectId) pending = pending.then(() => db.putSection(projectId, 'edit', section()));
  }
  await pending;
}

/** Queues a write after the ones in flight (the result save must not race a settings save). */
export function queueEditSave(work: () => Promise<void>): Promise<void> {
  pending = pending.then(work, work);
  return pending;
}

const EMPTY = {
  editResult: null,
  editResultStale: false,
  attentionRegion: null,
  conditionFrameCount: 0,
} as const;

/** Brings back the project's edit settings and last result (registered with the project loader). */
export async function restoreEdit(projectId: string): Promise<void> {
  restoring = true;
  try {
    const record = await db.getProject(projectId);
    const stored = record?.sections.edit as EditSection | undefined;
    editBulk.clear();
    if (!stored || stored.format !== 1) {
      useStore.setState({ ...EMPTY, editSettings: freshSettings(), wantAttentionMaps: true });
      return;
    }
    const settings = mergeSettings(stored.settings);
    const meta = stored.result;
    let result: EditResultMeta | null = null;
    if (meta) {
      const frames: Uint8ClampedArray[] = [];
      for (let i = 0; i < meta.frameCount; i++) {
        const blob = await db.getBlob(projectId, frameKey(i));
        if (!blob) throw new Error(`frame ${i + 1} of the saved edit result is missing`);
        frames.push(new Uint8ClampedArray(await blob.arrayBuffer()));
      }
      const attentionMaps: RegionAttentionMap[] = [];
      for (let i = 0; i < (stored.attention ?? []).length; i++) {
        const blob = await db.getBlob(projectId, attentionKey(i));
        if (blob) attentionMaps.push({ ...stored.attention[i]!, data: new Float32Array(await blob.arrayBuffer()) });
      }
      editBulk.setResult({ width: meta.width, height: meta.height, frames, attentionMaps });
      result = { ...meta, version: (useStore.getState().editResult?.version ?? 0) + 1 };
    }
    useStore.setState({
      ...EMPTY,
      editSettings: settings,
      wantAttentionMaps: stored.wantAttentionMaps !== false,
      editResult: result,
    });
  } catch (e) {
    editBulk.clear();
    useStore.setState({ ...EMPTY, editSettings: freshSettings() });
    useStore
      .getState()
      .notify('error', `The saved edit result could not be read: ${(e as Error).message}`, 'EDIT_DATA_CORRUPT');
  } finally {
    restoring = false;
  }
}

/** Saves settings when they change (debounced); forgets the edit when the project is closed. */
export function startEditAutosave(): () => void {
  return useStore.subscribe((s, prev) => {
    if (s.projectId === null && prev.projectId !== null) {
      editBulk.clear();
      useStore.setState({ ...EMPTY, editSettings: freshSettings() });
      return;
    }
    if (s.projectId !== prev.projectId) return;
    if (s.editSettings !== prev.editSettings || s.wantAttentionMaps !== prev.wantAttentionMaps) scheduleSettingsSave();
  });
}
