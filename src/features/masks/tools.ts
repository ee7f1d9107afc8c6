/**
 * A painting session: pointer input in frame pixels → a draft mask → one document action on release.
 * No React, no Konva: the canvas component feeds it points and redraws the rectangles it reports.
 */
import { fillPolygon, floodFill, stampSegment, type Point } from '../../core/masks/paint';
import { createMask, EMPTY_RECT, type MaskSize, type Rect } from '../../core/masks/raster';

export class StrokeSession {
  readonly draft: Uint8Array;
  private last: Point | null = null;
  private readonly lasso: Point[] = [];

  constructor(
    readonly size: MaskSize,
    base: Uint8Array | null,
    readonly mode: 'brush' | 'eraser' | 'lasso',
    readonly radius: number,
    readonly value: 0 | 1,
  ) {
    this.draft = base ? base.slice() : createMask(size);
  }

  /** Adds a pointer position; returns the rectangle that changed (empty for lasso until it closes). */
  add(p: Point): Rect {
    if (this.mode === 'lasso') {
      this.lasso.push(p);
      return EMPTY_RECT;
    }
    const from = this.last ?? p;
    this.last = p;
    return stampSegment(this.draft, this.size, from, p, this.radius, this.value);
  }

  /** Ends the session; returns the changed rectangle (the lasso fills here). */
  finish(): Rect {
    if (this.mode !== 'lasso') return EMPTY_RECT;
    return fillPolygon(this.draft, this.size, this.lasso, this.value);
  }

  lassoPoints(): readonly Point[] {
    return this.lasso;
  }
}

export function fillAt(size: MaskSize, base: Uint8Array | null, p: Point, value: 0 | 1): Uint8Array | null {
  const draft = base ? base.slice() : createMask(size);
  const rect = floodFill(draft, size, p, value);
  return rect.x1 > rect.x0 ? draft : null;
}

export function polygonFill(
  size: MaskSize,
  base: Uint8Array | null,
  polygon: readonly Point[],
  value: 0 | 1,
): Uint8Array | null {
  if (polygon.length < 3) return null;
  const draft = base ? base.slice() : createMask(size);
  fillPolygon(draft, size, polygon, value);
  return draft;
}
