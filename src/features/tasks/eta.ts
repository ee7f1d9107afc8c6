/**
 * The one ETA text of a task (issue 14, item 6), shown by the task bar and by the panel that started the task
 * (run panel, models panel), so they never disagree. Pure.
 *
 * A task that measures its own work reports `etaSeconds` (the edit: from measured per-call times,
 * workers/engine/edit/instrument.ts; a download: from bytes per second): null means "measuring…" (nothing timed
 * yet: no number that could climb while the first call runs), a number counts down from when it was reported
 * (`etaAt`) until the next report. Tasks without their own estimate (video work) get one from the fraction done,
 * once there is enough of it to mean something.
 */
import type { ModelLoadProgress } from '../../core/protocol/engine';

export interface EtaSource {
  readonly startedAt: number;
  readonly fraction?: number;
  /** undefined: the task has no estimate of its own; null: measuring. */
  readonly etaSeconds?: number | null;
  /** When etaSeconds was reported (ms). */
  readonly etaAt?: number;
  /** When the stage text last changed (ms). */
  readonly stageAt?: number;
}

/** A fraction-based estimate needs this much done and this much time spent to be worth showing. */
const MIN_FRACTION = 0.05;
const MIN_SPENT_MS = 2000;

/** Seconds left now, null while measuring or unknown. */
export function secondsLeft(t: EtaSource, now: number): number | null {
  if (t.etaSeconds === null) return null;
  if (t.etaSeconds !== undefined) return Math.max(0, t.etaSeconds - (now - (t.etaAt ?? now)) / 1000);
  const spent = now - t.startedAt;
  if (!t.fraction || t.fraction < MIN_FRACTION || spent < MIN_SPENT_MS) return null;
  return ((spent / t.fraction) * (1 - t.fraction)) / 1000;
}

export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.ceil(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 90 ? `${minutes} min` : `${(seconds / 3600).toFixed(1)} h`;
}

/** "about 40 s left", "measuring…", "finishing…", or null when the task has no estimate to show. */
export function etaText(t: EtaSource, now: number): string | null {
  if (t.etaSeconds === null) return 'measuring…';
  const left = secondsLeft(t, now);
  if (left === null) return null;
  return left < 1 ? 'finishing…' : `about ${formatDuration(left)} left`;
}

/** Seconds in the current stage, shown once it lasts (a sign of life for stages without steps). */
export function stageElapsed(t: EtaSource, now: number): string | null {
  if (t.stageAt === undefined) return null;
  const s = (now - t.stageAt) / 1000;
  return s >= 2 ? `${Math.floor(s)} s` : null;
}

/** A download's rate needs a few seconds before its ETA means anything (the first one said 1429 s). */
export const DOWNLOAD_ETA_AFTER_MS = 3000;

/** The download ETA to report: null ("measuring…") in its first seconds, none outside the download phase. */
export function downloadEta(p: ModelLoadProgress, downloadingSinceMs: number | null): number | null | undefined {
  if (p.phase !== 'downloading') return undefined;
  if (downloadingSinceMs === null || downloadingSinceMs < DOWNLOAD_ETA_AFTER_MS || p.downloaded === 0) return null;
  return p.etaSeconds;
}
