/**
 * A region's attention map (src/core/protocol/edit.ts RegionAttentionMap, values in [0, 1]) as an RGBA heat
 * image at the map's own resolution: a black-body ramp (transparent blue → red → yellow) whose alpha grows
 * with the value, so low attention leaves the frame visible. The view upscales it (bilinear) over the edit.
 */
import type { RegionAttentionMap } from '../../core/protocol/edit';

function ramp(v: number): [number, number, number] {
  const t = Math.max(0, Math.min(1, v));
  if (t < 0.5) return [Math.round(510 * t), 0, Math.round(255 * (1 - 2 * t))];
  return [255, Math.round(510 * (t - 0.5)), 0];
}

export function heatRgba(map: RegionAttentionMap, frame: number): Uint8ClampedArray<ArrayBuffer> {
  const n = map.width * map.height;
  const f = Math.max(0, Math.min(map.frames - 1, frame));
  const out = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    const v = map.data[f * n + i] ?? 0;
    const [r, g, b] = ramp(v);
    out[i * 4] = r;
    out[i * 4 + 1] = g;
    out[i * 4 + 2] = b;
    out[i * 4 + 3] = Math.round(40 + 150 * Math.max(0, Math.min(1, v)));
  }
  return out;
}
