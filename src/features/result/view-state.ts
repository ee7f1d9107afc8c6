/**
 * How the result viewer shows the edit (issue 14): side by side or a before/after wipe, the wipe position,
 * the zoom, the attention overlay's opacity and whether "before" is held. View preferences only: nothing
 * here reaches the project, the request or the saved result.
 */
import { useSyncExternalStore } from 'react';

export type ResultMode = 'side' | 'wipe';
/** 'fit' scales to the pane; a number is screen pixels per image pixel (1 = 1:1, for small drafts). */
export type ResultZoom = 'fit' | 1 | 2 | 4;

export interface ResultViewPrefs {
  readonly mode: ResultMode;
  /** Share of the frame, from the left, that shows the edit in wipe mode (0 = all source, 100 = all edit). */
  readonly wipe: number;
  readonly zoom: ResultZoom;
  /** Opacity of the attention heat overlay, 0–1 (the heat map's own alpha ramp is multiplied by it). */
  readonly heatOpacity: number;
  /** True while the compare key (B) or the Before button is held: the edit shows the source. */
  readonly before: boolean;
  readonly playing: boolean;
}

export interface ResultViewState extends ResultViewPrefs {
  set(patch: Partial<ResultViewPrefs>): void;
}

// A view-local store (the app store is for project and engine state; this is how the viewer looks).
const listeners = new Set<() => void>();
const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));
let current: ResultViewState = {
  mode: 'side',
  wipe: 50,
  zoom: 'fit',
  heatOpacity: 0.6,
  before: false,
  playing: false,
  set(patch) {
    const merged = { ...current, ...patch };
    const next: ResultViewState = {
      ...merged,
      wipe: clamp(merged.wipe, 0, 100),
      heatOpacity: clamp(merged.heatOpacity, 0, 1),
    };
    if ((Object.keys(patch) as (keyof ResultViewPrefs)[]).every((k) => current[k] === next[k])) return;
    current = next;
    for (const l of listeners) l();
  },
};

export const resultView = (): ResultViewState => current;

/** The viewer's preferences, re-rendering on change. */
export function useResultView(): ResultViewState {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => current,
  );
}

export const ZOOMS: readonly { value: ResultZoom; label: string }[] = [
  { value: 'fit', label: 'Fit' },
  { value: 1, label: '1:1' },
  { value: 2, label: '2×' },
  { value: 4, label: '4×' },
];

/**
 * Displayed size in CSS pixels of a width×height image in a pane of paneW×paneH: 'fit' keeps the aspect ratio
 * inside the pane; a fixed zoom is device pixels per image pixel (so 1:1 is exact on HiDPI screens too).
 */
export function displaySize(
  zoom: ResultZoom,
  width: number,
  height: number,
  paneW: number,
  paneH: number,
  dpr = 1,
): { width: number; height: number } {
  if (zoom !== 'fit') return { width: (width * zoom) / dpr, height: (height * zoom) / dpr };
  const scale = Math.max(0, Math.min(paneW / width, paneH / height));
  return { width: Math.floor(width * scale), height: Math.floor(height * scale) };
}
