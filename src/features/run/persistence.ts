/**
 * The edit in the project (DESIGN §1: projects survive a reload): the project's `edit` section (settings,
 * the attention-map choice, the last result's metadata and where its blobs are) and blobs
 * `<slot>frames/<i>` (result RGBA) and `<slot>attention/<i>` (Float32 maps). A result is never deleted when its
 * inputs change: it is marked stale (src/features/run/staleness.ts).
 *
 * A new result is saved write-new → swap → delete-old (DESIGN §7: a failure loses nothing already done): its
 * blobs go to the slot the section does not point at (`edit/a/` or `edit/b/`), then one section write points
 * the project at them, then the previous slot is deleted. A save that fails before the swap leaves the previous
 * result readable; its partial blobs are cleared by the next save. Sections written before slots existed keep
 * their blobs at `edit/frames/…`, `edit/attention/…` (slot `edit/`).
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

/** Where a result's blobs live: one of two alternating slots, or the layout before slots (`edit/`). */
type BlobSlot = 'edit/a/' | 'edit/b/' | 'edit/';
const LEGACY_SLOT: BlobSlot = 'edit/';

/** The `edit` section of a project record. */
export interface EditSection {
  readonly format: 1;
  readonly settings: EditSettings;
  readonly wantAttentionMaps: boolean;
  readonly result: Omit<EditResultMeta, 'version'> | null;
  readonly attention: readonly AttentionHeader[];
  /** The result's blob slot; absent in sections saved before slots (their blobs are under `edit/`). */
  readonly blobs?: BlobSlot;
}

const frameKey = (slot: BlobSlot, i: number) => `${slot}frames/${String(i).padStart(5, '0')}`;
const attentionKey = (slot: BlobSlot, i: number) => `${slot}attention/${String(i).padStart(3, '0')}`;

/** The result part of the section as last written (settings saves keep it: it moves only with its blobs). */
type SavedResult = Pick<EditSection, 'result' | 'attention' | 'blobs'>;
const NO_RESULT: SavedResult = { result: null, attention: [] };
let saved: SavedResult = NO_RESULT;

let restoring = false;

function section(): EditSection {
  const s = useStore.getState();
  return { format: 1, settings: s.editSettings, wantAttentionMaps: s.wantAttentionMaps, ...saved };
}

/** The store's current result as a section's result part. */
function currentResult(): Omit<SavedResult, 'blobs'> {
  const s = useStore.getState();
  if (!s.editResult) return NO_RESULT;
  const { version: _version, ...result } = s.editResult;
  const maps = editBulk.result()?.attentionMaps ?? [];
  return { result, attention: maps.map(({ region, frames, width, height }) => ({ region, frames, width, height })) };
}

/** Deletes a slot's blobs (the legacy slot: only its two folders, never the a/b slots). */
async function deleteSlot(projectId: string, slot: BlobSlot): Promise<void> {
  if (slot !== LEGACY_SLOT) return db.deleteBlobs(projectId, slot);
  await db.deleteBlobs(projectId, 'edit/frames/');
  await db.deleteBlobs(projectId, 'edit/attention/');
}

/** Saves the current result: new blobs in the free slot, then the section swap, then the old slot's deletion. */
export async function saveEditResult(projectId: string): Promise<void> {
  const result = editBulk.result();
  const stored = (await db.getProject(projectId))?.sections.edit as EditSection | undefined;
  const old: BlobSlot = stored?.blobs ?? LEGACY_SLOT;
  const next: BlobSlot = old === 'edit/a/' ? 'edit/b/' : 'edit/a/';
  await db.deleteBlobs(projectId, next); // what a save that failed before its swap left behind
  if (result) {
    for (let i = 0; i < result.frames.length; i++)
      await db.putBlob(projectId, frameKey(next, i), new Uint8Array(result.frames[i]!.buffer.slice(0)));
    for (let i = 0; i < result.attentionMaps.length; i++) {
      const m = result.attentionMaps[i]!;
      await db.putBlob(projectId, attentionKey(next, i), new Uint8Array(m.data.buffer.slice(0)));
    }
  }
  const nextSaved: SavedResult = { ...currentResult(), blobs: next };
  await db.putSection(projectId, 'edit', { ...section(), ...nextSaved });
  saved = nextSaved;
  await deleteSlot(projectId, old);
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
    saved = NO_RESULT;
    if (!stored || stored.format !== 1) {
      useStore.setState({ ...EMPTY, editSettings: freshSettings(), wantAttentionMaps: true });
      return;
    }
    const settings = mergeSettings(stored.settings);
    const meta = stored.result;
    const slot = stored.blobs ?? LEGACY_SLOT;
    let result: EditResultMeta | null = null;
    if (meta) {
      const frames: Uint8ClampedArray[] = [];
      for (let i = 0; i < meta.frameCount; i++) {
        const blob = await db.getBlob(projectId, frameKey(slot, i));
        if (!blob) throw new Error(`frame ${i + 1} of the saved edit result is missing`);
        frames.push(new Uint8ClampedArray(await blob.arrayBuffer()));
      }
      const attentionMaps: RegionAttentionMap[] = [];
      for (let i = 0; i < (stored.attention ?? []).length; i++) {
        const blob = await db.getBlob(projectId, attentionKey(slot, i));
        if (blob) attentionMaps.push({ ...stored.attention[i]!, data: new Float32Array(await blob.arrayBuffer()) });
      }
      editBulk.setResult({ width: meta.width, height: meta.height, frames, attentionMaps });
      result = { ...meta, version: (useStore.getState().editResult?.version ?? 0) + 1 };
      saved = { result: meta, attention: stored.attention ?? [], blobs: slot };
    }
    useStore.setState({
      ...EMPTY,
      editSettings: settings,
      wantAttentionMaps: stored.wantAttentionMaps !== false,
      editResult: result,
    });
  } catch (e) {
    editBulk.clear();
    saved = NO_RESULT;
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
      saved = NO_RESULT;
      useStore.setState({ ...EMPTY, editSettings: freshSettings() });
      return;
    }
    if (s.projectId !== prev.projectId) return;
    if (s.editSettings !== prev.editSettings || s.wantAttentionMaps !== prev.wantAttentionMaps) scheduleSettingsSave();
  });
}
