import type { StateCreator } from 'zustand';
import type { AppState } from '../store';

/** A long-running piece of work shown with progress (extract, encode, download, edit…). */
export interface Task {
  readonly id: string;
  readonly label: string;
  readonly stage: string;
  readonly fraction?: number;
  readonly startedAt: number;
  /** The task's own estimate (src/features/tasks/eta.ts): null = measuring, absent = none of its own. */
  readonly etaSeconds?: number | null;
  /** When etaSeconds was reported (ms). */
  readonly etaAt?: number;
  /** When the stage text last changed (ms): the task bar shows time in a long stage. */
  readonly stageAt?: number;
}

export interface Notice {
  readonly id: number;
  readonly kind: 'error' | 'info';
  readonly message: string;
  readonly code?: string;
}

export interface TasksSlice {
  readonly tasks: readonly Task[];
  readonly notices: readonly Notice[];
  startTask(id: string, label: string): void;
  /** `eta`: seconds left as the task measured them, null while measuring, undefined when it has none. */
  updateTask(id: string, stage: string, fraction?: number, eta?: number | null): void;
  endTask(id: string): void;
  notify(kind: Notice['kind'], message: string, code?: string): void;
  dismissNotice(id: number): void;
}

let noticeCounter = 0;

export const createTasksSlice: StateCreator<AppState, [], [], TasksSlice> = (set) => ({
  tasks: [],
  notices: [],
  startTask: (id, label) =>
    set((s) => ({
      tasks: [
        ...s.tasks.filter((t) => t.id !== id),
        { id, label, stage: 'starting', startedAt: Date.now(), stageAt: Date.now() },
      ],
    })),
  updateTask: (id, stage, fraction, eta) =>
    set((s) => ({
      tasks: s.tasks.map((t) =>
        t.id === id
          ? {
              ...t,
              stage,
              ...(stage !== t.stage ? { stageAt: Date.now() } : {}),
              ...(fraction === undefined ? {} : { fraction }),
              ...(eta === undefined ? {} : { etaSeconds: eta, etaAt: Date.now() }),
            }
          : t,
      ),
    })),
  endTask: (id) => set((s) => ({ tasks: s.tasks.filter((t) => t.id !== id) })),
  notify: (kind, message, code) =>
    set((s) => ({
      notices: [...s.notices.slice(-4), { id: ++noticeCounter, kind, message, ...(code ? { code } : {}) }],
    })),
  dismissNotice: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
});
