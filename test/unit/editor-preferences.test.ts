/** Editor preferences across a reload (issue 14, item 10): stored, validated, applied to the store. */
import { describe, expect, it } from 'vitest';
import { PREFERENCES_KEY, installEditorPreferences, parsePreferences } from '../../src/features/masks/preferences';
import { useStore } from '../../src/state/store';

class MemoryStorage {
  readonly map = new Map<string, string>();
  getItem = (k: string) => this.map.get(k) ?? null;
  setItem = (k: string, v: string) => void this.map.set(k, v);
}

describe('editor preferences', () => {
  it('keeps only valid stored values', () => {
    expect(parsePreferences('{"brushSize":40,"overlayOpacity":0.25,"onionSkin":true,"centerView":"result"}')).toEqual({
      brushSize: 40,
      overlayOpacity: 0.25,
      onionSkin: true,
      centerView: 'result',
    });
    expect(parsePreferences('{"brushSize":9999,"overlayOpacity":-1,"onionSkin":"yes","centerView":"x"}')).toEqual({});
    expect(parsePreferences('not json')).toEqual({});
    expect(parsePreferences(null)).toEqual({});
  });

  it('restores them at start-up and writes every change', () => {
    const storage = new MemoryStorage();
    storage.setItem(PREFERENCES_KEY, JSON.stringify({ brushSize: 60, overlayOpacity: 0.8 }));
    installEditorPreferences(storage);
    expect(useStore.getState().brushSize).toBe(60);
    expect(useStore.getState().overlayOpacity).toBe(0.8);
    useStore.getState().setOnionSkin(true);
    useStore.getState().setCenterView('result');
    expect(JSON.parse(storage.getItem(PREFERENCES_KEY)!)).toEqual({
      brushSize: 60,
      overlayOpacity: 0.8,
      onionSkin: true,
      centerView: 'result',
    });
  });
});
