/**
 * Mask pixels live here, outside the reactive store (DESIGN §2): the regions document and its undo history.
 * The zustand regions slice mirrors the small parts (region list, prompts, per-frame origins, versions) on
 * every change; views re-read pixels from here when `maskVersion` changes.
 */
import type { DocAction } from '../core/regions/actions';
import { applyAction, canRedo, canUndo, redo, startHistory, undo, type History } from '../core/regions/history';
import { emptyDoc, type RegionsDoc } from '../core/regions/model';

export interface MaskChange {
  readonly kind: 'action' | 'undo' | 'redo' | 'reset';
  /** False when the change came from storage (restoring), so autosave must not write it back. */
  readonly persist: boolean;
}

type Listener = (change: MaskChange) => void;

let history: History = startHistory(emptyDoc({ width: 0, height: 0 }, 0));
let version = 0;
const listeners = new Set<Listener>();

function emit(change: MaskChange): void {
  version++;
  for (const l of listeners) l(change);
}

export const maskStore = {
  doc(): RegionsDoc {
    return history.present;
  },
  version(): number {
    return version;
  },
  canUndo: (): boolean => canUndo(history),
  canRedo: (): boolean => canRedo(history),
  /** Applies a user action as one undo step; returns false for a no-op. Throws the action's AppError. */
  dispatch(action: DocAction): boolean {
    const next = applyAction(history, action);
    if (next === history) return false;
    history = next;
    emit({ kind: 'action', persist: true });
    return true;
  },
  undo(): boolean {
    const next = undo(history);
    if (next === history) return false;
    history = next;
    emit({ kind: 'undo', persist: true });
    return true;
  },
  redo(): boolean {
    const next = redo(history);
    if (next === history) return false;
    history = next;
    emit({ kind: 'redo', persist: true });
    return true;
  },
  /** Replaces the document and forgets history (project opened, frames re-extracted). */
  reset(doc: RegionsDoc, persist: boolean): void {
    history = startHistory(doc);
    emit({ kind: 'reset', persist });
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  /** A copy of one frame's mask (0/1 per pixel), or null when the frame has none. */
  pixels(regionId: string, frame: number): Uint8Array | null {
    return history.present.masks[regionId]?.[frame]?.bits.slice() ?? null;
  },
  /** Pixels on in one frame's mask (0 when none): what tests read instead of screenshots. */
  count(regionId: string, frame: number): number {
    const bits = history.present.masks[regionId]?.[frame]?.bits;
    let n = 0;
    if (bits) for (let i = 0; i < bits.length; i++) n += bits[i]!;
    return n;
  },
  at(regionId: string, frame: number, x: number, y: number): 0 | 1 {
    const { width } = history.present.size;
    return history.present.masks[regionId]?.[frame]?.bits[y * width + x] ? 1 : 0;
  },
};

export type MaskStore = typeof maskStore;
