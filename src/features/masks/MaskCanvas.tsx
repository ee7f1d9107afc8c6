import { useEffect, useMemo, useRef, useState } from 'react';
import { Circle, Image as KImage, Layer, Line, Rect, Stage } from 'react-konva';
import type Konva from 'konva';
import type { KonvaEventObject } from 'konva/lib/Node';
import { useStore } from '../../state/store';
import { bulk } from '../../state/bulk';
import { maskStore } from '../../state/mask-store';
import type { Point } from '../../core/masks/paint';
import { setFrameMask } from '../../core/regions/actions';
import { run } from '../regions/actions';
import { canvasOf, drawRgba, renderOnion, renderOverlay, updateOverlayRect, type OverlayView } from './overlay-render';
import { fillAt, polygonFill, StrokeSession } from './tools';
import { useMaskShortcuts } from './shortcuts';
import { SelectLayer } from './SelectTool';
import { addPoint, setBox } from './select-actions';

interface ViewTransform {
  readonly zoom: number;
  readonly x: number;
  readonly y: number;
}

const IDENTITY: ViewTransform = { zoom: 1, x: 0, y: 0 };
/** Screen pixels a Select press must move to become a box instead of a click. */
const SELECT_DRAG_PX = 6;

function useElementSize(ref: React.RefObject<HTMLDivElement | null>): { width: number; height: number } {
  const [size, setSize] = useState({ width: 0, height: 0 });
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setSize({ width: el.clientWidth, height: el.clientHeight }));
    observer.observe(el);
    setSize({ width: el.clientWidth, height: el.clientHeight });
    return () => observer.disconnect();
  }, [ref]);
  return size;
}

/**
 * The mask editor over the current frame (konva): brush, eraser, fill, polygon, lasso, select (click to
 * segment, issue 18), zoom/pan, overlay opacity, onion skin. Strokes paint a draft and commit one undo step on release; pixels live in the mask
 * store, never in React state.
 */
export function MaskCanvas() {
  const frames = useStore((s) => s.frames);
  const current = useStore((s) => s.currentFrame);
  const maskVersion = useStore((s) => s.maskVersion);
  const regions = useStore((s) => s.regions);
  const selectedId = useStore((s) => s.selectedRegionId);
  const tool = useStore((s) => s.maskTool);
  const brushSize = useStore((s) => s.brushSize);
  const opacity = useStore((s) => s.overlayOpacity);
  const showAll = useStore((s) => s.showAllRegions);
  const onionSkin = useStore((s) => s.onionSkin);

  const box = useRef<HTMLDivElement>(null);
  const display = useElementSize(box);
  const [view, setView] = useState<ViewTransform>(IDENTITY);
  const [cursor, setCursor] = useState<Point | null>(null);
  const [polygon, setPolygon] = useState<Point[]>([]);
  const [lasso, setLasso] = useState<readonly Point[]>([]);
  const [spaceHeld, setSpaceHeld] = useState(false);
  const [, redrawn] = useState(0);

  const frameCanvas = useMemo(() => document.createElement('canvas'), []);
  const overlayCanvas = useMemo(() => document.createElement('canvas'), []);
  const onionCanvas = useMemo(() => document.createElement('canvas'), []);
  const overlayImage = useRef<ImageData | null>(null);
  const overlayNode = useRef<Konva.Image>(null);
  const session = useRef<StrokeSession | null>(null);
  const panning = useRef<{ from: Point; start: ViewTransform } | null>(null);
  // Select tool (issue 18): a press starts a click or, once dragged, a box.
  const selecting = useRef<{ from: Point; screen: Point; negative: boolean } | null>(null);
  const [dragBox, setDragBox] = useState<{ x0: number; y0: number; x1: number; y1: number } | null>(null);

  const width = frames?.width ?? 0;
  const height = frames?.height ?? 0;
  const baseScale = width > 0 ? display.width / width : 1;
  const scale = baseScale * view.zoom;

  const visibleIds = useMemo(
    () => regions.filter((r) => !r.hidden && (showAll || r.id === selectedId)).map((r) => r.id),
    [regions, showAll, selectedId],
  );
  const overlayView = (): OverlayView => ({ doc: maskStore.doc(), frame: current, regionIds: visibleIds });

  useEffect(() => {
    const f = bulk.frame(current);
    if (f) drawRgba(frameCanvas, f.data, f.width, f.height);
    redrawn((n) => n + 1);
  }, [frames?.version, current, frameCanvas]);

  useEffect(() => {
    if (session.current) return;
    overlayImage.current = renderOverlay(overlayCanvas, {
      doc: maskStore.doc(),
      frame: current,
      regionIds: visibleIds,
    });
    overlayNode.current?.getLayer()?.batchDraw();
  }, [maskVersion, current, visibleIds, overlayCanvas, frames?.version]);

  useEffect(() => {
    if (!onionSkin || !frames || frames.count < 2) return;
    const neighbour = current > 0 ? current - 1 : current + 1;
    const f = bulk.frame(neighbour);
    if (f) renderOnion(onionCanvas, f, maskStore.doc(), neighbour);
    redrawn((n) => n + 1);
  }, [onionSkin, current, maskVersion, frames, onionCanvas]);

  useEffect(() => setView(IDENTITY), [frames?.version]);

  useMaskShortcuts({
    closePolygon: () => commitPolygon(),
    cancelPolygon: () => setPolygon([]),
    resetView: () => setView(IDENTITY),
    setSpaceHeld,
  });

  if (!frames) return null;

  const toFrame = (stage: Konva.Stage | null): Point | null => {
    const p = stage?.getPointerPosition();
    return p ? { x: (p.x - view.x) / scale, y: (p.y - view.y) / scale } : null;
  };

  const selectedBits = (): Uint8Array | null =>
    selectedId ? (maskStore.doc().masks[selectedId]?.[current]?.bits ?? null) : null;

  const needRegion = (): boolean => {
    if (selectedId) return true;
    useStore.getState().notify('info', 'Add or select a region first, then paint its mask.');
    return false;
  };

  const commit = (bits: Uint8Array | null) => {
    if (bits && selectedId) run(setFrameMask(selectedId, current, bits));
  };

  function commitPolygon() {
    if (polygon.length >= 3 && needRegion()) commit(polygonFill(frames!, selectedBits(), polygon, 1));
    setPolygon([]);
  }

  const strokeRedraw = (rect: ReturnType<StrokeSession['add']>) => {
    const s = session.current;
    if (!s || !overlayImage.current || rect.x1 <= rect.x0 || rect.y1 <= rect.y0) return;
    updateOverlayRect(overlayCanvas, overlayImage.current, overlayView(), selectedId!, s.draft, rect);
    overlayNode.current?.getLayer()?.batchDraw();
  };

  const onDown = (e: KonvaEventObject<PointerEvent>) => {
    const stage = e.target.getStage();
    const p = toFrame(stage);
    if (!p) return;
    const pos = stage!.getPointerPosition()!;
    if (tool === 'pan' || spaceHeld || e.evt.button === 1) {
      panning.current = { from: pos, start: view };
      return;
    }
    if (e.evt.button !== 0 || !needRegion()) return;
    const erase = e.evt.shiftKey || e.evt.altKey;
    if (tool === 'select') selecting.current = { from: p, screen: pos, negative: e.evt.altKey };
    else if (tool === 'fill') commit(fillAt(frames, selectedBits(), p, erase ? 0 : 1));
    else if (tool === 'polygon') {
      const first = polygon[0];
      if (first && polygon.length >= 3 && Math.hypot(first.x - p.x, first.y - p.y) * scale < 8) commitPolygon();
      else setPolygon([...polygon, p]);
    } else {
      const mode = tool === 'lasso' ? 'lasso' : tool === 'eraser' ? 'eraser' : 'brush';
      const value = tool === 'eraser' || erase ? 0 : 1;
      session.current = new StrokeSession(frames, selectedBits(), mode, brushSize / 2, value);
      strokeRedraw(session.current.add(p));
      if (mode === 'lasso') setLasso([p]);
    }
  };

  const onMove = (e: KonvaEventObject<PointerEvent>) => {
    const stage = e.target.getStage();
    const p = toFrame(stage);
    setCursor(p);
    if (panning.current) {
      const pos = stage!.getPointerPosition()!;
      const { from, start } = panning.current;
      setView({ ...start, x: start.x + pos.x - from.x, y: start.y + pos.y - from.y });
      return;
    }
    const sel = selecting.current;
    if (sel && p) {
      const pos = stage!.getPointerPosition()!;
      if (Math.hypot(pos.x - sel.screen.x, pos.y - sel.screen.y) >= SELECT_DRAG_PX)
        setDragBox({
          x0: Math.min(sel.from.x, p.x),
          y0: Math.min(sel.from.y, p.y),
          x1: Math.max(sel.from.x, p.x),
          y1: Math.max(sel.from.y, p.y),
        });
      return;
    }
    const s = session.current;
    if (!s || !p) return;
    strokeRedraw(s.add(p));
    if (s.mode === 'lasso') setLasso([...s.lassoPoints()]);
  };

  const onUp = (e: KonvaEventObject<PointerEvent>) => {
    panning.current = null;
    const sel = selecting.current;
    if (sel) {
      selecting.current = null;
      setDragBox(null);
      const p = toFrame(e.target.getStage()) ?? sel.from;
      const pos = e.target.getStage()?.getPointerPosition() ?? sel.screen;
      // A short press is a click (Alt: negative); a drag is a box around the object.
      if (Math.hypot(pos.x - sel.screen.x, pos.y - sel.screen.y) < SELECT_DRAG_PX)
        addPoint(sel.from.x, sel.from.y, sel.negative ? 0 : 1);
      else setBox(sel.from, p);
      return;
    }
    const s = session.current;
    if (!s) return;
    s.finish();
    session.current = null;
    setLasso([]);
    commit(s.draft);
    // A stroke that changed nothing leaves no history entry; the overlay must still drop the draft.
    overlayImage.current = renderOverlay(overlayCanvas, overlayView());
    overlayNode.current?.getLayer()?.batchDraw();
  };

  const onWheel = (e: KonvaEventObject<WheelEvent>) => {
    e.evt.preventDefault();
    const pos = e.target.getStage()?.getPointerPosition();
    if (!pos) return;
    const zoom = Math.max(1, Math.min(16, view.zoom * (e.evt.deltaY < 0 ? 1.2 : 1 / 1.2)));
    const k = zoom / view.zoom;
    setView({ zoom, x: pos.x - (pos.x - view.x) * k, y: pos.y - (pos.y - view.y) * k });
  };

  const cursorStyle = tool === 'pan' || spaceHeld ? 'grab' : 'crosshair';
  canvasOf(width, height, frameCanvas);
  const radius = brushSize / 2;
  return (
    <div ref={box} className="overlay mask-canvas" data-testid="mask-canvas" style={{ cursor: cursorStyle }}>
      {display.width > 0 && (
        <Stage
          width={display.width}
          height={display.height}
          onPointerDown={onDown}
          onPointerMove={onMove}
          onPointerUp={onUp}
          onPointerLeave={() => setCursor(null)}
          onDblClick={() => tool === 'polygon' && polygon.length >= 4 && commitPolygon()}
          onWheel={onWheel}
          onContextMenu={(e) => e.evt.preventDefault()}
        >
          <Layer x={view.x} y={view.y} scaleX={scale} scaleY={scale} imageSmoothingEnabled={false}>
            <Rect width={width} height={height} fill="#000" listening={false} />
            <KImage image={frameCanvas} listening={false} />
            {onionSkin && frames.count > 1 && <KImage image={onionCanvas} opacity={0.35} listening={false} />}
            <KImage ref={overlayNode} image={overlayCanvas} opacity={opacity} listening={false} />
            {polygon.length > 0 && (
              <Line
                points={polygon.flatMap((q) => [q.x, q.y])}
                stroke="#fff"
                strokeWidth={1.5 / scale}
                dash={[4 / scale, 4 / scale]}
                listening={false}
              />
            )}
            {lasso.length > 1 && (
              <Line
                points={lasso.flatMap((q) => [q.x, q.y])}
                closed
                stroke="#fff"
                strokeWidth={1.5 / scale}
                listening={false}
              />
            )}
            {tool === 'select' && <SelectLayer scale={scale} dragBox={dragBox} />}
            {cursor && (tool === 'brush' || tool === 'eraser') && !spaceHeld && (
              <Circle
                x={cursor.x}
                y={cursor.y}
                radius={radius}
                stroke={tool === 'eraser' ? '#f55' : '#fff'}
                strokeWidth={1 / scale}
                listening={false}
              />
            )}
          </Layer>
        </Stage>
      )}
    </div>
  );
}
