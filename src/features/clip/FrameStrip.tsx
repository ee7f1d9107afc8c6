import { useEffect, useRef } from 'react';
import { useStore } from '../../state/store';
import { bulk } from '../../state/bulk';

const THUMB = 64;

function Thumb({ index, version }: { index: number; version: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const frame = bulk.frame(index);
    const c = canvas.current;
    if (!frame || !c) return;
    const full = new OffscreenCanvas(frame.width, frame.height);
    full
      .getContext('2d')!
      .putImageData(new ImageData(new Uint8ClampedArray(frame.data), frame.width, frame.height), 0, 0);
    c.width = THUMB;
    c.height = Math.round((THUMB * frame.height) / frame.width);
    c.getContext('2d')!.drawImage(full, 0, 0, c.width, c.height);
  }, [index, version]);
  return <canvas ref={canvas} />;
}

const isTyping = (t: EventTarget | null) =>
  t instanceof HTMLElement && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName));

/** Thumbnails of the extracted frames plus a scrubber; ←/→ step frames, Home/End jump. */
export function FrameStrip() {
  const meta = useStore((s) => s.frames);
  const current = useStore((s) => s.currentFrame);
  const setCurrent = useStore((s) => s.setCurrentFrame);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      const { currentFrame, frames } = useStore.getState();
      if (!frames) return;
      const step = { ArrowLeft: -1, ArrowRight: 1, Home: -frames.count, End: frames.count }[e.key];
      if (step === undefined) return;
      e.preventDefault();
      setCurrent(currentFrame + step);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [setCurrent]);

  if (!meta) return null;
  return (
    <div className="frame-strip" data-testid="frame-strip">
      <input
        type="range"
        min={0}
        max={meta.count - 1}
        value={current}
        aria-label="Current frame"
        data-testid="frame-scrubber"
        onChange={(e) => setCurrent(Number(e.target.value))}
      />
      <span className="frame-index" data-testid="frame-index">
        {current + 1} / {meta.count}
      </span>
      <div className="thumbs">
        {Array.from({ length: meta.count }, (_, i) => (
          <button
            key={i}
            className={i === current ? 'thumb current' : 'thumb'}
            onClick={() => setCurrent(i)}
            aria-label={`Frame ${i + 1}`}
          >
            <Thumb index={i} version={meta.version} />
          </button>
        ))}
      </div>
    </div>
  );
}
