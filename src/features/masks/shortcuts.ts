/**
 * Keyboard shortcuts of the mask editor. Ignored while typing in a field.
 * B brush · E eraser · F fill · P polygon · L lasso · H pan (or hold Space) · [ ] brush size · O onion skin ·
 * A all regions / selected only · 0 reset zoom · , . previous / next frame · Ctrl+Z undo · Ctrl+Shift+Z or
 * Ctrl+Y redo · Enter close polygon · Esc cancel polygon · S select (click to segment): Enter accept,
 * Shift+Enter add, 1–3 choose a candidate, Esc clear the clicks · T track both ways from this frame.
 */
import { useEffect, useRef } from 'react';
import { useStore } from '../../state/store';
import { redo, undo } from '../regions/actions';
import { acceptCandidate, chooseCandidate, clearSelect } from './select-actions';
import { startTrack } from './track-actions';

export interface ShortcutHandlers {
  closePolygon(): void;
  cancelPolygon(): void;
  resetView(): void;
  setSpaceHeld(held: boolean): void;
}

const typing = (t: EventTarget | null) =>
  t instanceof HTMLElement && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName));

export function useMaskShortcuts(handlers: ShortcutHandlers): void {
  const latest = useRef(handlers);
  useEffect(() => {
    latest.current = handlers;
  });
  useEffect(() => {
    const down = (e: KeyboardEvent) => {
      if (typing(e.target)) return;
      const s = useStore.getState();
      const h = latest.current;
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      if (mod && key === 'z') (e.shiftKey ? redo : undo)();
      else if (mod && key === 'y') redo();
      else if (mod) return;
      else if (key === 'b') s.setMaskTool('brush');
      else if (key === 'e') s.setMaskTool('eraser');
      else if (key === 'f') s.setMaskTool('fill');
      else if (key === 'p') s.setMaskTool('polygon');
      else if (key === 'l') s.setMaskTool('lasso');
      else if (key === 'h') s.setMaskTool('pan');
      else if (key === 's') s.setMaskTool('select');
      else if (key === 't') void startTrack('both');
      else if (s.maskTool === 'select' && ['1', '2', '3'].includes(key)) chooseCandidate(Number(key) - 1);
      else if (s.maskTool === 'select' && key === 'enter') acceptCandidate(e.shiftKey ? 'add' : 'replace');
      else if (s.maskTool === 'select' && key === 'escape') clearSelect();
      else if (key === '[') s.setBrushSize(s.brushSize / 1.25);
      else if (key === ']') s.setBrushSize(s.brushSize * 1.25 + 1);
      else if (key === 'o') s.setOnionSkin(!s.onionSkin);
      else if (key === 'a') s.setShowAllRegions(!s.showAllRegions);
      else if (key === '0') h.resetView();
      else if (key === ',') s.setCurrentFrame(s.currentFrame - 1);
      else if (key === '.') s.setCurrentFrame(s.currentFrame + 1);
      else if (key === 'enter') h.closePolygon();
      else if (key === 'escape') h.cancelPolygon();
      else if (key === ' ') h.setSpaceHeld(true);
      else return;
      e.preventDefault();
    };
    const up = (e: KeyboardEvent) => {
      if (e.key === ' ') latest.current.setSpaceHeld(false);
    };
    window.addEventListener('keydown', down);
    window.addEventListener('keyup', up);
    return () => {
      window.removeEventListener('keydown', down);
      window.removeEventListener('keyup', up);
    };
  }, []);
}
