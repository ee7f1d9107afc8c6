import type { StateCreator } from 'zustand';
import type { EngineStatus } from '../../core/protocol/engine';
import type { AppState } from '../store';

export interface EngineSlice {
  readonly engine: EngineStatus;
  setEngineStatus(status: EngineStatus): void;
}

export const createEngineSlice: StateCreator<AppState, [], [], EngineSlice> = (set) => ({
  engine: { state: 'starting' },
  setEngineStatus: (engine) => set({ engine }),
});
