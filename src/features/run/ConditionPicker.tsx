/**
 * The run panel's structure condition (issue 16, DESIGN §3.7): none, canny edges (with the thresholds), your own
 * images, pose (DWPose or OpenPose drawing, with hands / face) or depth (MiDaS or ZoeDepth). Estimator conditions
 * say which model to load when it is not loaded (Models → Estimators); the Edit button lists the same blocker.
 */
import { ESTIMATOR_LABELS, estimatorModelOf } from '../../core/conditions/kinds';
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
  const put = (patch: Partial<ConditionSettings>) => set({ condition: { ...condition, ...patch } });
  const estimator = estimatorModelOf(condition.kind);
  const pose = condition.kind === 'dwpose' || condition.kind === 'openpose';
  return (
    <div className="condition-picker" data-testid="condition-picker">
      <SelectField
        label="Structure condition"
        testId="edit-condition"
        value={condition.kind}
        options={CONDITION_CHOICES}
        onChange={(kind) => put({ kind })}
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
      {estimator && models[estimator].state !== 'ready' && (
        <p className="hint" data-testid="condition-estimator-hint">
          Load {ESTIMATOR_LABELS[estimator]} in Models → Estimators to compute this condition.
        </p>
      )}
    </div>
  );
}
