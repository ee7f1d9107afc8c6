/** The edit's progress events (EditEvent, either backend) as stderr lines for people. */
import type { EditEvent } from '../../src/core/protocol/edit';

export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '';
  const s = Math.max(0, Math.round(seconds));
  return s < 60 ? ` · ETA ${s} s` : ` · ETA ${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** One line per stage start, then each inversion/denoising step with the engine's ETA. */
export function editEventPrinter(log: (line: string) => void): (e: EditEvent) => void {
  let last = '';
  return (e) => {
    if (e.kind !== 'progress') return;
    const stepped = e.stage === 'invert' || e.stage === 'denoise';
    const line = stepped && e.step > 0 ? `${e.stage} ${e.step}/${e.total}${formatEta(e.etaSeconds)}` : `${e.stage}…`;
    const key = stepped && e.step > 0 ? line.split(' · ')[0]! : e.stage;
    if (key === last) return;
    last = key;
    log(line);
  };
}
