import { useEffect } from 'react';
import { CONTROLNET_REPOS } from '../../core/models/catalog';
import { formatBytes } from '../../core/models/errors';
import type { ModelKind } from '../../core/models/files';
import { useStore } from '../../state/store';
import type { ControlNetPreset, ModelSlot } from '../../state/slices/models';
import {
  MODELS_TASK,
  cancelModelLoad,
  deleteCachedModels,
  loadModels,
  restoreModels,
  setModelChoices,
} from './actions';
import { etaText } from '../tasks/eta';
import { SourceFields } from './SourceFields';
import './models.css';

let restored = false;

function SlotStatus({ kind, slot }: { kind: ModelKind; slot: ModelSlot }) {
  const p = slot.progress;
  const task = useStore((s) => s.tasks.find((t) => t.id === MODELS_TASK));
  const eta = task && p?.phase === 'downloading' ? etaText(task, Date.now()) : null;
  let text = 'not loaded';
  if (slot.state === 'ready' && slot.info)
    text = `ready — ${slot.info.precision}, ${formatBytes(slot.info.bytes)}${slot.info.fromCache ? ', from cache' : ''}`;
  else if (slot.state === 'loading')
    // The ETA is the models task's (the task bar shows the same text): one estimate on screen.
    text =
      p && p.total > 0
        ? `${formatBytes(p.bytes)} of ${formatBytes(p.total)}${eta ? `, ${eta}` : ''}`
        : 'checking files…';
  else if (slot.state === 'error') text = `failed (${slot.error?.code ?? 'error'})`;
  return (
    <div
      className="model-status"
      data-testid={`model-status-${kind}`}
      data-state={slot.state}
      title={slot.error?.message}
    >
      <span>{text}</span>
      {slot.state === 'loading' && <progress max={1} value={p && p.total > 0 ? p.bytes / p.total : undefined} />}
      {slot.state === 'ready' && slot.info && <small>{slot.info.summary}</small>}
    </div>
  );
}

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
      <SlotStatus kind="sd15" slot={models.sd15} />
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
      {choices.controlnet.preset !== 'none' && <SlotStatus kind="controlnet" slot={models.controlnet} />}
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
