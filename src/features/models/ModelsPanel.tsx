import { useEffect } from 'react';
import { CONTROLNET_REPOS } from '../../core/models/catalog';
import { formatBytes } from '../../core/models/errors';
import { useStore } from '../../state/store';
import type { ControlNetPreset } from '../../state/slices/models';
import {
  MODELS_TASK,
  cancelModelLoad,
  deleteCachedModels,
  loadModels,
  restoreModels,
  setModelChoices,
} from './actions';
import { SourceFields } from './SourceFields';
import { SlotStatus } from './SlotStatus';
import { OnnxModels } from './OnnxModels';
import './models.css';

let restored = false;

/** Model sources (Hugging Face repo, base URL, local folder), Load / Cancel, and the browser cache. */
export function ModelsPanel() {
  const choices = useStore((s) => s.modelChoices);
  const models = useStore((s) => s.models);
  const cached = useStore((s) => s.cachedModels);
  const loading = models.sd15.state === 'loading' || models.controlnet.state === 'loading';

  useEffect(() => {
    if (restored) return;
    restored = true;
    void restoreModels();
  }, []);

  return (
    <section className="models-panel" data-testid="models-panel">
      <h2>Models</h2>
      <label>Stable Diffusion 1.5</label>
      <SourceFields
        kind="sd15"
        choice={choices.sd15}
        disabled={loading}
        onChange={(sd15) => setModelChoices({ ...choices, sd15 })}
      />
      <SlotStatus kind="sd15" slot={models.sd15} task={MODELS_TASK} />
      <label>
        ControlNet{' '}
        <select
          value={choices.controlnet.preset}
          disabled={loading}
          data-testid="model-controlnet"
          onChange={(e) =>
            setModelChoices({
              ...choices,
              controlnet: { ...choices.controlnet, preset: e.target.value as ControlNetPreset },
            })
          }
        >
          <option value="none">none</option>
          {Object.keys(CONTROLNET_REPOS).map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
          <option value="custom">custom…</option>
        </select>
      </label>
      {choices.controlnet.preset === 'custom' && (
        <SourceFields
          kind="controlnet"
          choice={choices.controlnet.custom}
          disabled={loading}
          onChange={(custom) => setModelChoices({ ...choices, controlnet: { preset: 'custom', custom } })}
        />
      )}
      {choices.controlnet.preset !== 'none' && (
        <SlotStatus kind="controlnet" slot={models.controlnet} task={MODELS_TASK} />
      )}
      <div className="model-actions">
        <button onClick={() => void loadModels()} disabled={loading} data-testid="models-load">
          Download / load
        </button>
        {loading && (
          <button onClick={cancelModelLoad} data-testid="models-cancel">
            Cancel
          </button>
        )}
      </div>
      <OnnxModels />
      <details className="model-cache" data-testid="model-cache">
        <summary>
          Cached models ({cached.length}, {formatBytes(cached.reduce((a, m) => a + m.bytes, 0))})
        </summary>
        <ul>
          {cached.map((m) => (
            <li key={m.id} data-testid="cached-model" data-id={m.id}>
              <span title={m.id}>{m.id}</span> {formatBytes(m.bytes)}
              {m.complete.length === 0 ? ' (partial)' : ''}
              <button onClick={() => void deleteCachedModels(m.id)} disabled={loading} aria-label={`Delete ${m.id}`}>
                ×
              </button>
            </li>
          ))}
        </ul>
        <button
          onClick={() => void deleteCachedModels()}
          disabled={loading || cached.length === 0}
          data-testid="delete-cached-models"
        >
          Delete cached models
        </button>
      </details>
    </section>
  );
}
