import { useEffect, useState } from 'react';
import { useStore } from '../../state/store';
import type { Task } from '../../state/slices/tasks';
import { etaText, stageElapsed } from './eta';

/** Seconds left, from the fraction done and the time spent so far. */
export function etaSeconds(task: Task, now: number): number | undefined {
  if (!task.fraction || task.fraction <= 0.02) return undefined;
  const spent = (now - task.startedAt) / 1000;
  return (spent / task.fraction) * (1 - task.fraction);
}

/**
 * The tasks with their progress, inline in the run bar (issue 14: always visible, never over the workspace).
 * `ownCancel` names tasks whose Cancel the run bar already shows (the edit's, beside the Edit button).
 */
export function TaskBar({
  onCancel,
  ownCancel = [],
}: {
  onCancel: (taskId: string) => void;
  ownCancel?: readonly string[];
}) {
  const tasks = useStore((s) => s.tasks);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (tasks.length === 0) return;
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [tasks.length]);
  if (tasks.length === 0)
    return (
      <div className="taskbar idle" data-testid="taskbar-idle">
        <span className="hint">No task running</span>
      </div>
    );
  return (
    <div className="taskbar" data-testid="taskbar">
      {tasks.map((t) => {
        // One ETA per task (eta.ts), the same text the panel that started it shows.
        const eta = etaText(t, now);
        const inStage = stageElapsed(t, now);
        return (
          <div key={t.id} className="task" data-testid={`task-${t.id}`}>
            <span className="task-label" title={t.label}>
              {t.label} — {t.stage}
              {inStage ? ` · ${inStage}` : ''}
              {eta !== null ? <span data-testid={`eta-${t.id}`}>{` (${eta})`}</span> : ''}
            </span>
            <progress max={1} value={t.fraction} />
            {!ownCancel.includes(t.id) && (
              <button onClick={() => onCancel(t.id)} data-testid={`cancel-${t.id}`}>
                Cancel
              </button>
            )}
          </div>
        );
      })}
    </div>
  );
}
