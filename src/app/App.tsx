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
import { RunPanel } from '../features/run/RunPanel';
import { LivePreview } from '../features/run/LivePreview';
import { EditButton } from '../features/run/EditButton';
import { EDIT_TASK, cancelEdit } from '../features/run/actions';
import { TRACK_TASK, cancelTrack } from '../features/masks/track-actions';
import { ResultView } from '../features/result/ResultView';
import { CenterTabs } from '../features/result/CenterTabs';
import { useStore } from '../state/store';

function cancelTask(id: string): void {
  if (id === MODELS_TASK) cancelModelLoad();
  else if (id === EDIT_TASK) cancelEdit();
  else if (id === TRACK_TASK) cancelTrack();
  else cancelVideoWork();
}

export function App() {
  const [clipToolsOnly, setClipToolsOnly] = useState(false);
  const showResult = useStore((s) => s.centerView === 'result' && s.editResult !== null);
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
          <CenterTabs />
          {!showResult && <MaskEditorBar />}
          {/* The stage: the frame (mask editor or result); notices stack in its corner, over the picture only. */}
          <div className="stage">
            {showResult ? (
              <ResultView />
            ) : (
              <FrameViewer>
                <MaskCanvas />
              </FrameViewer>
            )}
            <Notices />
          </div>
          <FrameStrip />
        </section>
        <aside className="right">
          <RegionsPanel />
          <RunPanel />
        </aside>
      </main>
      {/* The run bar: Edit (or Cancel), every task's progress and the live preview, always in view (issue 14). */}
      <footer className="run-bar" data-testid="run-bar">
        <EditButton />
        <TaskBar onCancel={cancelTask} ownCancel={[EDIT_TASK]} />
        <LivePreview />
      </footer>
    </div>
  );
}
