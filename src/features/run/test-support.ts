/**
 * What end-to-end tests reach through `window.__videograin.edit`: the last result's frames and attention maps,
 * the live preview, the last run's progress events, the request the Edit button would send (copies), pending
 * saves, and why Edit is disabled. Read-only views of state; nothing here changes behaviour.
 */
import { editBulk } from '../../state/edit-bulk';
import { maskStore } from '../../state/mask-store';
import { useStore } from '../../state/store';
import { currentBlockers, lastRunLog } from './actions';
import { flushEditSave } from './persistence';
import { buildEditRequest } from './request';
import { currentFingerprint, currentFramesInput } from './staleness';

export const editTestSupport = {
  result: () => editBulk.result(),
  preview: () => editBulk.preview(),
  lastRun: () => ({ progress: [...lastRunLog.progress], previews: lastRunLog.previews }),
  blockers: () => currentBlockers(),
  fingerprint: () => currentFingerprint(),
  request: () => {
    const frames = currentFramesInput();
    return frames ? buildEditRequest(frames, maskStore.doc(), useStore.getState().editSettings) : null;
  },
  flushSave: flushEditSave,
};
