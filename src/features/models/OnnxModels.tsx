import { formatBytes } from '../../core/models/errors';
import { ONNX_MODELS, ONNX_MODEL_KINDS, type OnnxModelKind } from '../../core/models/onnx-models';
import { useStore } from '../../state/store';
import { loadOnnxModel, onnxModelTask, setModelChoices } from './actions';
import { SlotStatus } from './SlotStatus';
import { SourceFields } from './SourceFields';
import { sourceChoice } from './sources';

const PURPOSE: Record<string, string> = {
  condition: 'structure condition',
  flow: 'optical flow',
  segment: 'click to segment',
};

function OnnxModelRow({ kind }: { kind: OnnxModelKind }) {
  const spec = ONNX_MODELS[kind];
  const choices = useStore((s) => s.modelChoices);
  const slot = useStore((s) => s.models[kind]);
  const choice = sourceChoice(choices, kind)!;
  const loading = slot.state === 'loading';
  return (
    <li className="onnx-model" data-testid={`onnx-model-${kind}`}>
      <div className="onnx-model-title">
        <strong>{spec.label}</strong> <small>{PURPOSE[spec.purpose]}</small>
        <small title={spec.preset.homepage}>
          {' '}
          · {spec.preset.license} · about {formatBytes(spec.preset.bytes)}
        </small>
      </div>
      <SourceFieldsFor kind={kind} disabled={loading} />
      <div className="model-actions">
        <button
          onClick={() => void loadOnnxModel(kind)}
          disabled={loading || !choice.value}
          data-testid={`onnx-model-load-${kind}`}
        >
          {slot.state === 'ready' ? 'Reload' : 'Download / load'}
        </button>
      </div>
      <SlotStatus kind={kind} slot={slot} task={onnxModelTask(kind)} />
    </li>
  );
}

function SourceFieldsFor({ kind, disabled }: { kind: OnnxModelKind; disabled: boolean }) {
  const choices = useStore((s) => s.modelChoices);
  return (
    <SourceFields
      kind={kind}
      choice={sourceChoice(choices, kind)!}
      disabled={disabled}
      onChange={(choice) => setModelChoices({ ...choices, onnx: { ...choices.onnx, [kind]: choice } })}
    />
  );
}

/**
 * The ONNX-shipped models (pose and depth estimators, optical flow, the segmenter): each from its preset repo by
 * default, or a URL or local folder, loaded on demand with its own progress; cached like the others.
 */
export function OnnxModels() {
  return (
    <details className="onnx-models" data-testid="onnx-models">
      <summary>Estimators, optical flow and segmentation</summary>
      <ul>
        {ONNX_MODEL_KINDS.map((kind) => (
          <OnnxModelRow key={kind} kind={kind} />
        ))}
      </ul>
    </details>
  );
}
