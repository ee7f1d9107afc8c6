/**
 * The run panel's structure condition (issue 16, DESIGN §3.7): none, canny edges (with the thresholds), your own
 * images, pose (DWPose or OpenPose drawing, with hands / face) or depth (MiDaS or ZoeDepth). Estimator conditions
 * say which model to load when it is not loaded (Models → Estimators); the Edit button lists the same blocker.
 */
import { controlNetForCondition, ESTIMATOR_LABELS, estimatorModelOf } from '../../core/conditions/kinds';
import {
  DEFAULT_CANNY_HIGH,
  DEFAULT_CANNY_LOW,
  type ConditionKind,
  type ConditionSettings,
} from '../../core/protocol/edit';
import { useStore } from '../../state/store';
import { CheckField, NumberField, SelectField } from './fields';

export const CONDITION_CHOICES: readonly { value: ConditionKind; label: string }[] = [
  { value: 'none', label: 'None' },
  { value: 'canny', label: 'Canny edges' },
  { value: 'dwpose', label: 'Pose: DWPose' },
  { value: 'openpose', label: 'Pose: OpenPose (drawn from DWPose)' },
  { value: 'depth', label: 'Depth: MiDaS' },
  { value: 'depth_zoe', label: 'Depth: ZoeDepth' },
  { value: 'frames', label: 'My condition images' },
];

export function ConditionPicker() {
  const condition = useStore((st) => st.editSettings.condition);
  const set = useStore((st) => st.setEditSettings);
  const models = useStore((st) => st.models);
  const choices = useStore((st) => st.modelChoices);
  const put = (patch: Partial<ConditionSettings>) => set({ condition: { ...condition, ...patch } });
  // The ControlNet preset follows the condition (dwpose/openpose → openpose, depth/depth_zoe → depth, canny →
  // canny) while none is loaded, so the next Load fetches the right one; a loaded one is kept (the hint below says
  // which to load) and a custom ControlNet is the user's choice.
  const pick = (kind: ConditionKind) => {
    put({ kind });
    const preset = controlNetForCondition(kind);
    const c = choices.controlnet;
    if (preset && models.controlnet.state !== 'ready' && c.preset !== 'custom' && c.preset !== preset)
      useStore.getState().setModelChoices({ ...choices, controlnet: { ...c, preset } });
  };
  const wanted = controlNetForCondition(condition.kind);
  const loadedOther =
    models.controlnet.state === 'ready' &&
    wanted !== null &&
    condition.kind !== 'frames' &&
    choices.controlnet.preset !== 'custom' &&
    choices.controlnet.preset !== wanted;
  const estimator = estimatorModelOf(condition.kind);
  const pose = condition.kind === 'dwpose' || condition.kind === 'openpose';
  return (
    <div className="condition-picker" data-testid="condition-picker">
      <SelectField
        label="Structure condition"
        testId="edit-condition"
        value={condition.kind}
        options={CONDITION_CHOICES}
        onChange={pick}
      />
      {condition.kind === 'canny' && (
        <div className="run-grid">
          <NumberField
            label="Low threshold"
            testId="edit-canny-low"
            value={condition.low ?? DEFAULT_CANNY_LOW}
            min={0}
            max={1000}
            onChange={(low) => put({ low })}
          />
          <NumberField
            label="High threshold"
            testId="edit-canny-high"
            value={condition.high ?? DEFAULT_CANNY_HIGH}
            min={0}
            max={1000}
            onChange={(high) => put({ high })}
          />
        </div>
      )}
      {pose && (
        <div className="field-row">
          <CheckField
            label="Hands"
            testId="edit-pose-hand"
            checked={condition.hand ?? false}
            onChange={(hand) => put({ hand })}
          />
          <CheckField
            label="Face"
            testId="edit-pose-face"
            checked={condition.face ?? false}
            onChange={(face) => put({ face })}
          />
        </div>
      )}
      {loadedOther && (
        <p className="hint" data-testid="condition-controlnet-hint">
          The {condition.kind} condition is for the {wanted} ControlNet: load it in Models.
        </p>
      )}
      {estimator && models[estimator].state !== 'ready' && (
        <p className="hint" data-testid="condition-estimator-hint">
          Load {ESTIMATOR_LABELS[estimator]} in Models → Estimators to compute this condition.
        </p>
      )}
    </div>
  );
}
