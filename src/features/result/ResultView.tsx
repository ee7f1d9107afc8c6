import { useEffect, useRef, useState } from 'react';
import { useStore } from '../../state/store';
import { bulk } from '../../state/bulk';
import { editBulk } from '../../state/edit-bulk';
import { downloadResultMp4 } from './actions';
import { heatRgba } from './heatmap';
import './result.css';

function draw(
  canvas: HTMLCanvasElement | null,
  rgba: ArrayLike<number> | undefined,
  width: number,
  height: number,
): void {
  if (!canvas || !rgba) return;
  canvas.width = width;
  canvas.height = height;
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
}

/** Source | edit side by side; one frame index (the frame strip's) drives both; optional attention heat map. */
export function ResultView() {
  const meta = useStore((s) => s.editResult);
  const stale = useStore((s) => s.editResultStale);
  const framesMeta = useStore((s) => s.frames);
  const current = useStore((s) => s.currentFrame);
  const setCurrent = useStore((s) => s.setCurrentFrame);
  const region = useStore((s) => s.attentionRegion);
  const setRegion = useStore((s) => s.setAttentionRegion);
  const [playing, setPlaying] = useState(false);
  const source = useRef<HTMLCanvasElement>(null);
  const edit = useRef<HTMLCanvasElement>(null);
  const heat = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const f = bulk.frame(current);
    if (f) draw(source.current, f.data, f.width, f.height);
  }, [current, framesMeta?.version]);

  useEffect(() => {
    const r = editBulk.result();
    const i = Math.min(current, (r?.frames.length ?? 1) - 1);
    if (r) draw(edit.current, r.frames[i], r.width, r.height);
  }, [current, meta?.version]);

  useEffect(() => {
    const c = heat.current;
    const r = editBulk.result();
    const map = region === null ? undefined : r?.attentionMaps.find((m) => m.region === region);
    if (!c || !r) return;
    c.width = r.width;
    c.height = r.height;
    const ctx = c.getContext('2d')!;
    ctx.clearRect(0, 0, c.width, c.height);
    if (!map) return;
    const small = new OffscreenCanvas(map.width, map.height);
    small.getContext('2d')!.putImageData(new ImageData(heatRgba(map, current), map.width, map.height), 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(small, 0, 0, c.width, c.height);
  }, [current, region, meta?.version]);

  useEffect(() => {
    if (!playing || !meta) return;
    const fps = framesMeta?.fps ?? 8;
    const timer = setInterval(() => {
      const { currentFrame } = useStore.getState();
      setCurrent((currentFrame + 1) % meta.frameCount);
    }, 1000 / fps);
    return () => clearInterval(timer);
  }, [playing, meta, framesMeta?.fps, setCurrent]);

  if (!meta) return <div className="result-view empty">No edit yet: set up regions and prompts, then press Edit.</div>;
  const aspect = `${meta.width} / ${meta.height}`;
  return (
    <div className="result-view" data-testid="result-view" data-stale={stale}>
      <div className="result-bar">
        <button type="button" data-testid="result-play" onClick={() => setPlaying((p) => !p)} aria-pressed={playing}>
          {playing ? '❚❚ Pause' : '▶ Play'}
        </button>
        <label>
          Attention map{' '}
          <select
            data-testid="result-attention"
            value={region ?? ''}
            disabled={!meta.hasAttentionMaps}
            title={
              meta.hasAttentionMaps
                ? 'Cross-attention of a region’s words, last step'
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
      <div className="result-pair">
        <figure>
          <canvas ref={source} style={{ aspectRatio: aspect }} data-testid="result-source" />
          <figcaption>Source</figcaption>
        </figure>
        <figure>
          <div className="result-stack" style={{ aspectRatio: aspect }}>
            <canvas ref={edit} data-testid="result-edit" />
            <canvas ref={heat} className="heat" data-testid="result-heat" />
          </div>
          <figcaption>Edit — “{meta.targetPrompt}”</figcaption>
        </figure>
      </div>
    </div>
  );
}
