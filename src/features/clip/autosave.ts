/**
 * The clip settings (start, frames, stride, size) are saved as the user changes them, not only when frames are
 * extracted, so a reload brings back the panel as it was left. Each save writes the settings field alone
 * (saveClipSettings), in the order of the changes; failures become a notice.
 */
import { useStore } from '../../state/store';
import { saveClipSettings } from '../projects/actions';

let installed = false;
let pending: Promise<void> = Promise.resolve();

export function installClipAutosave(): void {
  if (installed) return;
  installed = true;
  useStore.subscribe((s, prev) => {
    // Opening a project sets its own settings along with its id: those are already stored.
    if (s.clip === prev.clip || !s.projectId || s.projectId !== prev.projectId) return;
    const { projectId, clip } = s;
    pending = pending
      .then(() => saveClipSettings(projectId, clip))
      .catch((e: unknown) =>
        useStore.getState().notify('error', `Clip settings could not be saved: ${(e as Error).message}`, 'STORAGE'),
      );
  });
}

/** Resolves when every settings change made so far is stored. */
export function flushClipSave(): Promise<void> {
  return pending;
}
