import { useStore } from '../../state/store';
import type { FlattenSettings } from '../../core/protocol/edit';
import { ONNX_MODELS } from '../../core/models/onnx-models';
import { CheckField } from './fields';
import { DEFAULT_FLATTEN, FLATTEN_LEVEL_LABELS, toggleFlattenResolution } from './flow-settings';

/**
 * FLATTEN flow-guided consistency (DESIGN §3.6) under Advanced: on/off, the latent levels it runs at (the official
 * `flatten_res`), and `old_qk`. It needs optical flow: RAFT from the Models panel (the engine computes the flow
 * from the frames); without it the toggle says so and an edit would be refused with FLOW_UNAVAILABLE.
 */
export function FlowSettings() {
  const flatten = useStore((s) => s.editSettings.flatten ?? null);
  const set = useStore((s) => s.setEditSettings);
  const raftReady = useStore((s) => s.models.raft.state === 'ready');
  const put = (next: FlattenSettings | null) => set({ flatten: next });
  return (
    <fieldset className="run-flow" data-testid="edit-flow">
      <legend>Flow-guided consistency (FLATTEN)</legend>
      <CheckField
        label="On"
        testId="edit-flow-on"
        checked={flatten !== null}
        title="Attention along optical-flow trajectories after the space-time self-attention (every official config uses it)"
        onChange={(on) => put(on ? (flatten ?? DEFAULT_FLATTEN) : null)}
      />
      {flatten && (
        <div className="run-flow-levels">
          {FLATTEN_LEVEL_LABELS.map(({ divisor, label }) => (
            <CheckField
              key={divisor}
              label={label}
              testId={`edit-flow-res-${divisor}`}
              checked={flatten.resolutions.includes(divisor)}
              onChange={(on) => put(toggleFlattenResolution(flatten, divisor, on))}
            />
          ))}
          <CheckField
            label="Q, K from to_q/to_k (old_qk)"
            testId="edit-flow-oldqk"
            checked={flatten.oldQk}
            onChange={(oldQk) => put({ ...flatten, oldQk })}
          />
        </div>
      )}
      {flatten && !raftReady && (
        <p className="run-flow-hint" role="note" data-testid="edit-flow-needs-model">
          Needs optical flow: load {ONNX_MODELS.raft.label} in Models → Estimators, optical flow and segmentation.
        </p>
      )}
    </fieldset>
  );
}
