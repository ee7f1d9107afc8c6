import { useEffect, useRef, type ReactNode } from 'react';
import { useStore } from '../../state/store';
import { bulk } from '../../state/bulk';

/** Draws the current extracted frame; overlays (the mask canvas) render on top through `children`. */
export function FrameViewer({ children }: { children?: ReactNode }) {
  const meta = useStore((s) => s.frames);
  const current = useStore((s) => s.currentFrame);
  const sourceName = useStore((s) => s.sourceName);
  const canvas = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const frame = bulk.frame(current);
    const c = canvas.current;
    if (!frame || !c) return;
    c.width = frame.width;
    c.height = frame.height;
    c.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(frame.data), frame.width, frame.height), 0, 0);
  }, [meta?.version, current]);

  if (!meta)
    return (
      <div className="frame-viewer empty" data-testid="frame-viewer-empty">
        {sourceName
          ? `${sourceName} is open: choose the start frame, frame count, stride and size on the left, then press Extract frames.`
          : 'Open a clip (or a VideoGrain config folder) to start.'}
      </div>
    );
  return (
    <div className="frame-viewer" data-testid="frame-viewer">
      <div className="frame-stack" style={{ aspectRatio: `${meta.width} / ${meta.height}` }}>
        <canvas ref={canvas} data-testid="frame-canvas" />
        {children}
      </div>
    </div>
  );
}
