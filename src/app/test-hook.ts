/**
 * Test hook (excalidraw style): end-to-end tests read state through `window.__videograin` instead of pixels.
 * It exposes read access and the same services the UI uses; nothing here is a back door for behaviour.
 */
import { useStore } from '../state/store';
import { bulk } from '../state/bulk';
import { services } from './services';
import { regionsTestSupport } from '../features/regions/test-support';
import { editTestSupport } from '../features/run/test-support';
import { flushClipSave } from '../features/clip/autosave';

export interface TestHook {
  readonly store: typeof useStore;
  readonly bulk: typeof bulk;
  readonly services: typeof services;
  readonly regions: typeof regionsTestSupport;
  readonly edit: typeof editTestSupport;
  /** Resolves when the clip settings changed so far are stored. */
  readonly clip: { readonly flushSave: () => Promise<void> };
}

declare global {
  interface Window {
    __videograin?: TestHook;
  }
}

export function installTestHook(): void {
  window.__videograin = {
    store: useStore,
    bulk,
    services,
    regions: regionsTestSupport,
    edit: editTestSupport,
    clip: { flushSave: flushClipSave },
  };
}
