/** Wires the edit feature into the app once: restore with the project, autosave settings, staleness watch. */
import { registerProjectRestorer } from '../projects/actions';
import { restoreEdit, startEditAutosave } from './persistence';
import { startStalenessWatch } from './staleness';

let installed = false;

export function installEdit(): void {
  if (installed) return;
  installed = true;
  registerProjectRestorer(restoreEdit);
  startEditAutosave();
  startStalenessWatch();
}
