/**
 * Wires the regions feature into the app once: restores regions when a project opens (through the project
 * loader's restorer list), autosaves changes, and conforms masks when frames are re-extracted.
 */
import { useStore } from '../../state/store';
import { maskStore } from '../../state/mask-store';
import { registerProjectRestorer } from '../projects/actions';
import { restoreRegions, startRegionsAutosave } from './persistence';
import { conformDoc } from './conform';

let installed = false;

export function installRegions(): void {
  if (installed) return;
  installed = true;
  registerProjectRestorer(restoreRegions);
  startRegionsAutosave();
  useStore.subscribe((s, prev) => {
    if (s.frames === prev.frames || !s.frames) return;
    const doc = maskStore.doc();
    const next = conformDoc(doc, { width: s.frames.width, height: s.frames.height }, s.frames.count);
    // Opening another project brings its own regions (restoreRegions); only a re-extraction is saved.
    if (next !== doc) maskStore.reset(next, s.projectId === prev.projectId);
  });
}
