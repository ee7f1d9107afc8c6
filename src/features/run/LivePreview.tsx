import { useEffect, useRef } from 'react';
import { useStore } from '../../state/store';
import { editBulk } from '../../state/edit-bulk';
import { followPreviewFrame } from './actions';

/** The engine's x̂0 preview of the current frame (latent resolution), scaled up with hard pixels. */
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
  if (step === 0) return null;
  return (
    <figure className="live-preview">
      <canvas ref={canvas} data-testid="edit-preview" data-step={step} />
      <figcaption className="hint">
        Preview of frame {(editBulk.preview()?.frame ?? frame) + 1} after step {step}
      </figcaption>
    </figure>
  );
}
