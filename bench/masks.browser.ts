/**
 * `npm run bench:masks`: how immediate painting is and how long propagation takes, at 512².
 * - stroke: per pointer move, the capsule stamp into the draft mask plus the overlay update of the touched
 *   rectangle (what happens between a mouse event and the pixels on the canvas); and the commit on release
 *   (document action + full overlay redraw);
 * - interpolate: SDF shape interpolation of 32 in-between frames from two keyframes.
 */
import { StrokeSession } from '../src/features/masks/tools';
import { renderOverlay, updateOverlayRect } from '../src/features/masks/overlay-render';
import { addRegion, batch, setFrameMask } from '../src/core/regions/actions';
import { interpolateKeyframes } from '../src/core/regions/propagate';
import { emptyDoc } from '../src/core/regions/model';
import { createMask } from '../src/core/masks/raster';
import { stampSegment } from '../src/core/masks/paint';
import { encodeRegionFrames } from '../src/core/masks/rle';

const SIZE = { width: 512, height: 512 };

const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

export async function run(log: (line: string) => void): Promise<Record<string, unknown>> {
  let doc = batch(addRegion({ id: 'a' }), addRegion({ id: 'b' }))(emptyDoc(SIZE, 34));
  const other = createMask(SIZE);
  stampSegment(other, SIZE, { x: 100, y: 100 }, { x: 400, y: 400 }, 40, 1);
  doc = setFrameMask('b', 0, other)(doc);
  const canvas = document.createElement('canvas');
  const view = { doc, frame: 0, regionIds: ['a', 'b'] };
  const image = renderOverlay(canvas, view);

  const moves: number[] = [];
  const commits: number[] = [];
  for (let s = 0; s < 20; s++) {
    const session = new StrokeSession(SIZE, doc.masks.a?.[0]?.bits ?? null, 'brush', 12, 1);
    // performance.now() is coarse (0.1 ms) without cross-origin isolation: time 100 moves, report the mean.
    const t1 = performance.now();
    for (let i = 0; i < 100; i++) {
      const p = { x: 40 + i * 4.3, y: 256 + 120 * Math.sin((i + s * 7) / 9) };
      updateOverlayRect(canvas, image, view, 'a', session.draft, session.add(p));
    }
    moves.push((performance.now() - t1) / 100);
    const t0 = performance.now();
    doc = setFrameMask('a', 0, session.draft)(doc);
    renderOverlay(canvas, { ...view, doc });
    commits.push(performance.now() - t0);
  }

  const a = createMask(SIZE);
  const b = createMask(SIZE);
  stampSegment(a, SIZE, { x: 120, y: 200 }, { x: 160, y: 320 }, 50, 1);
  stampSegment(b, SIZE, { x: 330, y: 180 }, { x: 390, y: 330 }, 70, 1);
  let interp = batch(setFrameMask('a', 0, a), setFrameMask('a', 33, b))(doc);
  const runs: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    interp = interpolateKeyframes('a')(interp);
    runs.push(performance.now() - t0);
  }
  const stored = encodeRegionFrames(SIZE, interp.masks.a!);

  const result = {
    frame: '512x512',
    strokeMoveMedianMs: +quantile(moves, 0.5).toFixed(3),
    strokeMoveWorstStrokeMs: +Math.max(...moves).toFixed(3),
    strokeCommitMedianMs: +quantile(commits, 0.5).toFixed(3),
    interpolate32FramesMs: +Math.min(...runs).toFixed(1),
    storedBytes34Frames: stored.length,
    rawBytes34Frames: 34 * SIZE.width * SIZE.height,
  };
  log('masks at 512×512');
  log(
    `  stroke move (stamp + overlay rect)   median ${result.strokeMoveMedianMs} ms/move   worst stroke ${result.strokeMoveWorstStrokeMs} ms/move`,
  );
  log(`  stroke commit (action + full redraw) median ${result.strokeCommitMedianMs} ms`);
  log(`  interpolate 32 frames (SDF)          ${result.interpolate32FramesMs} ms`);
  log(`  storage, 34 frames (RLE)             ${stored.length} bytes (raw ${result.rawBytes34Frames})`);
  return result;
}
