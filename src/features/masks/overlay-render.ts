/**
 * Offscreen canvases the mask canvas draws: the frame, the region overlay and the onion skin. The overlay
 * is redrawn whole when the document or frame changes, and only inside the touched rectangle while a
 * stroke is in progress (that is what keeps painting immediate).
 */
import { paintOverlay, blendOverlay } from '../../core/masks/export';
import { hexToRgb, type RegionsDoc } from '../../core/regions/model';
import type { Rect } from '../../core/masks/raster';
import type { RgbaFrame } from '../../state/bulk';

export function canvasOf(width: number, height: number, existing?: HTMLCanvasElement | null): HTMLCanvasElement {
  const c = existing ?? document.createElement('canvas');
  if (c.width !== width) c.width = width;
  if (c.height !== height) c.height = height;
  return c;
}

export function drawRgba(canvas: HTMLCanvasElement, rgba: Uint8Array, width: number, height: number): void {
  canvasOf(width, height, canvas);
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
}

export interface OverlayView {
  readonly doc: RegionsDoc;
  readonly frame: number;
  /** Visible regions, bottom to top. */
  readonly regionIds: readonly string[];
}

/** Full overlay: region colours where masks are on (the canvas's opacity sets how strong they look). */
export function renderOverlay(canvas: HTMLCanvasElement, view: OverlayView): ImageData {
  const { width, height } = view.doc.size;
  canvasOf(width, height, canvas);
  const image = new ImageData(Math.max(1, width), Math.max(1, height));
  if (width > 0) paintOverlay(image.data, view.doc, view.frame, { regionIds: view.regionIds });
  canvas.getContext('2d')!.putImageData(image, 0, 0);
  return image;
}

/**
 * Recomputes the overlay inside `rect` with `draft` standing in for region `draftId`'s mask on this frame,
 * and puts just that rectangle on the canvas.
 */
export function updateOverlayRect(
  canvas: HTMLCanvasElement,
  image: ImageData,
  view: OverlayView,
  draftId: string,
  draft: Uint8Array,
  rect: Rect,
): void {
  const { width } = view.doc.size;
  const layers = view.regionIds.flatMap((id) => {
    const region = view.doc.regions.find((r) => r.id === id);
    const bits = id === draftId ? draft : view.doc.masks[id]?.[view.frame]?.bits;
    return region && bits ? [{ bits, rgb: hexToRgb(region.color) }] : [];
  });
  const out = image.data;
  for (let y = rect.y0; y < rect.y1; y++) {
    for (let x = rect.x0; x < rect.x1; x++) {
      const i = y * width + x;
      const o = i * 4;
      out[o + 3] = 0;
      for (let k = layers.length - 1; k >= 0; k--) {
        const layer = layers[k]!;
        if (!layer.bits[i]) continue;
        out[o] = layer.rgb[0];
        out[o + 1] = layer.rgb[1];
        out[o + 2] = layer.rgb[2];
        out[o + 3] = 255;
        break;
      }
    }
  }
  canvas.getContext('2d')!.putImageData(image, 0, 0, rect.x0, rect.y0, rect.x1 - rect.x0, rect.y1 - rect.y0);
}

/** The neighbouring frame with its regions, for the onion skin. */
export function renderOnion(canvas: HTMLCanvasElement, frame: RgbaFrame, doc: RegionsDoc, index: number): void {
  drawRgba(canvas, blendOverlay(frame.data, doc, index, 0.6), frame.width, frame.height);
}
