import { useMemo } from 'react';
import { useStore } from '../../state/store';
import { maskStore } from '../../state/mask-store';
import { analyzePrompts } from '../../core/regions/prompts';
import { setSourcePrompt, setTargetPrompt } from './actions';
import { usePromptTokenizer } from './tokenizer';

/**
 * Source and target prompts; the target prompt's tokens are shown coloured by the region that owns them,
 * and prompts that cannot work are listed before the user presses Edit.
 */
export function PromptEditor() {
  const source = useStore((s) => s.sourcePrompt);
  const target = useStore((s) => s.targetPrompt);
  const regions = useStore((s) => s.regions);
  const version = useStore((s) => s.maskVersion);
  const { tokenizer, exact } = usePromptTokenizer();
  // eslint-disable-next-line react-hooks/exhaustive-deps -- the document is read from the mask store at `version`
  const analysis = useMemo(() => analyzePrompts(maskStore.doc(), tokenizer), [version, tokenizer]);
  const colorOf = (id: string) => regions.find((r) => r.id === id)?.color ?? '#888';
  const nameOf = (id: string) => regions.find((r) => r.id === id)?.name ?? id;
  // A token owned by several regions shows every owner's colour in stripes, and all their names on hover.
  const chipStyle = (owners: readonly string[]) =>
    owners.length === 0
      ? undefined
      : owners.length === 1
        ? { background: colorOf(owners[0]!), color: '#fff' }
        : {
            background: `linear-gradient(135deg, ${owners
              .map((id, k) => `${colorOf(id)} ${(100 * k) / owners.length}% ${(100 * (k + 1)) / owners.length}%`)
              .join(', ')})`,
            color: '#fff',
          };
  return (
    <div className="prompt-editor">
      <label>
        Source prompt <span className="hint">(describes the original clip; may be empty)</span>
        <textarea
          data-testid="source-prompt"
          rows={2}
          value={source}
          onChange={(e) => setSourcePrompt(e.target.value)}
        />
      </label>
      <label>
        Target prompt
        <textarea
          data-testid="target-prompt"
          rows={2}
          value={target}
          onChange={(e) => setTargetPrompt(e.target.value)}
        />
      </label>
      <div
        className="prompt-tokens"
        data-testid="prompt-tokens"
        title={exact ? 'CLIP tokens' : 'Words (the CLIP tokenizer loads with the model)'}
      >
        {analysis.targetLabels.map((label, i) => {
          const owners = analysis.owners[i] ?? [];
          return (
            <span
              key={i}
              className={`token${owners.length ? ' owned' : ''}${owners.length > 1 ? ' shared' : ''}`}
              data-testid={`token-${i}`}
              data-owners={owners.join(' ')}
              title={
                owners.length === 0
                  ? 'Owned by no region'
                  : `Owned by ${owners.map(nameOf).join(' and ')}${owners.length > 1 ? ' — two regions should not share tokens' : ''}`
              }
              style={chipStyle(owners)}
            >
              {label}
            </span>
          );
        })}
      </div>
      {analysis.problems.length > 0 && (
        <ul className="prompt-problems" data-testid="prompt-problems">
          {analysis.problems.map((p, i) => (
            <li key={i} className={p.severity} data-severity={p.severity}>
              {p.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
