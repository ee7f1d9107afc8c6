import type { StateCreator } from 'zustand';
import type { Region, RegionsDoc } from '../../core/regions/model';
import { maskStore } from '../mask-store';
import type { AppState } from '../store';

export type MaskTool = 'brush' | 'eraser' | 'fill' | 'polygon' | 'lasso' | 'pan' | 'select';

/**
 * Regions metadata mirrored from the mask store (src/state/mask-store.ts, which holds the pixels and undo
 * history) plus the mask editor's view settings.
 */
export interface RegionsSlice {
  readonly regions: readonly Region[];
  readonly sourcePrompt: string;
  readonly targetPrompt: string;
  /** Per region id, one character per frame: 'k' keyframe, 'p' propagated, '.' no mask. */
  readonly maskFrames: Readonly<Record<string, string>>;
  /** Bumped on every mask or region change; views re-read the mask store when it moves. */
  readonly maskVersion: number;
  readonly canUndo: boolean;
  readonly canRedo: boolean;
  readonly selectedRegionId: string | null;
  readonly maskTool: MaskTool;
  readonly brushSize: number;
  readonly overlayOpacity: number;
  readonly showAllRegions: boolean;
  readonly onionSkin: boolean;
  selectRegion(id: string | null): void;
  setMaskTool(tool: MaskTool): void;
  setBrushSize(size: number): void;
  setOverlayOpacity(opacity: number): void;
  setShowAllRegions(all: boolean): void;
  setOnionSkin(on: boolean): void;
}

function mirror(
  doc: RegionsDoc,
): Pick<
  RegionsSlice,
  'regions' | 'sourcePrompt' | 'targetPrompt' | 'maskFrames' | 'maskVersion' | 'canUndo' | 'canRedo'
> {
  const maskFrames: Record<string, string> = {};
  for (const r of doc.regions) {
    const frames = doc.masks[r.id] ?? [];
    let s = '';
    for (let f = 0; f < doc.frameCount; f++) s += frames[f] ? (frames[f]!.origin === 'key' ? 'k' : 'p') : '.';
    maskFrames[r.id] = s;
  }
  return {
    regions: doc.regions,
    sourcePrompt: doc.sourcePrompt,
    targetPrompt: doc.targetPrompt,
    maskFrames,
    maskVersion: maskStore.version(),
    canUndo: maskStore.canUndo(),
    canRedo: maskStore.canRedo(),
  };
}

export const MIN_BRUSH = 1;
export const MAX_BRUSH = 200;

export const createRegionsSlice: StateCreator<AppState, [], [], RegionsSlice> = (set, get) => {
  maskStore.subscribe(() => {
    const doc = maskStore.doc();
    const selected = get().selectedRegionId;
    const stillThere = selected !== null && doc.regions.some((r) => r.id === selected);
    set({
      ...mirror(doc),
      selectedRegionId: stillThere ? selected : (doc.regions[doc.regions.length - 1]?.id ?? null),
    });
  });
  return {
    ...mirror(maskStore.doc()),
    selectedRegionId: null,
    maskTool: 'brush',
    brushSize: 24,
    overlayOpacity: 0.5,
    showAllRegions: true,
    onionSkin: false,
    selectRegion: (id) => set({ selectedRegionId: id }),
    setMaskTool: (maskTool) => set({ maskTool }),
    setBrushSize: (size) => set({ brushSize: Math.max(MIN_BRUSH, Math.min(MAX_BRUSH, Math.round(size))) }),
    setOverlayOpacity: (o) => set({ overlayOpacity: Math.max(0, Math.min(1, o)) }),
    setShowAllRegions: (showAllRegions) => set({ showAllRegions }),
    setOnionSkin: (onionSkin) => set({ onionSkin }),
  };
};
