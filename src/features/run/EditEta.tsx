import { useEffect, useState } from 'react';
import { useStore } from '../../state/store';
import { etaText, stageElapsed } from '../tasks/eta';
import { EDIT_TASK } from './actions';

/** The edit task's ETA and time in stage: the same text as the task bar's (one source, src/features/tasks/eta.ts). */
export function EditEta() {
  const task = useStore((s) => s.tasks.find((t) => t.id === EDIT_TASK));
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!task) return;
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [task]);
  if (!task) return null;
  const eta = etaText(task, now);
  const inStage = stageElapsed(task, now);
  return (
    <span data-testid="edit-eta">
      {task.stage.startsWith('cancelling') ? ` — ${task.stage}` : ''}
      {inStage ? ` · ${inStage}` : ''}
      {eta ? ` — ${eta}` : ''}
    </span>
  );
}
