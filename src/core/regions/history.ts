/**
 * Undo/redo over immutable documents: every committed action pushes the previous document. Documents share
 * unchanged masks, so a step costs about one frame's mask, not the whole project.
 */
import type { DocAction } from './actions';
import type { RegionsDoc } from './model';

export interface History {
  readonly past: readonly RegionsDoc[];
  readonly present: RegionsDoc;
  readonly future: readonly RegionsDoc[];
}

export const HISTORY_LIMIT = 100;

export const startHistory = (doc: RegionsDoc): History => ({ past: [], present: doc, future: [] });

/** Applies `action`; a no-op (same document back) leaves the history untouched. */
export function applyAction(h: History, action: DocAction): History {
  const next = action(h.present);
  if (next === h.present) return h;
  return { past: [...h.past.slice(-(HISTORY_LIMIT - 1)), h.present], present: next, future: [] };
}

export function undo(h: History): History {
  const prev = h.past[h.past.length - 1];
  if (!prev) return h;
  return { past: h.past.slice(0, -1), present: prev, future: [h.present, ...h.future] };
}

export function redo(h: History): History {
  const next = h.future[0];
  if (!next) return h;
  return { past: [...h.past, h.present], present: next, future: h.future.slice(1) };
}

export const canUndo = (h: History): boolean => h.past.length > 0;
export const canRedo = (h: History): boolean => h.future.length > 0;
