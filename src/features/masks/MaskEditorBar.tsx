import { useStore } from '../../state/store';
import { FrameMarks } from './FrameMarks';
import { MaskToolbar } from './MaskToolbar';
import { SelectCandidates } from './SelectTool';
import { TrackPanel } from './TrackPanel';

/**
 * The mask tools, the Select tool's candidates, Track with its coverage, and the selected region's keyframe /
 * propagated / track marks, shown once frames exist.
 */
export function MaskEditorBar() {
  const hasFrames = useStore((s) => s.frames !== null);
  if (!hasFrames) return null;
  return (
    <div className="mask-editor-bar">
      <MaskToolbar />
      <SelectCandidates />
      <TrackPanel />
      <FrameMarks />
    </div>
  );
}
