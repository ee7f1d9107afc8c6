import { formatBytes } from '../../core/models/errors';
import type { ModelKind } from '../../core/models/files';
import type { ModelSlot } from '../../state/slices/models';
import { useStore } from '../../state/store';
import { etaText } from '../tasks/eta';

/** A model's load state: not loaded, bytes and ETA while loading, precision and size when ready, the error code. */
export function SlotStatus({ kind, slot, task: taskId }: { kind: ModelKind; slot: ModelSlot; task: string }) {
  const p = slot.progress;
  const task = useStore((s) => s.tasks.find((t) => t.id === taskId));
  const eta = task && p?.phase === 'downloading' ? etaText(task, Date.now()) : null;
  let text = 'not loaded';
  if (slot.state === 'ready' && slot.info)
    text = `ready — ${slot.info.precision}, ${formatBytes(slot.info.bytes)}${slot.info.fromCache ? ', from cache' : ''}`;
  else if (slot.state === 'loading')
    // The ETA is the models task's (the task bar shows the same text): one estimate on screen.
    text =
      p && p.total > 0
        ? `${formatBytes(p.bytes)} of ${formatBytes(p.total)}${eta ? `, ${eta}` : ''}`
        : 'checking files…';
  else if (slot.state === 'error') text = `failed (${slot.error?.code ?? 'error'})`;
  return (
    <div
      className="model-status"
      data-testid={`model-status-${kind}`}
      data-state={slot.state}
      title={slot.error?.message}
    >
      <span>{text}</span>
      {slot.state === 'loading' && <progress max={1} value={p && p.total > 0 ? p.bytes / p.total : undefined} />}
      {slot.state === 'ready' && slot.info && <small>{slot.info.summary}</small>}
    </div>
  );
}
