import { useStore } from '../../state/store';
import { FrameMarks } from './FrameMarks';
import { MaskToolbar } from './MaskToolbar';
import { SelectCandidates } from './SelectTool';
import { TrackPanel } from './TrackPanel';

/**
 * The mask tools, the Select tool's candidates, Track with its coverage, and the selected region's keyframe /
 * propagated / track marks, shown once frames exist. Track and the coverage rows belong to the Select tool's
 * workflow: they show while it is active (or a track runs or asks for a correction), so the painting tools keep the
 * bar to two rows (T tracks from any tool).
 */
export function MaskEditorBar() {
  const hasFrames = useStore((s) => s.frames !== null);
  const segmenting = useStore((s) => s.maskTool === 'select' || s.track.running !== null || s.track.stop !== null);
  if (!hasFrames) return null;
  return (
    <div className="mask-editor-bar">
      <MaskToolbar />
      <SelectCandidates />
      {segmenting && <TrackPanel />}
      <FrameMarks />
    </div>
  );
}
