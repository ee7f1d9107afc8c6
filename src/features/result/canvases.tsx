/**
 * The result viewer's drawing pieces: an RGBA image on a canvas at its own resolution, the attention heat map
 * on a transparent canvas (so it overlays the edit instead of replacing it, issue 14 item 1), and the size of
 * a pane, for fitting. CSS scales the canvases; upscaling shows hard pixels (drafts are small), downscaling is
 * smoothed.
 */
import { useEffect, useLayoutEffect, useRef, useState, type RefObject } from 'react';
import type { RegionAttentionMap } from '../../core/protocol/edit';
import { heatRgba } from './heatmap';

export interface Rgba {
  readonly width: number;
  readonly height: number;
  readonly data: ArrayLike<number>;
}

/** Draws `image` whenever it changes (a new object per frame or result version), also after a remount. */
export function ImageCanvas({ image, testId, className }: { image: Rgba | null; testId: string; className?: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = ref.current;
    if (!c || !image) return;
    c.width = image.width;
    c.height = image.height;
    const data = new Uint8ClampedArray(image.data);
    c.getContext('2d')!.putImageData(new ImageData(data, image.width, image.height), 0, 0);
  }, [image]);
  return <canvas ref={ref} data-testid={testId} className={className} />;
}

/**
 * The map's heat image (heatmap.ts: its alpha grows with attention) upscaled bilinearly to width×height on a
 * canvas with no background; the caller sets the overlay's opacity in CSS.
 */
export function HeatCanvas({
  map,
  frame,
  width,
  height,
  opacity,
}: {
  map: RegionAttentionMap | undefined;
  frame: number;
  width: number;
  height: number;
  opacity: number;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = ref.current;
    if (!c) return;
    c.width = width;
    c.height = height;
    const ctx = c.getContext('2d')!;
    ctx.clearRect(0, 0, width, height);
    if (!map) return;
    const small = new OffscreenCanvas(map.width, map.height);
    small.getContext('2d')!.putImageData(new ImageData(heatRgba(map, frame), map.width, map.height), 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(small, 0, 0, width, height);
  }, [map, frame, width, height]);
  return (
    <canvas
      ref={ref}
      className="heat"
      data-testid="result-heat"
      data-on={map !== undefined}
      style={{ opacity, visibility: map ? 'visible' : 'hidden' }}
    />
  );
}

/** The content box of an element, kept current with a ResizeObserver. */
export function useBoxSize(ref: RefObject<HTMLElement | null>): { width: number; height: number } {
  const [size, setSize] = useState({ width: 0, height: 0 });
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const read = () => setSize({ width: el.clientWidth, height: el.clientHeight });
    read();
    const observer = new ResizeObserver(read);
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref]);
  return size;
}
