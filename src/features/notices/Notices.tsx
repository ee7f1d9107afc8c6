/**
 * Notices (issue 14 item 2): a stack in the bottom-right corner of the centre stage, newest last, each
 * dismissible; informational ones expire after INFO_MS (errors stay until dismissed). The stack lives inside
 * the stage, above the frame and never over a toolbar, a panel or the run bar, so no control is ever covered.
 */
import { useEffect, useRef } from 'react';
import { useStore } from '../../state/store';
import './notices.css';

export const INFO_MS = 8000;
/** Older notices stay in the store (the last five) but only the newest few are shown. */
const SHOWN = 3;

/** Dismisses each info notice INFO_MS after it first appears. */
function useExpiry(): void {
  const notices = useStore((s) => s.notices);
  const timers = useRef(new Map<number, ReturnType<typeof setTimeout>>());
  useEffect(() => {
    const live = new Set(notices.map((n) => n.id));
    for (const n of notices) {
      if (n.kind !== 'info' || timers.current.has(n.id)) continue;
      timers.current.set(
        n.id,
        setTimeout(() => useStore.getState().dismissNotice(n.id), INFO_MS),
      );
    }
    for (const [id, timer] of timers.current)
      if (!live.has(id)) {
        clearTimeout(timer);
        timers.current.delete(id);
      }
  }, [notices]);
  useEffect(() => {
    const all = timers.current;
    return () => {
      all.forEach((t) => clearTimeout(t));
      all.clear();
    };
  }, []);
}

export function Notices() {
  const notices = useStore((s) => s.notices);
  const dismiss = useStore((s) => s.dismissNotice);
  useExpiry();
  const shown = notices.slice(-SHOWN);
  return (
    <div className="notices" aria-live="polite" data-testid="notices">
      {notices.length > shown.length && <div className="notice-more hint">{notices.length - shown.length} older</div>}
      {shown.map((n) => (
        <div
          key={n.id}
          className={`notice notice-${n.kind}`}
          role={n.kind === 'error' ? 'alert' : 'status'}
          data-testid={`notice-${n.kind}`}
          data-code={n.code}
          title={n.message}
        >
          <span className="notice-text">{n.message}</span>
          <button type="button" aria-label="Dismiss" data-testid="notice-dismiss" onClick={() => dismiss(n.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
