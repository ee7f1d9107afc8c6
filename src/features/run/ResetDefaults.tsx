import { useEffect, useState } from 'react';
import { useStore } from '../../state/store';
import type { EditSettings } from '../../core/protocol/edit';
import { loadedControlNet, resetToReference } from './defaults';

/**
 * "Reset to reference defaults" (issue 14, item 3): restores the official settings (negative prompt included),
 * keeps steps and seed, says what it changed, and offers Undo until the settings move on.
 */
export function ResetDefaults() {
  const settings = useStore((s) => s.editSettings);
  const set = useStore((s) => s.setEditSettings);
  const [last, setLast] = useState<{ before: EditSettings; after: EditSettings; text: string } | null>(null);
  // Another change makes the undo meaningless: the summary goes away.
  useEffect(() => {
    if (last && settings !== last.after) setLast(null);
  }, [settings, last]);
  const reset = () => {
    const s = useStore.getState();
    const r = resetToReference(s.editSettings, loadedControlNet(s));
    set(r.settings);
    const after = useStore.getState().editSettings;
    const text = r.changes.length
      ? `Reset: ${r.changes.join('; ')}. ${r.kept}`
      : `Already at the reference defaults. ${r.kept}`;
    setLast({ before: s.editSettings, after, text });
  };
  return (
    <>
      <button type="button" data-testid="edit-reset" onClick={reset}>
        Reset to reference defaults
      </button>
      {last && (
        <div className="hint run-reset-summary" data-testid="edit-reset-summary">
          {last.text}{' '}
          <button
            type="button"
            data-testid="edit-reset-undo"
            onClick={() => {
              set(last.before);
              setLast(null);
            }}
          >
            Undo
          </button>
        </div>
      )}
    </>
  );
}
