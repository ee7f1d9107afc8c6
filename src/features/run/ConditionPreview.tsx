/**
 * The condition preview strip (issue 16): the maps the ControlNet will get, one thumbnail per frame, computed by
 * the engine (`EngineApi.estimateConditions`, the same registry and cache as the edit's, so an Edit after the
 * preview does not recompute them). Computed on request (*Compute preview*; estimators take seconds per frame),
 * automatically for canny (cheap). A change of frames or condition settings clears the strip.
 */
import { useEffect, useRef, useState } from 'react';
import { services } from '../../app/services';
import { estimatorModelOf } from '../../core/conditions/kinds';
import { Comlink } from '../../core/protocol/rpc';
import { useStore } from '../../state/store';
import { editBulk } from '../../state/edit-bulk';
import { currentFramesInput } from './staleness';

type Preview =
  | { readonly state: 'idle' }
  | { readonly state: 'running' }
  | { readonly state: 'done'; readonly maps: Uint8Array[]; readonly width: number; readonly height: number }
  | { readonly state: 'error'; readonly message: string };

function Thumb(props: { rgba: Uint8Array; width: number; height: number; index: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    const pixels = new Uint8ClampedArray(props.rgba.length);
    pixels.set(props.rgba);
    ctx.putImageData(new ImageData(pixels, props.width, props.height), 0, 0);
  }, [props.rgba, props.width, props.height]);
  return (
    <canvas
      ref={ref}
      className="condition-thumb"
      data-testid={`condition-thumb-${props.index}`}
      width={props.width}
      height={props.height}
      title={`frame ${props.index}`}
    />
  );
}

export function ConditionPreview() {
  const condition = useStore((st) => st.editSettings.condition);
  const frames = useStore((st) => st.frames);
  const conditionCount = useStore((st) => st.conditionFrameCount);
  const [preview, setPreview] = useState<Preview>({ state: 'idle' });
  const key = JSON.stringify({ condition: { ...condition, scale: 0 }, frames, conditionCount });
  const current = useRef(key);

  const compute = async () => {
    const input = currentFramesInput();
    const { kind } = condition;
    if (!input || input.frames.length === 0 || kind === 'none') return;
    const started = key;
    setPreview({ state: 'running' });
    try {
      const frameCopies = input.frames.map((f) => f.slice());
      const conditionFrames = kind === 'frames' ? editBulk.conditionFrames().map((f) => f.slice()) : undefined;
      const { hand, face, low, high } = condition;
      const request = {
        kind,
        width: input.width,
        height: input.height,
        frames: frameCopies,
        options: { hand, face, low, high },
        ...(conditionFrames ? { conditionFrames } : {}),
      };
      const transfers = [...frameCopies, ...(conditionFrames ?? [])].map((f) => f.buffer as ArrayBuffer);
      const result = await services.engine().api.estimateConditions(Comlink.transfer(request, transfers));
      if (current.current !== started) return;
      setPreview({ state: 'done', maps: result.frames, width: result.width, height: result.height });
    } catch (e) {
      if (current.current === started) setPreview({ state: 'error', message: (e as Error).message });
    }
  };

  useEffect(() => {
    current.current = key;
    setPreview({ state: 'idle' });
    // Canny is cheap and exact: show it at once; estimators wait for the button.
    if (condition.kind === 'canny' && frames && frames.count > 0) void compute();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` holds everything compute reads
  }, [key]);

  if (condition.kind === 'none') return null;
  const needsModel = estimatorModelOf(condition.kind) !== null;
  return (
    <div className="condition-preview" data-testid="condition-preview">
      <div className="field-row">
        <button
          type="button"
          data-testid="condition-preview-compute"
          disabled={!frames || frames.count === 0 || preview.state === 'running'}
          onClick={() => void compute()}
        >
          {preview.state === 'running' ? 'Computing…' : 'Compute preview'}
        </button>
        <span className="hint" data-testid="condition-preview-status">
          {preview.state === 'running'
            ? `computing the ${condition.kind} maps of ${frames?.count ?? 0} frames…`
            : preview.state === 'done'
              ? `${preview.maps.length} maps`
              : preview.state === 'error'
                ? ''
                : needsModel
                  ? 'maps are computed with the loaded estimator'
                  : ''}
        </span>
      </div>
      {preview.state === 'error' && (
        <p className="error" role="alert" data-testid="condition-preview-error">
          {preview.message}
        </p>
      )}
      {preview.state === 'done' && (
        <div className="condition-strip" data-testid="condition-strip">
          {preview.maps.map((rgba, i) => (
            <Thumb key={i} rgba={rgba} width={preview.width} height={preview.height} index={i} />
          ))}
        </div>
      )}
    </div>
  );
}
