import { useStore } from '../../state/store';

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
    <div className={`engine-status engine-${engine.state}`} data-testid="engine-status" data-state={engine.state} title={text}>
      {text}
    </div>
  );
}
