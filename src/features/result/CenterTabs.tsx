import { useStore } from '../../state/store';

/** Switches the centre between the mask editor and the result view. */
export function CenterTabs() {
  const view = useStore((s) => s.centerView);
  const setView = useStore((s) => s.setCenterView);
  const hasResult = useStore((s) => s.editResult !== null);
  const stale = useStore((s) => s.editResultStale);
  return (
    <div className="center-tabs" role="tablist">
      <button
        type="button"
        role="tab"
        aria-selected={view === 'masks'}
        data-testid="tab-masks"
        onClick={() => setView('masks')}
      >
        Masks
      </button>
      <button
        type="button"
        role="tab"
        aria-selected={view === 'result'}
        data-testid="tab-result"
        disabled={!hasResult}
        onClick={() => setView('result')}
      >
        Result{stale ? ' (stale)' : ''}
      </button>
    </div>
  );
}
