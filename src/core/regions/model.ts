/**
 * The regions document (DESIGN §1 step 2–3, §3.3–3.4): an ordered list of regions, each with a prompt and a
 * binary mask per frame, plus the source and target prompts. The order is VideoGrain's `layout_mask_order`.
 * The document is immutable: actions return a new document sharing everything they did not change.
 */
import type { MaskSize } from '../masks/raster';
import type { StoredFrame } from '../masks/rle';

export type RegionKind = 'instance' | 'part' | 'background';

export interface Region {
  readonly id: string;
  readonly name: string;
  readonly kind: RegionKind;
  /** The instance a part belongs to (kind 'part' only). */
  readonly parentId: string | null;
  /** `#rrggbb`. */
  readonly color: string;
  readonly prompt: string;
  readonly hidden: boolean;
}

/** Per region, one entry per frame: null where nothing was painted or propagated. */
export type RegionMasks = readonly (StoredFrame | null)[];

export interface RegionsDoc {
  readonly size: MaskSize;
  readonly frameCount: number;
  readonly regions: readonly Region[];
  readonly sourcePrompt: string;
  readonly targetPrompt: string;
  readonly masks: Readonly<Record<string, RegionMasks>>;
}

/** Distinct, saturated colours in the order new regions get them. */
export const REGION_PALETTE = [
  '#e6194b',
  '#3cb44b',
  '#4363d8',
  '#f58231',
  '#911eb4',
  '#42d4f4',
  '#f032e6',
  '#bfef45',
  '#fabed4',
  '#469990',
];

export function emptyDoc(size: MaskSize, frameCount: number): RegionsDoc {
  return { size, frameCount, regions: [], sourcePrompt: '', targetPrompt: '', masks: {} };
}

export function regionById(doc: RegionsDoc, id: string): Region | undefined {
  return doc.regions.find((r) => r.id === id);
}

export function frameMask(doc: RegionsDoc, regionId: string, frame: number): StoredFrame | null {
  return doc.masks[regionId]?.[frame] ?? null;
}

export function hexToRgb(hex: string): [number, number, number] {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex);
  const v = m ? parseInt(m[1]!, 16) : 0xff00ff;
  return [(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
}

/** Region names become folder names in the VideoGrain layout: keep them file-system safe. */
export function safeFolderName(name: string): string {
  const cleaned = name
    .trim()
    .replace(/[^\w.-]+/g, '_')
    .replace(/^\.+/, '');
  return cleaned || 'region';
}
