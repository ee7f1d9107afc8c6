/**
 * Track through the clip (issue 18): Track backward / both / forward from the current frame with the selected
 * region's mask, Cancel while it runs, the check's thresholds (min score, min IoU; shown and adjustable), why the
 * last track stopped, and a coverage track per region (which frames have a mask). The actions are in
 * track-actions.ts; the per-frame status is drawn on the frame marks (FrameMarks.tsx).
 */
import { useStore } from '../../state/store';
import { cancelTrack, setThresholds, startTrack } from './track-actions';

function Coverage() {
  const regions = useStore((s) => s.regions);
  const maskFrames = useStore((s) => s.maskFrames);
  const selected = useStore((s) => s.selectedRegionId);
  const selectRegion = useStore((s) => s.selectRegion);
  if (regions.length === 0) return null;
  return (
    <div className="coverage" data-testid="coverage">
      {regions.map((r) => {
        const marks = maskFrames[r.id] ?? '';
        const covered = [...marks].filter((m) => m !== '.').length;
        return (
          <div
            key={r.id}
            className={`coverage-row${r.id === selected ? ' selected' : ''}`}
            data-testid="coverage-row"
            data-region={r.id}
            data-covered={covered}
            title={`${r.name}: a mask on ${covered} of ${marks.length} frames`}
            onClick={() => selectRegion(r.id)}
          >
            <span className="coverage-name">{r.name}</span>
            <span className="coverage-cells" style={{ ['--region-color' as string]: r.color }}>
              {[...marks].map((m, i) => (
                <span key={i} className={`coverage-cell${m === '.' ? '' : ' on'}`} />
              ))}
            </span>
          </div>
        );
      })}
    </div>
  );
}

export function TrackPanel() {
  const t = useStore((s) => s.track);
  const selected = useStore((s) => s.selectedRegionId);
  const current = useStore((s) => s.currentFrame);
  const hasMask = useStore((s) => (selected ? (s.maskFrames[selected]?.[current] ?? '.') !== '.' : false));
  const running = t.running !== null;
  const stopText = t.stop && t.stop.regionId === selected ? t.stop.message : '';
  const canStart = !running && hasMask;
  const why = hasMask ? 'Track this frame’s mask' : 'Select or paint the region on this frame first';
  return (
    <div className="track-panel" data-testid="track-panel">
      {/* One line that never wraps, and a stop line always there: the canvas below must not move when a track
          starts, ends or stops (a click's position would shift under the pointer). */}
      <div className="track-row">
        <div className="tool-group">
          <button
            type="button"
            data-testid="track-backward"
            disabled={!canStart}
            title={`${why} backward`}
            onClick={() => void startTrack('backward')}
          >
            ◀ Track
          </button>
          <button
            type="button"
            data-testid="track-both"
            disabled={!canStart}
            title={`${why} through the clip, both ways (T)`}
            onClick={() => void startTrack('both')}
          >
            Track ◀▶
          </button>
          <button
            type="button"
            data-testid="track-forward"
            disabled={!canStart}
            title={`${why} forward`}
            onClick={() => void startTrack('forward')}
          >
            Track ▶
          </button>
          {running && (
            <button type="button" className="danger" data-testid="track-cancel" onClick={() => cancelTrack()}>
              Cancel
            </button>
          )}
        </div>
        {running && (
          <span className="track-progress" data-testid="track-progress">
            {t.done} / {t.total} frames
          </span>
        )}
        <label title="A tracked frame whose segmenter score (predicted IoU) is below this stops the track">
          Min score
          <input
            type="number"
            min={0}
            max={1}
            step={0.05}
            value={t.thresholds.minScore}
            disabled={running}
            data-testid="track-min-score"
            onChange={(e) => setThresholds({ minScore: Number(e.target.value) })}
          />
        </label>
        <label title="A tracked frame whose mask overlaps the previous frame's moved mask less than this stops the track">
          Min IoU
          <input
            type="number"
            min={0}
            max={1}
            step={0.05}
            value={t.thresholds.minIou}
            disabled={running}
            data-testid="track-min-iou"
            onChange={(e) => setThresholds({ minIou: Number(e.target.value) })}
          />
        </label>
      </div>
      <div className="track-stop" role="status" title={stopText}>
        {stopText && <span data-testid="track-stop">{stopText}</span>}
      </div>
      <Coverage />
    </div>
  );
}
