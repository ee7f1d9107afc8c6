/**
 * User actions as small pure functions over the regions document (excalidraw style): each takes a document
 * and returns the next one (or the same object when nothing changes, so history skips no-ops).
 */
import { AppError } from '../protocol/errors';
import { isEmptyMask, masksEqual } from '../masks/raster';
import type { StoredFrame } from '../masks/rle';
import { REGION_PALETTE, type Region, type RegionKind, type RegionMasks, type RegionsDoc } from './model';

export type DocAction = (doc: RegionsDoc) => RegionsDoc;

function mapRegion(doc: RegionsDoc, id: string, patch: (r: Region) => Region): RegionsDoc {
  let changed = false;
  const regions = doc.regions.map((r) => {
    if (r.id !== id) return r;
    const next = patch(r);
    changed ||= next !== r;
    return next;
  });
  return changed ? { ...doc, regions } : doc;
}

export interface NewRegion {
  readonly id: string;
  readonly name?: string;
  readonly kind?: RegionKind;
  readonly parentId?: string | null;
  readonly color?: string;
  readonly prompt?: string;
}

export const addRegion =
  (spec: NewRegion): DocAction =>
  (doc) => {
    if (doc.regions.some((r) => r.id === spec.id)) return doc;
    const kind = spec.kind ?? 'instance';
    const used = new Set(doc.regions.map((r) => r.color));
    const color =
      spec.color ??
      REGION_PALETTE.find((c) => !used.has(c)) ??
      REGION_PALETTE[doc.regions.length % REGION_PALETTE.length]!;
    const region: Region = {
      id: spec.id,
      name:
        spec.name ??
        `${kind === 'background' ? 'background' : kind === 'part' ? 'part' : 'instance'} ${doc.regions.length + 1}`,
      kind,
      parentId: kind === 'part' ? (spec.parentId ?? null) : null,
      color,
      prompt: spec.prompt ?? '',
      hidden: false,
    };
    return {
      ...doc,
      regions: [...doc.regions, region],
      masks: { ...doc.masks, [spec.id]: new Array<null>(doc.frameCount).fill(null) },
    };
  };

export const renameRegion =
  (id: string, name: string): DocAction =>
  (doc) =>
    mapRegion(doc, id, (r) => (r.name === name ? r : { ...r, name }));
export const recolorRegion =
  (id: string, color: string): DocAction =>
  (doc) =>
    mapRegion(doc, id, (r) => (r.color === color ? r : { ...r, color }));
export const setRegionPrompt =
  (id: string, prompt: string): DocAction =>
  (doc) =>
    mapRegion(doc, id, (r) => (r.prompt === prompt ? r : { ...r, prompt }));
export const setRegionHidden =
  (id: string, hidden: boolean): DocAction =>
  (doc) =>
    mapRegion(doc, id, (r) => (r.hidden === hidden ? r : { ...r, hidden }));

export const setRegionKind =
  (id: string, kind: RegionKind, parentId: string | null = null): DocAction =>
  (doc) => {
    if (parentId === id) throw new AppError('BAD_REGION', 'A part cannot belong to itself.');
    const parent = kind === 'part' ? parentId : null;
    return mapRegion(doc, id, (r) => (r.kind === kind && r.parentId === parent ? r : { ...r, kind, parentId: parent }));
  };

/** Moves a region to `index` in the order (the order is VideoGrain's layout_mask_order). */
export const moveRegion =
  (id: string, index: number): DocAction =>
  (doc) => {
    const from = doc.regions.findIndex((r) => r.id === id);
    const to = Math.max(0, Math.min(doc.regions.length - 1, index));
    if (from < 0 || from === to) return doc;
    const regions = doc.regions.slice();
    const [moved] = regions.splice(from, 1);
    regions.splice(to, 0, moved!);
    return { ...doc, regions };
  };

/** Deletes a region and its masks; parts of a deleted instance become parts without a parent. */
export const deleteRegion =
  (id: string): DocAction =>
  (doc) => {
    if (!doc.regions.some((r) => r.id === id)) return doc;
    const masks = { ...doc.masks };
    delete masks[id];
    const regions = doc.regions
      .filter((r) => r.id !== id)
      .map((r) => (r.parentId === id ? { ...r, parentId: null } : r));
    return { ...doc, regions, masks };
  };

export const setSourcePrompt =
  (text: string): DocAction =>
  (doc) =>
    doc.sourcePrompt === text ? doc : { ...doc, sourcePrompt: text };
export const setTargetPrompt =
  (text: string): DocAction =>
  (doc) =>
    doc.targetPrompt === text ? doc : { ...doc, targetPrompt: text };

function withFrames(doc: RegionsDoc, id: string, update: (frames: (StoredFrame | null)[]) => boolean): RegionsDoc {
  const current = doc.masks[id];
  if (!current) throw new AppError('NO_REGION', 'That region no longer exists.');
  const frames = current.slice();
  return update(frames) ? { ...doc, masks: { ...doc.masks, [id]: frames } } : doc;
}

function sameFrame(a: StoredFrame | null, b: StoredFrame | null): boolean {
  if (!a || !b) return a === b;
  return a.origin === b.origin && (a.bits === b.bits || masksEqual(a.bits, b.bits));
}

/** Sets one frame's mask as a keyframe (what painting commits); an all-zero mask clears the frame. */
export const setFrameMask =
  (id: string, frame: number, bits: Uint8Array, origin: StoredFrame['origin'] = 'key'): DocAction =>
  (doc) => {
    if (bits.length !== doc.size.width * doc.size.height)
      throw new AppError('MASK_WRONG_SIZE', 'Mask does not match the frame size.');
    const next: StoredFrame | null = isEmptyMask(bits) ? null : { bits, origin };
    return withFrames(doc, id, (frames) => {
      if (frame < 0 || frame >= frames.length || sameFrame(frames[frame] ?? null, next)) return false;
      frames[frame] = next;
      return true;
    });
  };

export const clearFrameMask =
  (id: string, frame: number): DocAction =>
  (doc) =>
    withFrames(doc, id, (frames) => {
      if (!frames[frame]) return false;
      frames[frame] = null;
      return true;
    });

/** Replaces whole regions' masks at once (imports); one history entry. */
export const replaceMasks =
  (entries: Readonly<Record<string, RegionMasks>>): DocAction =>
  (doc) => {
    for (const [id, frames] of Object.entries(entries)) {
      if (!doc.masks[id]) throw new AppError('NO_REGION', 'That region no longer exists.');
      if (frames.length !== doc.frameCount)
        throw new AppError('MASK_WRONG_COUNT', `Expected ${doc.frameCount} frames of masks, got ${frames.length}.`);
    }
    return { ...doc, masks: { ...doc.masks, ...entries } };
  };

/** Several actions as one (one undo step). */
export const batch =
  (...actions: DocAction[]): DocAction =>
  (doc) =>
    actions.reduce((d, a) => a(d), doc);
