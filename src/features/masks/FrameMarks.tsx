import { useStore } from '../../state/store';

/** The last track's per-frame status (track-actions.ts): 't' tracked, 'c' needs correction, 's' stopped. */
const TRACK_LABEL: Record<string, string> = { t: 'tracked', c: 'needs correction', s: 'stopped before it' };

/**
 * One cell per frame for the selected region: keyframes (painted or imported) solid, propagated frames
 * hatched, empty frames hollow. Clicking a cell shows that frame. Under each cell, the last track's status:
 * tracked, needs correction (until the frame becomes a keyframe: corrected), or stopped before it.
 */
export function FrameMarks() {
  const selected = useStore((s) => s.selectedRegionId);
  const marks = useStore((s) => (selected ? (s.maskFrames[selected] ?? '') : ''));
  const current = useStore((s) => s.currentFrame);
  const setCurrentFrame = useStore((s) => s.setCurrentFrame);
  const color = useStore((s) => s.regions.find((r) => r.id === selected)?.color ?? '#888');
  const track = useStore((s) => (selected ? (s.track.status[selected] ?? '') : ''));
  if (!selected) return null;
  return (
    <div className="frame-marks" data-testid="frame-marks">
      {[...marks].map((m, i) => {
        // A corrected frame (a keyframe now) no longer needs correction.
        const st = track[i] === 'c' && m === 'k' ? '.' : (track[i] ?? '.');
        return (
          <button
            key={i}
            type="button"
            data-testid={`frame-mark-${i}`}
            data-kind={m === 'k' ? 'key' : m === 'p' ? 'propagated' : 'none'}
            data-track={TRACK_LABEL[st] ? st : '.'}
            className={`frame-mark ${m === 'k' ? 'key' : m === 'p' ? 'propagated' : 'none'}${i === current ? ' current' : ''}${TRACK_LABEL[st] ? ` track-${st}` : ''}`}
            style={{ ['--region-color' as string]: color }}
            title={`Frame ${i + 1}: ${m === 'k' ? 'keyframe' : m === 'p' ? 'propagated' : 'no mask'}${TRACK_LABEL[st] ? ` · ${TRACK_LABEL[st]}` : ''}`}
            onClick={() => setCurrentFrame(i)}
          />
        );
      })}
    </div>
  );
}
