/** Runs a long action as a visible task: progress in the store, errors as notices (with their codes). */
import { useStore } from '../../state/store';
import { hasCode } from '../../core/protocol/errors';

/** `eta`: the task's own measured seconds left (null while measuring); leave it out when it has none. */
export type ReportProgress = (stage: string, fraction?: number, eta?: number | null) => void;

/** Resolves true on success, false after the failure was shown to the user. */
export async function runTask(
  id: string,
  label: string,
  work: (progress: ReportProgress) => Promise<void>,
): Promise<boolean> {
  const { startTask, updateTask, endTask, notify } = useStore.getState();
  startTask(id, label);
  try {
    await work((stage, fraction, eta) => updateTask(id, stage, fraction, eta));
    return true;
  } catch (e) {
    if (hasCode(e, 'CANCELLED')) notify('info', `${label}: cancelled.`, 'CANCELLED');
    else {
      const code = (e as { code?: string }).code;
      notify('error', (e as Error).message || String(e), code);
    }
    return false;
  } finally {
    endTask(id);
  }
}
