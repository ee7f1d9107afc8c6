/**
 * The Select tool's views (issue 18): on the mask canvas, the clicks (positive green, negative red), the box and
 * the previewed candidate mask (`SelectLayer`, konva nodes inside MaskCanvas's layer); beside the tools, the
 * candidates with their scores to hover (preview) and click (choose), and Accept / Add / Clear
 * (`SelectCandidates`). The actions are in select-actions.ts.
 */
import { useEffect, useMemo, useRef } from 'react';
import { Circle, Image as KImage, Rect } from 'react-konva';
import { hexToRgb } from '../../core/regions/model';
import { useStore } from '../../state/store';
import {
  acceptCandidate,
  candidateMask,
  chooseCandidate,
  clearSelect,
  hoverCandidate,
  previewIndex,
} from './select-actions';

/** Paints `mask` in `rgb` with alpha `alpha` on a transparent canvas of the mask's size. */
function paintMask(
  canvas: HTMLCanvasElement,
  mask: Uint8Array | null,
  width: number,
  height: number,
  rgb: readonly [number, number, number],
  alpha: number,
): void {
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const ctx = canvas.getContext('2d')!;
  if (!mask || width === 0) {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    return;
  }
  const image = new ImageData(width, height);
  const out = image.data;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!mask[i]) continue;
      // The candidate's outline is drawn white so a preview reads apart from the accepted (committed) overlay.
      const edge =
        x === 0 || y === 0 || x === width - 1 || y === height - 1 || !mask[i - 1] || !mask[i + 1] || !mask[i - width] || !mask[i + width]; // prettier-ignore
      out[i * 4] = edge ? 255 : rgb[0];
      out[i * 4 + 1] = edge ? 255 : rgb[1];
      out[i * 4 + 2] = edge ? 255 : rgb[2];
      out[i * 4 + 3] = edge ? 255 : alpha;
    }
  ctx.putImageData(image, 0, 0);
}

const useRegionColor = (id: string | null): [number, number, number] => {
  const color = useStore((s) => s.regions.find((r) => r.id === id)?.color ?? '#ffffff');
  return useMemo(() => hexToRgb(color), [color]);
};

/** Konva nodes for the canvas layer: clicks, box (and the box being dragged), and the previewed candidate. */
export function SelectLayer({
  scale,
  dragBox,
}: {
  scale: number;
  dragBox: { x0: number; y0: number; x1: number; y1: number } | null;
}) {
  const sel = useStore((s) => s.select);
  const current = useStore((s) => s.currentFrame);
  const selectedId = useStore((s) => s.selectedRegionId);
  const frames = useStore((s) => s.frames);
  const rgb = useRegionColor(sel.regionId);
  const canvas = useMemo(() => document.createElement('canvas'), []);
  const onThisFrame = sel.frame === current && sel.regionId === selectedId;
  const index = onThisFrame ? previewIndex(sel) : null;
  const width = frames?.width ?? 0;
  const height = frames?.height ?? 0;
  // Repainted only when what it shows changes (not on every drag move): a frame-size loop.
  const mask = index === null ? null : candidateMask(index);
  useMemo(() => paintMask(canvas, mask, width, height, rgb, 150), [canvas, mask, width, height, rgb]);
  const box = dragBox ?? (onThisFrame ? sel.box : null);
  return (
    <>
      {/* Keyed by what it shows: the same canvas object with new pixels would not make konva redraw. */}
      {index !== null && <KImage key={`${index}:${sel.version}`} image={canvas} listening={false} />}
      {box && (
        <Rect
          x={box.x0}
          y={box.y0}
          width={box.x1 - box.x0}
          height={box.y1 - box.y0}
          stroke="#fff"
          strokeWidth={1.5 / scale}
          dash={[6 / scale, 4 / scale]}
          listening={false}
        />
      )}
      {onThisFrame &&
        sel.points.map((p, i) => (
          <Circle
            key={i}
            x={p.x}
            y={p.y}
            radius={5 / scale}
            fill={p.label === 1 ? '#2ecc40' : '#ff4136'}
            stroke="#fff"
            strokeWidth={1.5 / scale}
            listening={false}
          />
        ))}
    </>
  );
}

const THUMB = 56;

function CandidateSwatch({ index, score, version }: { index: number; score: number; version: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const sel = useStore((s) => s.select);
  const frames = useStore((s) => s.frames);
  const rgb = useRegionColor(sel.regionId);
  useEffect(() => {
    const c = ref.current;
    if (!c || !frames) return;
    const full = document.createElement('canvas');
    paintMask(full, candidateMask(index), frames.width, frames.height, rgb, 255);
    c.width = THUMB;
    c.height = Math.max(1, Math.round((THUMB * frames.height) / frames.width));
    const ctx = c.getContext('2d')!;
    ctx.fillStyle = '#222';
    ctx.fillRect(0, 0, c.width, c.height);
    ctx.drawImage(full, 0, 0, c.width, c.height);
  }, [index, version, frames, rgb]);
  const chosen = sel.chosen === index;
  return (
    <button
      type="button"
      className={`candidate${chosen ? ' active' : ''}`}
      data-testid={`select-candidate-${index}`}
      aria-pressed={chosen}
      title={`Candidate ${index + 1} (${index + 1}): score ${score.toFixed(3)}`}
      onMouseEnter={() => hoverCandidate(index)}
      onMouseLeave={() => hoverCandidate(null)}
      onClick={() => chooseCandidate(index)}
    >
      <canvas ref={ref} />
      <span className="candidate-score">{score.toFixed(2)}</span>
    </button>
  );
}

/** The candidates panel of the Select tool (shown while it is the active tool). */
export function SelectCandidates() {
  const tool = useStore((s) => s.maskTool);
  const current = useStore((s) => s.currentFrame);
  const selectedId = useStore((s) => s.selectedRegionId);
  const sel = useStore((s) => s.select);
  if (tool !== 'select') return null;
  const onThisFrame = sel.frame === current && sel.regionId === selectedId;
  const scores = onThisFrame ? sel.scores : [];
  return (
    <div className="select-candidates" data-testid="select-candidates">
      {scores.length === 0 ? (
        <span className="hint">
          {sel.busy ? 'Segmenting…' : 'Click the object (Alt-click: not this), or drag a box around it.'}
        </span>
      ) : (
        <>
          <span className="hint">
            {sel.origin === 'track' ? 'Tracker proposal (refused by the check):' : 'Candidates:'}
            {sel.busy ? ' updating…' : ''}
          </span>
          {scores.map((score, i) => (
            <CandidateSwatch key={i} index={i} score={score} version={sel.version} />
          ))}
          <button
            type="button"
            data-testid="select-accept"
            title="Set this frame's mask to the chosen candidate (Enter)"
            onClick={() => acceptCandidate('replace')}
          >
            Accept
          </button>
          <button
            type="button"
            data-testid="select-add"
            title="Add the chosen candidate to this frame's mask (Shift+Enter)"
            onClick={() => acceptCandidate('add')}
          >
            Add
          </button>
        </>
      )}
      {(sel.points.length > 0 || sel.box || scores.length > 0) && onThisFrame && (
        <button type="button" data-testid="select-clear" title="Clear the clicks (Esc)" onClick={() => clearSelect()}>
          Clear
        </button>
      )}
    </div>
  );
}
