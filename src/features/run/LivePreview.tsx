import { useEffect, useRef } from 'react';
import { useStore } from '../../state/store';
import { editBulk } from '../../state/edit-bulk';
import { followPreviewFrame } from './actions';

/**
 * The engine's x̂0 preview of the current frame (latent resolution), scaled up with hard pixels, in a slot of
 * the run bar whose size never changes (issue 14 item 7: the preview must not move the mask editor). Hovering
 * enlarges it over the workspace without moving anything (a transform).
 */
export function LivePreview() {
  const step = useStore((s) => s.editRun?.previewStep ?? 0);
  const frame = useStore((s) => s.currentFrame);
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => followPreviewFrame(frame), [frame]);
  useEffect(() => {
    const p = editBulk.preview();
    const c = canvas.current;
    const rgba = p?.rgba;
    if (!p || !c || !rgba) return;
    c.width = p.width;
    c.height = p.height;
    c.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(rgba), p.width, p.height), 0, 0);
  }, [step, frame]);
  return (
    <figure className="live-preview" data-testid="live-preview" data-active={step > 0}>
      {step > 0 ? (
        <>
          <canvas ref={canvas} data-testid="edit-preview" data-step={step} title="Live preview (hover to enlarge)" />
          <figcaption className="hint">
            Frame {(editBulk.preview()?.frame ?? frame) + 1}
            <br />
            step {step}
          </figcaption>
        </>
      ) : (
        <figcaption className="hint">Live preview appears here while editing</figcaption>
      )}
    </figure>
  );
}
