import { useStore } from '../../state/store';
import { services } from '../../app/services';

/** After a device loss: ask the engine for a new device (the project itself was never touched). */
function retry(): void {
  useStore.getState().setEngineStatus({ state: 'starting' });
  void services
    .engine()
    .api.init()
    .then((s) => useStore.getState().setEngineStatus(s));
}

/** A small status line: which GPU the engine got, or why it has none. */
export function EngineStatusPanel() {
  const engine = useStore((s) => s.engine);
  const text =
    engine.state === 'ready'
      ? `GPU: ${engine.adapterLabel}`
      : engine.state === 'starting'
        ? 'GPU: starting…'
        : engine.state === 'lost'
          ? `GPU lost: ${engine.message}`
          : `No GPU: ${engine.message}`;
  return (
    <div
      className={`engine-status engine-${engine.state}`}
      data-testid="engine-status"
      data-state={engine.state}
      title={text}
    >
      {text}
      {engine.state === 'lost' && (
        <button onClick={retry} data-testid="gpu-retry">
          Retry
        </button>
      )}
    </div>
  );
}
