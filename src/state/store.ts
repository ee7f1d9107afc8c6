/**
 * The one zustand store (DESIGN §2): ids, versions and metadata only — frame pixels, masks and latents
 * live outside it (src/state/bulk.ts, IndexedDB). Each feature contributes a slice from src/state/slices/.
 */
import { create } from 'zustand';
import { createEngineSlice, type EngineSlice } from './slices/engine';
import { createProjectSlice, type ProjectSlice } from './slices/project';
import { createTasksSlice, type TasksSlice } from './slices/tasks';
import { createRegionsSlice, type RegionsSlice } from './slices/regions';
import { createModelsSlice, type ModelsSlice } from './slices/models';
import { createEditSlice, type EditSlice } from './slices/edit';
import { createSegmentSlice, type SegmentSlice } from './slices/segment';

export type AppState = ProjectSlice & TasksSlice & EngineSlice & RegionsSlice & ModelsSlice & EditSlice & SegmentSlice;

export const useStore = create<AppState>()((...a) => ({
  ...createProjectSlice(...a),
  ...createTasksSlice(...a),
  ...createEngineSlice(...a),
  ...createRegionsSlice(...a),
  ...createModelsSlice(...a),
  ...createEditSlice(...a),
  ...createSegmentSlice(...a),
}));
