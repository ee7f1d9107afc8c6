import { useEffect, useMemo, useRef } from 'react';
import { useStore } from '../../state/store';
import type { EditSettings } from '../../core/protocol/edit';
import { usePromptTokenizer } from '../regions/tokenizer';
import { AdvancedSettings } from './AdvancedSettings';
import { ResetDefaults } from './ResetDefaults';
import { EditEta } from './EditEta';
import { NumberField, CheckField } from './fields';
import { ConditionPicker } from './ConditionPicker';
import { ConditionPreview } from './ConditionPreview';
import { cancelEdit, currentBlockers, describeStage, setConditionFrames, startEdit } from './actions';
import { loadConditionImages } from './condition-frames';
import { installEdit } from './install';
import { randomSeed } from './settings';
import './run.css';

// Restoring the edit must be registered before the first project opens (module load, before start-up runs).
installEdit();

// Ctrl/Cmd+Enter runs the edit from anywhere, prompt boxes included; a focused select keeps its own keys.
const isSelect = (t: EventTarget | null) => t instanceof HTMLElement && t.tagName === 'SELECT';

/** Edit settings, the Edit button (disabled with its reason), progress, cancel and the live preview. */
export function RunPanel() {
  const s = useStore((st) => st.editSettings);
  const set = useStore((st) => st.setEditSettings);
  const run = useStore((st) => st.editRun);
  const wantMaps = useStore((st) => st.wantAttentionMaps);
  const setWantMaps = useStore((st) => st.setWantAttentionMaps);
  const frames = useStore((st) => st.frames);
  const models = useStore((st) => st.models);
  const maskVersion = useStore((st) => st.maskVersion);
  const conditionCount = useStore((st) => st.conditionFrameCount);
  const { tokenizer } = usePromptTokenizer();
  const conditionInput = useRef<HTMLInputElement>(null);
  const put = (patch: Partial<EditSettings>) => set(patch);

  const blockers = useMemo(
    () => currentBlockers(),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- currentBlockers reads these through getState
    [s, run, frames, models, maskVersion, conditionCount, tokenizer],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !isSelect(e.target)) {
        e.preventDefault();
        if (currentBlockers().length === 0) void startEdit();
      } else if (e.key === 'Escape' && useStore.getState().editRun) {
        e.preventDefault();
        cancelEdit();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const onConditionFiles = async (list: FileList | null) => {
    const files = list ? [...list] : [];
    if (conditionInput.current) conditionInput.current.value = '';
    if (!frames || files.length === 0) return;
    try {
      setConditionFrames(await loadConditionImages(files, frames.width, frames.height));
    } catch (e) {
      useStore.getState().notify('error', (e as Error).message, (e as { code?: string }).code);
    }
  };

  return (
    <section className="run-panel" data-testid="run-panel">
      <h3>Edit</h3>
      <div className="run-grid">
        <NumberField
          label="Steps"
          testId="edit-steps"
          value={s.steps}
          min={1}
          max={200}
          onChange={(steps) => put({ steps })}
        />
        <NumberField
          label="Guidance"
          testId="edit-guidance"
          value={s.guidance}
          step={0.5}
          min={0}
          max={30}
          onChange={(guidance) => put({ guidance })}
        />
        <NumberField label="Seed" testId="edit-seed" value={s.seed} min={0} onChange={(seed) => put({ seed })}>
          <button
            type="button"
            data-testid="edit-seed-random"
            title="Random seed"
            onClick={() => put({ seed: randomSeed() })}
          >
            Random
          </button>
        </NumberField>
        <NumberField
          label="ControlNet scale"
          testId="edit-condition-scale"
          value={s.condition.scale}
          step={0.05}
          min={0}
          max={2}
          onChange={(scale) => put({ condition: { ...s.condition, scale } })}
        />
      </div>
      <ConditionPicker />
      {s.condition.kind === 'frames' && (
        <label className="hint">
          Condition images ({conditionCount} picked; one per frame, in name order, resized like the frames)
          <input
            ref={conditionInput}
            type="file"
            accept="image/*"
            multiple
            data-testid="edit-condition-files"
            onChange={(e) => void onConditionFiles(e.target.files)}
          />
        </label>
      )}
      <ConditionPreview />
      <label>
        Negative prompt
        <textarea
          data-testid="edit-negative"
          rows={2}
          value={s.negativePrompt}
          onChange={(e) => put({ negativePrompt: e.target.value })}
        />
      </label>
      <AdvancedSettings />
      <CheckField
        label="Per-region attention maps"
        testId="edit-attention-maps"
        checked={wantMaps}
        onChange={setWantMaps}
      />
      <div className="run-actions">
        <ResetDefaults />
        {/* Edit and Cancel live in the run bar (EditButton), always in view. */}
      </div>
      {!run && blockers.length > 0 && (
        <ul className="run-blockers" data-testid="edit-blockers">
          {blockers.map((b) => (
            <li key={b}>{b}</li>
          ))}
        </ul>
      )}
      {run && (
        <div className="run-status" data-testid="edit-status" data-stage={run.stage}>
          {describeStage(run.stage, run.step, run.total)}
          <EditEta />
        </div>
      )}
      {run?.inversionReused && (
        <div className="hint" data-testid="edit-inversion-reused">
          Inversion reused — skipped encode and inversion
        </div>
      )}
    </section>
  );
}
