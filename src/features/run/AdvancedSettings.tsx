import { useStore } from '../../state/store';
import type { EditSettings } from '../../core/protocol/edit';
import { CheckField, NumberField, SelectField } from './fields';
import { referenceModulatedSteps } from './settings';
import { FlowSettings } from './FlowSettings';

/** ST-Layout weights, modulated steps and the reference-mode options (DESIGN §3.4–3.5). */
export function AdvancedSettings() {
  const s = useStore((st) => st.editSettings);
  const set = useStore((st) => st.setEditSettings);
  const put = (patch: Partial<EditSettings>) => set(patch);
  return (
    <details className="run-advanced" data-testid="edit-advanced">
      <summary>Advanced</summary>
      <div className="run-grid">
        <NumberField
          label="w_self"
          testId="edit-wself"
          value={s.wSelf}
          step={0.05}
          min={0}
          max={1}
          title="Self-attention modulation weight (reference 0.3)"
          onChange={(wSelf) => put({ wSelf })}
        />
        <NumberField
          label="w_cross"
          testId="edit-wcross"
          value={s.wCross}
          step={0.05}
          min={0}
          max={1}
          title="Cross-attention modulation weight (reference 1.0)"
          onChange={(wCross) => put({ wCross })}
        />
        <label title="Leading denoising steps with modulated attention; empty = the reference round(15·n/50)">
          Modulated steps
          <input
            type="number"
            data-testid="edit-modulated"
            min={0}
            max={s.steps}
            placeholder={`auto (${referenceModulatedSteps(s.steps)})`}
            value={s.modulatedSteps ?? ''}
            onChange={(e) => put({ modulatedSteps: e.target.value === '' ? null : Number(e.target.value) })}
          />
        </label>
        <SelectField
          label="Self-modulation branch"
          testId="edit-branch"
          value={s.selfModulationBranch}
          title="Which guidance half gets self-attention modulation (the reference: unconditional)"
          options={[
            { value: 'uncond', label: 'unconditional (reference)' },
            { value: 'cond', label: 'conditional' },
            { value: 'both', label: 'both' },
          ]}
          onChange={(selfModulationBranch) => put({ selfModulationBranch })}
        />
        <SelectField
          label="Start latent"
          testId="edit-encode-with"
          value={s.encodeWith}
          options={[
            { value: 'sample', label: 'posterior sample (reference)' },
            { value: 'mean', label: 'posterior mean' },
          ]}
          onChange={(encodeWith) => put({ encodeWith })}
        />
      </div>
      <CheckField
        label="Fix self size_reg (F·h·w)"
        testId="edit-fix-size"
        checked={s.fixSelfSizeReg}
        onChange={(fixSelfSizeReg) => put({ fixSelfSizeReg })}
      />
      <CheckField
        label="Modulate all resolutions"
        testId="edit-all-res"
        checked={s.modulateAllResolutions}
        onChange={(modulateAllResolutions) => put({ modulateAllResolutions })}
      />
      <CheckField
        label="Blend with the inverted latents (paper)"
        testId="edit-blend-inv"
        checked={s.blendWithInversion}
        onChange={(blendWithInversion) => put({ blendWithInversion })}
      />
      <FlowSettings />
    </details>
  );
}
