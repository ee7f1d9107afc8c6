/**
 * The result viewer (issue 14): source | edit side by side, or one frame with a before/after wipe (drag the
 * frame or the slider; hold B or the Before button to see the source in place of the edit); play/pause and
 * frame stepping on the frame strip's index (← / → keep working); the per-region attention map as a
 * translucent overlay with its own opacity; zoom to fit or to 1:1 / 2× / 4× for small drafts. The panes keep
 * clear of the stage's notice stack, so a notice never covers a picture being compared.
 */
import {
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type PointerEvent as ReactPointerEvent,
  type ReactNode,
} from 'react';
import { useStore } from '../../state/store';
import { bulk } from '../../state/bulk';
import { editBulk } from '../../state/edit-bulk';
import { HeatCanvas, ImageCanvas, useBoxSize, type Rgba } from './canvases';
import { ResultToolbar } from './ResultToolbar';
import { displaySize, resultView, useResultView } from './view-state';
import './result.css';

const isTyping = (t: EventTarget | null) =>
  t instanceof HTMLElement && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName));

/** Hold B: the edit shows the source ("before") until the key is released or the window loses focus. */
function useHoldBefore(): void {
  useEffect(() => {
    const { set } = resultView();
    const down = (e: KeyboardEvent) => {
      if ((e.key === 'b' || e.key === 'B') && !e.repeat && !isTyping(e.target) && !e.ctrlKey && !e.metaKey)
        set({ before: true });
    };
    const up = (e: KeyboardEvent) => {
      if (e.key === 'b' || e.key === 'B') set({ before: false });
    };
    const blur = () => set({ before: false });
    window.addEventListener('keydown', down);
    window.addEventListener('keyup', up);
    window.addEventListener('blur', blur);
    return () => {
      window.removeEventListener('keydown', down);
      window.removeEventListener('keyup', up);
      window.removeEventListener('blur', blur);
      set({ before: false });
    };
  }, []);
}

/** Advances the shared frame index at the clip's frame rate while playing. */
function usePlayback(frameCount: number): void {
  const { playing } = useResultView();
  const fps = useStore((s) => s.frames?.fps ?? 8);
  useEffect(() => {
    if (!playing || frameCount <= 0) return;
    const timer = setInterval(() => {
      const { currentFrame, setCurrentFrame } = useStore.getState();
      setCurrentFrame((currentFrame + 1) % frameCount);
    }, 1000 / fps);
    return () => clearInterval(timer);
  }, [playing, frameCount, fps]);
  useEffect(() => () => resultView().set({ playing: false }), []);
}

/**
 * Room the panes leave at the bottom of the stage for its notice stack (src/features/notices: bottom-right
 * corner, over the stage). Without it a notice covered the bottom of the edit pane; after a reload the "pick the
 * folder again" notice did so for its 8 s, so the result looked wrong until it expired. The stack is measured
 * (it grows and shrinks with its notices) and the panes fit above it.
 */
function useNoticeRoom(): number {
  const shown = useStore((s) => s.notices.length);
  const [room, setRoom] = useState(0);
  useLayoutEffect(() => {
    const stack = document.querySelector<HTMLElement>('[data-testid="notices"]');
    if (!stack) return;
    const read = () => {
      const r = stack.getBoundingClientRect();
      const stage = stack.offsetParent?.getBoundingClientRect();
      // From the stack's top to the stage's bottom (its offset from the corner included); nothing when empty.
      setRoom(r.height > 0 && stage ? Math.ceil(stage.bottom - r.top) : 0);
    };
    read();
    const observer = new ResizeObserver(read);
    observer.observe(stack);
    return () => observer.disconnect();
  }, [shown]);
  return room;
}

/** A scrollable pane that sizes its stack for the zoom (fit = inside the pane, else device pixels per pixel). */
function Pane({
  caption,
  width,
  height,
  testId,
  onPointer,
  children,
}: {
  caption: ReactNode;
  width: number;
  height: number;
  testId: string;
  onPointer?: (e: ReactPointerEvent<HTMLDivElement>) => void;
  children: ReactNode;
}) {
  const { zoom } = useResultView();
  const scroller = useRef<HTMLDivElement>(null);
  const box = useBoxSize(scroller);
  const size = displaySize(zoom, width, height, box.width, box.height, window.devicePixelRatio || 1);
  const upscaled = size.width >= width;
  return (
    <figure className="result-pane">
      <div className="result-scroll" ref={scroller}>
        <div
          className={`result-stack${upscaled ? ' pixelated' : ''}${onPointer ? ' draggable' : ''}`}
          data-testid={testId}
          style={{ width: size.width, height: size.height }}
          onPointerDown={
            onPointer &&
            ((e) => {
              e.currentTarget.setPointerCapture(e.pointerId);
              onPointer(e);
            })
          }
          onPointerMove={onPointer && ((e) => e.buttons !== 0 && onPointer(e))}
        >
          {children}
        </div>
      </div>
      <figcaption>{caption}</figcaption>
    </figure>
  );
}

export function ResultView() {
  const meta = useStore((s) => s.editResult);
  const stale = useStore((s) => s.editResultStale);
  const framesVersion = useStore((s) => s.frames?.version);
  const current = useStore((s) => s.currentFrame);
  const region = useStore((s) => s.attentionRegion);
  const { mode, wipe, heatOpacity, before, set } = useResultView();
  const noticeRoom = useNoticeRoom();
  useHoldBefore();
  usePlayback(meta?.frameCount ?? 0);

  const source = useMemo<Rgba | null>(
    () => bulk.frame(current) ?? null,
    // eslint-disable-next-line react-hooks/exhaustive-deps -- pixels live in bulk; the version says when they move
    [current, framesVersion],
  );
  const edit = useMemo<Rgba | null>(() => {
    const r = editBulk.result();
    const data = r?.frames[Math.min(current, r.frames.length - 1)];
    return r && data ? { width: r.width, height: r.height, data } : null;
    // eslint-disable-next-line react-hooks/exhaustive-deps -- pixels live in editBulk; the version says when they move
  }, [current, meta?.version]);
  const map = useMemo(
    () => (region === null ? undefined : editBulk.result()?.attentionMaps.find((m) => m.region === region)),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- as above
    [region, meta?.version],
  );

  if (!meta) return <div className="result-view empty">No edit yet: set up regions and prompts, then press Edit.</div>;
  const frame = Math.min(current, meta.frameCount - 1);
  const heat = (
    <HeatCanvas map={map} frame={frame} width={meta.width} height={meta.height} opacity={before ? 0 : heatOpacity} />
  );
  const editCaption = (
    <>
      {before ? 'Source (B held)' : 'Edit'} — “{meta.targetPrompt}”
    </>
  );
  const shown = before ? 0 : wipe;
  const dragWipe = (e: ReactPointerEvent<HTMLDivElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    set({ wipe: Math.round(((e.clientX - r.left) / r.width) * 100) });
  };
  return (
    <div className="result-view" data-testid="result-view" data-stale={stale} data-mode={mode}>
      <ResultToolbar />
      <div className="result-panes" style={{ marginBottom: noticeRoom }}>
        {mode === 'side' ? (
          <>
            <Pane caption="Source" width={meta.width} height={meta.height} testId="result-source-stack">
              <ImageCanvas image={source} testId="result-source" />
            </Pane>
            <Pane caption={editCaption} width={meta.width} height={meta.height} testId="result-edit-stack">
              <ImageCanvas image={before ? source : edit} testId="result-edit" />
              {heat}
            </Pane>
          </>
        ) : (
          <Pane
            caption={
              <>
                Edit ◀ {shown} % │ {100 - shown} % ▶ Source — “{meta.targetPrompt}”
              </>
            }
            width={meta.width}
            height={meta.height}
            testId="result-wipe-stack"
            onPointer={dragWipe}
          >
            <ImageCanvas image={source} testId="result-source" />
            <div className="wipe-edit" style={{ clipPath: `inset(0 ${100 - shown}% 0 0)` }}>
              <ImageCanvas image={edit} testId="result-edit" />
              {heat}
            </div>
            <div className="wipe-handle" style={{ left: `${shown}%` }} data-testid="result-wipe-handle" />
          </Pane>
        )}
      </div>
    </div>
  );
}
