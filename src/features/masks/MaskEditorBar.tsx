import { useStore } from '../../state/store';
import { FrameMarks } from './FrameMarks';
import { MaskToolbar } from './MaskToolbar';

/** The mask tools and the selected region's keyframe / propagated marks, shown once frames exist. */
export function MaskEditorBar() {
  const hasFrames = useStore((s) => s.frames !== null);
  if (!hasFrames) return null;
  return (
    <div className="mask-editor-bar">
      <MaskToolbar />
      <FrameMarks />
    </div>
  );
}
