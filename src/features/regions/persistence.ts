/**
 * Regions in the project (DESIGN §1: projects survive a reload). Region metadata and prompts are the
 * project's `regions` section (JSON); each region's masks are one RLE blob `masks/<regionId>`
 * (src/core/masks/rle.ts). Saving is debounced and writes only the regions whose masks changed.
 */
import { useStore } from '../../state/store';
import { maskStore, type MaskChange } from '../../state/mask-store';
import * as db from '../../services/persistence/project-db';
import { decodeRegionFrames, encodeRegionFrames } from '../../core/masks/rle';
import { emptyDoc, type Region, type RegionMasks, type RegionsDoc } from '../../core/regions/model';
import type { MaskSize } from '../../core/masks/raster';
import { conformDoc } from './conform';

/** The `regions` section of a project record. */
export interface RegionsSection {
  readonly format: 1;
  readonly size: MaskSize;
  readonly frameCount: number;
  readonly regions: readonly Region[];
  readonly sourcePrompt: string;
  readonly targetPrompt: string;
}

const maskKey = (regionId: string) => `masks/${regionId}`;

/** Mask arrays last written, per region: unchanged regions are not rewritten. */
let saved = new Map<string, RegionMasks>();
let savedFor: string | null = null;

function framesTarget(): { size: MaskSize; count: number } | null {
  const f = useStore.getState().frames;
  return f ? { size: { width: f.width, height: f.height }, count: f.count } : null;
}

/** Writes the open document into project `projectId` (section + changed mask blobs + deletions). */
export async function saveRegions(projectId: string, doc: RegionsDoc = maskStore.doc()): Promise<void> {
  if (savedFor !== projectId) {
    saved = new Map();
    savedFor = projectId;
  }
  const section: RegionsSection = {
    format: 1,
    size: doc.size,
    frameCount: doc.frameCount,
    regions: doc.regions,
    sourcePrompt: doc.sourcePrompt,
    targetPrompt: doc.targetPrompt,
  };
  for (const r of doc.regions) {
    const masks = doc.masks[r.id];
    if (!masks || saved.get(r.id) === masks) continue;
    await db.putBlob(projectId, maskKey(r.id), encodeRegionFrames(doc.size, masks));
    saved.set(r.id, masks);
  }
  for (const id of [...saved.keys()]) {
    if (doc.masks[id]) continue;
    await db.deleteBlobs(projectId, maskKey(id));
    saved.delete(id);
  }
  await db.putSection(projectId, 'regions', section);
}

/**
 * Brings back the regions of project `projectId` into the mask store (no undo history). Called when a
 * project opens (registered with the project loader). A project without a regions section gets an empty
 * document sized to its frames. Masks saved for other frame sizes are conformed to the current frames.
 */
export async function restoreRegions(projectId: string): Promise<void> {
  cancelPendingSave();
  const record = await db.getProject(projectId);
  const section = record?.sections.regions as RegionsSection | undefined;
  const target = framesTarget();
  const size = target?.size ?? section?.size ?? { width: 0, height: 0 };
  const count = target?.count ?? section?.frameCount ?? 0;
  saved = new Map();
  savedFor = projectId;
  if (!section || section.format !== 1) {
    maskStore.reset(emptyDoc(size, count), false);
    return;
  }
  const masks: Record<string, RegionMasks> = {};
  const problems: string[] = [];
  for (const r of section.regions) {
    const blob = await db.getBlob(projectId, maskKey(r.id));
    let frames: RegionMasks = new Array<null>(section.frameCount).fill(null);
    if (blob) {
      try {
        frames = decodeRegionFrames(new Uint8Array(await blob.arrayBuffer())).frames;
      } catch (e) {
        problems.push(`${r.name}: ${(e as Error).message}`);
      }
    }
    masks[r.id] = frames;
    saved.set(r.id, frames);
  }
  const doc: RegionsDoc = {
    size: section.size,
    frameCount: section.frameCount,
    regions: section.regions,
    sourcePrompt: section.sourcePrompt,
    targetPrompt: section.targetPrompt,
    masks,
  };
  const conformed = conformDoc(doc, size, count);
  maskStore.reset(conformed, false);
  if (conformed !== doc) saved = new Map();
  if (problems.length > 0) {
    useStore
      .getState()
      .notify('error', `Some saved masks could not be read: ${problems.join('; ')}`, 'MASK_DATA_CORRUPT');
  }
}

let timer: ReturnType<typeof setTimeout> | undefined;
let pending: Promise<void> = Promise.resolve();

function cancelPendingSave(): void {
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
}

export const AUTOSAVE_DELAY_MS = 400;

function scheduleSave(change: MaskChange): void {
  if (!change.persist) return;
  const projectId = useStore.getState().projectId;
  if (!projectId) return;
  cancelPendingSave();
  timer = setTimeout(() => {
    timer = undefined;
    const doc = maskStore.doc();
    pending = pending
      .then(() => saveRegions(projectId, doc))
      .catch((e: unknown) =>
        useStore.getState().notify('error', `Regions could not be saved: ${(e as Error).message}`, 'STORAGE'),
      );
  }, AUTOSAVE_DELAY_MS);
}

/** Resolves once every scheduled save has been written (tests and "before unload"). */
export async function flushRegionsSave(): Promise<void> {
  if (timer !== undefined) {
    cancelPendingSave();
    const projectId = useStore.getState().projectId;
    if (projectId) pending = pending.then(() => saveRegions(projectId));
  }
  await pending;
}

let stopAutosave: (() => void) | null = null;

/** Debounced autosave of every persisted mask-store change; returns the stop function. */
export function startRegionsAutosave(): () => void {
  stopAutosave ??= maskStore.subscribe(scheduleSave);
  return () => {
    stopAutosave?.();
    stopAutosave = null;
  };
}
