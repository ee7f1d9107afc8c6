import { useStore } from '../../state/store';
import { downloadResultMp4 } from './actions';
import { ZOOMS, useResultView, type ResultZoom } from './view-state';

/**
 * The result viewer's controls: frame stepping and play, side by side or wipe, zoom, the attention overlay
 * and its opacity, hold-to-compare, staleness, and Download MP4.
 */
export function ResultToolbar() {
  const meta = useStore((s) => s.editResult)!;
  const stale = useStore((s) => s.editResultStale);
  const region = useStore((s) => s.attentionRegion);
  const setRegion = useStore((s) => s.setAttentionRegion);
  const { mode, wipe, zoom, heatOpacity, before, playing, set } = useResultView();
  const step = (by: number) => {
    const { currentFrame, setCurrentFrame } = useStore.getState();
    set({ playing: false });
    setCurrentFrame((currentFrame + by + meta.frameCount) % meta.frameCount);
  };
  return (
    <div className="result-bar">
      <div className="group" role="group" aria-label="Playback">
        <button type="button" data-testid="result-prev" title="Previous frame (←)" onClick={() => step(-1)}>
          ◀
        </button>
        <button
          type="button"
          data-testid="result-play"
          aria-pressed={playing}
          title="Play / pause"
          onClick={() => set({ playing: !playing })}
        >
          {playing ? '❚❚ Pause' : '▶ Play'}
        </button>
        <button type="button" data-testid="result-next" title="Next frame (→)" onClick={() => step(1)}>
          ▶
        </button>
      </div>
      <div className="group" role="group" aria-label="Compare">
        <button
          type="button"
          data-testid="result-mode-side"
          aria-pressed={mode === 'side'}
          onClick={() => set({ mode: 'side' })}
        >
          Side by side
        </button>
        <button
          type="button"
          data-testid="result-mode-wipe"
          aria-pressed={mode === 'wipe'}
          onClick={() => set({ mode: 'wipe' })}
        >
          Wipe
        </button>
        {mode === 'wipe' && (
          <input
            type="range"
            min={0}
            max={100}
            value={wipe}
            aria-label="Wipe position: share of the frame showing the edit"
            data-testid="result-wipe"
            onChange={(e) => set({ wipe: Number(e.target.value) })}
          />
        )}
        <button
          type="button"
          data-testid="result-before"
          aria-pressed={before}
          title="Hold (or hold B) to see the source in place of the edit"
          onPointerDown={() => set({ before: true })}
          onPointerUp={() => set({ before: false })}
          onPointerLeave={() => set({ before: false })}
        >
          Before (B)
        </button>
      </div>
      <label>
        Zoom{' '}
        <select
          data-testid="result-zoom"
          value={String(zoom)}
          onChange={(e) => set({ zoom: (e.target.value === 'fit' ? 'fit' : Number(e.target.value)) as ResultZoom })}
        >
          {ZOOMS.map((z) => (
            <option key={z.label} value={String(z.value)}>
              {z.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Attention{' '}
        <select
          data-testid="result-attention"
          value={region ?? ''}
          disabled={!meta.hasAttentionMaps}
          title={
            meta.hasAttentionMaps
              ? 'Cross-attention of a region’s words, last step, over the edit'
              : 'Edit with “Per-region attention maps” on'
          }
          onChange={(e) => setRegion(e.target.value === '' ? null : Number(e.target.value))}
        >
          <option value="">off</option>
          {meta.regionNames.map((name, i) => (
            <option key={i} value={i}>
              {name}
            </option>
          ))}
        </select>
      </label>
      {region !== null && (
        <input
          type="range"
          min={0}
          max={100}
          value={Math.round(heatOpacity * 100)}
          aria-label="Attention overlay opacity"
          title={`Overlay opacity ${Math.round(heatOpacity * 100)} %`}
          data-testid="result-heat-opacity"
          onChange={(e) => set({ heatOpacity: Number(e.target.value) / 100 })}
        />
      )}
      {stale && (
        <span
          className="result-stale"
          data-testid="result-stale"
          title="Prompts, masks, settings or frames changed since"
        >
          Stale — inputs changed
        </span>
      )}
      <span className="hint" data-testid="result-info">
        {meta.inversionReused ? 'inversion reused · ' : ''}
        {meta.unetCalls} UNet calls
      </span>
      <button type="button" className="primary" data-testid="download-mp4" onClick={() => void downloadResultMp4()}>
        Download MP4
      </button>
    </div>
  );
}
