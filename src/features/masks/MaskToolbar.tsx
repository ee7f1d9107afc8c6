import { useStore } from '../../state/store';
import type { MaskTool } from '../../state/slices/regions';
import { clearCurrentFrame, interpolateSelected, propagateCurrent, redo, undo } from '../regions/actions';
import { installEditorPreferences } from './preferences';

// Brush size, opacity, onion skin and the active tab come back before the first render (module load).
installEditorPreferences();

const TOOLS: readonly { tool: MaskTool; label: string; key: string }[] = [
  { tool: 'brush', label: 'Brush', key: 'B' },
  { tool: 'eraser', label: 'Eraser', key: 'E' },
  { tool: 'fill', label: 'Fill', key: 'F' },
  { tool: 'polygon', label: 'Polygon', key: 'P' },
  { tool: 'lasso', label: 'Lasso', key: 'L' },
  { tool: 'pan', label: 'Pan', key: 'H' },
  // Click to segment (issue 18): SelectTool.tsx, select-actions.ts.
  { tool: 'select', label: 'Select', key: 'S' },
];

/** Tools, view settings, undo/redo and propagation for the mask canvas. */
export function MaskToolbar() {
  const s = useStore();
  const frameMarks = s.selectedRegionId ? (s.maskFrames[s.selectedRegionId] ?? '') : '';
  const mark = frameMarks[s.currentFrame];
  return (
    <div className="mask-toolbar" data-testid="mask-toolbar">
      <div className="tool-group" role="radiogroup" aria-label="Mask tool">
        {TOOLS.map(({ tool, label, key }) => (
          <button
            key={tool}
            type="button"
            data-testid={`tool-${tool}`}
            aria-pressed={s.maskTool === tool}
            className={s.maskTool === tool ? 'active' : ''}
            title={`${label} (${key})`}
            onClick={() => s.setMaskTool(tool)}
          >
            {label}
          </button>
        ))}
      </div>
      <label title="Brush size ([ and ])">
        Size
        <input
          type="range"
          min={1}
          max={200}
          value={s.brushSize}
          data-testid="brush-size"
          onChange={(e) => s.setBrushSize(Number(e.target.value))}
        />
        <span>{s.brushSize}px</span>
      </label>
      <label>
        Opacity
        <input
          type="range"
          min={0}
          max={100}
          value={Math.round(s.overlayOpacity * 100)}
          data-testid="overlay-opacity"
          onChange={(e) => s.setOverlayOpacity(Number(e.target.value) / 100)}
        />
      </label>
      <label title="A">
        <input
          type="checkbox"
          checked={s.showAllRegions}
          data-testid="show-all-regions"
          onChange={(e) => s.setShowAllRegions(e.target.checked)}
        />{' '}
        All regions
      </label>
      <label title="O">
        <input
          type="checkbox"
          checked={s.onionSkin}
          data-testid="onion-skin"
          onChange={(e) => s.setOnionSkin(e.target.checked)}
        />{' '}
        Onion skin
      </label>
      <div className="tool-group">
        <button type="button" data-testid="undo" disabled={!s.canUndo} onClick={() => undo()} title="Undo (Ctrl+Z)">
          Undo
        </button>
        <button
          type="button"
          data-testid="redo"
          disabled={!s.canRedo}
          onClick={() => redo()}
          title="Redo (Ctrl+Shift+Z)"
        >
          Redo
        </button>
        <button
          type="button"
          data-testid="clear-frame"
          disabled={!mark || mark === '.'}
          onClick={() => clearCurrentFrame()}
        >
          Clear frame
        </button>
      </div>
      <div className="tool-group">
        <button
          type="button"
          data-testid="propagate-next"
          disabled={!mark || mark === '.'}
          onClick={() => propagateCurrent({ kind: 'next', count: 1 })}
          title="Copy this frame's mask to the next frame"
        >
          Copy → next
        </button>
        <button
          type="button"
          data-testid="propagate-all"
          disabled={!mark || mark === '.'}
          onClick={() => propagateCurrent({ kind: 'all' })}
          title="Copy this frame's mask to every frame that is not a keyframe"
        >
          Copy → all
        </button>
        <button
          type="button"
          data-testid="interpolate"
          disabled={(frameMarks.match(/k/g)?.length ?? 0) < 2}
          onClick={() => interpolateSelected(false)}
          title="Shape-interpolate between keyframes"
        >
          Interpolate
        </button>
      </div>
    </div>
  );
}
