import { useStore } from '../../state/store';

/**
 * One cell per frame for the selected region: keyframes (painted or imported) solid, propagated frames
 * hatched, empty frames hollow. Clicking a cell shows that frame.
 */
export function FrameMarks() {
  const selected = useStore((s) => s.selectedRegionId);
  const marks = useStore((s) => (selected ? (s.maskFrames[selected] ?? '') : ''));
  const current = useStore((s) => s.currentFrame);
  const setCurrentFrame = useStore((s) => s.setCurrentFrame);
  const color = useStore((s) => s.regions.find((r) => r.id === selected)?.color ?? '#888');
  if (!selected) return null;
  return (
    <div className="frame-marks" data-testid="frame-marks">
      {[...marks].map((m, i) => (
        <button
          key={i}
          type="button"
          data-testid={`frame-mark-${i}`}
          data-kind={m === 'k' ? 'key' : m === 'p' ? 'propagated' : 'none'}
          className={`frame-mark ${m === 'k' ? 'key' : m === 'p' ? 'propagated' : 'none'}${i === current ? ' current' : ''}`}
          style={{ ['--region-color' as string]: color }}
          title={`Frame ${i + 1}: ${m === 'k' ? 'keyframe' : m === 'p' ? 'propagated' : 'no mask'}`}
          onClick={() => setCurrentFrame(i)}
        />
      ))}
    </div>
  );
}
