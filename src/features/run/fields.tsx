/** Small labelled inputs of the run panel; each writes one edit setting. */
import type { ReactNode } from 'react';

export function NumberField(props: {
  label: string;
  testId: string;
  value: number;
  step?: number;
  min?: number;
  max?: number;
  title?: string;
  onChange: (value: number) => void;
  children?: ReactNode;
}) {
  return (
    <label title={props.title}>
      {props.label}
      <span className="field-row">
        <input
          type="number"
          data-testid={props.testId}
          value={Number.isFinite(props.value) ? props.value : ''}
          step={props.step ?? 1}
          min={props.min}
          max={props.max}
          onChange={(e) => props.onChange(e.target.value === '' ? Number.NaN : Number(e.target.value))}
        />
        {props.children}
      </span>
    </label>
  );
}

export function CheckField(props: {
  label: string;
  testId: string;
  checked: boolean;
  title?: string;
  onChange: (on: boolean) => void;
}) {
  return (
    <label className="check" title={props.title}>
      <input
        type="checkbox"
        data-testid={props.testId}
        checked={props.checked}
        onChange={(e) => props.onChange(e.target.checked)}
      />
      {props.label}
    </label>
  );
}

export function SelectField<T extends string>(props: {
  label: string;
  testId: string;
  value: T;
  options: readonly { value: T; label: string; disabled?: boolean }[];
  title?: string;
  onChange: (value: T) => void;
}) {
  return (
    <label title={props.title}>
      {props.label}
      <select data-testid={props.testId} value={props.value} onChange={(e) => props.onChange(e.target.value as T)}>
        {props.options.map((o) => (
          <option key={o.value} value={o.value} disabled={o.disabled}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}
