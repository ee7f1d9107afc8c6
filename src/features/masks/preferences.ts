/**
 * Editor preferences that survive a reload (issue 14, item 10): brush size, overlay opacity, onion skin and
 * the active centre tab. They are the person's, not the project's, so they live in localStorage (one JSON
 * entry), read once at start-up and written when they change. Storage that is off or full only means they
 * are not kept.
 */
import { useStore, type AppState } from '../../state/store';
import { MAX_BRUSH, MIN_BRUSH } from '../../state/slices/regions';
import type { CenterView } from '../../state/slices/edit';

export const PREFERENCES_KEY = 'videograin.editorPreferences';

export interface EditorPreferences {
  readonly brushSize: number;
  readonly overlayOpacity: number;
  readonly onionSkin: boolean;
  readonly centerView: CenterView;
}

const pick = (s: AppState): EditorPreferences => ({
  brushSize: s.brushSize,
  overlayOpacity: s.overlayOpacity,
  onionSkin: s.onionSkin,
  centerView: s.centerView,
});

/** Stored (untrusted) JSON → the preferences it validly holds (pure). */
export function parsePreferences(text: string | null): Partial<EditorPreferences> {
  let v: unknown;
  try {
    v = JSON.parse(text ?? 'null');
  } catch {
    return {};
  }
  if (typeof v !== 'object' || v === null) return {};
  const o = v as Record<string, unknown>;
  const out: { -readonly [K in keyof EditorPreferences]?: EditorPreferences[K] } = {};
  if (typeof o.brushSize === 'number' && o.brushSize >= MIN_BRUSH && o.brushSize <= MAX_BRUSH)
    out.brushSize = Math.round(o.brushSize);
  if (typeof o.overlayOpacity === 'number' && o.overlayOpacity >= 0 && o.overlayOpacity <= 1)
    out.overlayOpacity = o.overlayOpacity;
  if (typeof o.onionSkin === 'boolean') out.onionSkin = o.onionSkin;
  if (o.centerView === 'masks' || o.centerView === 'result') out.centerView = o.centerView;
  return out;
}

let installed = false;

/** The part of the Web Storage API used here (localStorage in the app, a map in tests). */
export interface PreferenceStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const pageStorage = (): PreferenceStorage | undefined => {
  try {
    return (globalThis as { localStorage?: PreferenceStorage }).localStorage;
  } catch {
    return undefined; // storage blocked by the browser's settings
  }
};

/** Applies the stored preferences and keeps them stored. Idempotent. */
export function installEditorPreferences(storage: PreferenceStorage | undefined = pageStorage()): void {
  if (installed || !storage) return;
  installed = true;
  try {
    useStore.setState(parsePreferences(storage.getItem(PREFERENCES_KEY)));
  } catch {
    // storage blocked: defaults
  }
  let last = JSON.stringify(pick(useStore.getState()));
  useStore.subscribe((s) => {
    const next = JSON.stringify(pick(s));
    if (next === last) return;
    last = next;
    try {
      storage.setItem(PREFERENCES_KEY, next);
    } catch {
      // storage full or blocked: the preferences hold for this page only
    }
  });
}
