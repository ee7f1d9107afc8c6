import { useMemo } from 'react';
import { useStore } from '../../state/store';
import { usePromptTokenizer } from '../regions/tokenizer';
import { cancelEdit, currentBlockers, startEdit } from './actions';

/**
 * The run bar's Edit button (issue 14: always visible, whatever the panels' scroll): disabled with the first
 * reason while something is missing (the run panel lists them all), and Cancel while an edit runs.
 */
export function EditButton() {
  const run = useStore((st) => st.editRun);
  const settings = useStore((st) => st.editSettings);
  const frames = useStore((st) => st.frames);
  const models = useStore((st) => st.models);
  const maskVersion = useStore((st) => st.maskVersion);
  const conditionCount = useStore((st) => st.conditionFrameCount);
  const target = useStore((st) => st.targetPrompt);
  const { tokenizer } = usePromptTokenizer();
  const blockers = useMemo(
    () => currentBlockers(),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- currentBlockers reads these through getState
    [settings, run, frames, models, maskVersion, conditionCount, target, tokenizer],
  );
  if (run)
    return (
      <div className="edit-button">
        <button type="button" className="danger" data-testid="edit-cancel" onClick={cancelEdit} title="Esc">
          Cancel edit
        </button>
      </div>
    );
  return (
    <div className="edit-button">
      <button
        type="button"
        className="primary"
        data-testid="edit-run"
        disabled={blockers.length > 0}
        title={blockers[0] ?? 'Ctrl/Cmd+Enter'}
        onClick={() => void startEdit()}
      >
        Edit
      </button>
      {blockers.length > 0 && (
        <span className="run-bar-blocker" data-testid="run-bar-blocker" title={blockers.join('\n')}>
          {blockers[0]}
          {blockers.length > 1 ? ` (+${blockers.length - 1} more in the Edit panel)` : ''}
        </span>
      )}
    </div>
  );
}
