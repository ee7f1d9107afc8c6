import { useState } from 'react';
import { ClipPanel } from '../features/clip/ClipPanel';
import { FrameStrip } from '../features/clip/FrameStrip';
import { FrameViewer } from '../features/clip/FrameViewer';
import { cancelVideoWork } from '../features/clip/actions';
import { Notices } from '../features/notices/Notices';
import { ProjectMenu } from '../features/projects/ProjectMenu';
import { EngineStatusPanel } from '../features/status/EngineStatusPanel';
import { NoGpuScreen } from '../features/status/NoGpuScreen';
import { TaskBar } from '../features/tasks/TaskBar';
import { MaskCanvas } from '../features/masks/MaskCanvas';
import { MaskEditorBar } from '../features/masks/MaskEditorBar';
import { RegionsPanel } from '../features/regions/RegionsPanel';
import { ModelsPanel } from '../features/models/ModelsPanel';
import { MODELS_TASK, cancelModelLoad } from '../features/models/actions';

export function App() {
  const [clipToolsOnly, setClipToolsOnly] = useState(false);
  return (
    <div className="app">
      <header className="app-header">
        <strong className="brand">VideoGrain Studio</strong>
        <ProjectMenu />
        <EngineStatusPanel />
      </header>
      {!clipToolsOnly && <NoGpuScreen onContinue={() => setClipToolsOnly(true)} />}
      <main className="workspace">
        <aside className="left">
          <ClipPanel />
          <ModelsPanel />
        </aside>
        <section className="center">
          <MaskEditorBar />
          <FrameViewer>
            <MaskCanvas />
          </FrameViewer>
          <FrameStrip />
        </section>
        <aside className="right">
          <RegionsPanel />
        </aside>
      </main>
      <TaskBar onCancel={(id) => (id === MODELS_TASK ? cancelModelLoad() : cancelVideoWork())} />
      <Notices />
    </div>
  );
}
