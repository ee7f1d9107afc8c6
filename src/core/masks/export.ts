/**
 * Mask export in the VideoGrain layout (`<region>/<frame:05d>.png`, 8-bit grey 0/255, one file for every
 * frame of every region, as `layout_mask_dir` expects), zipped with fflate; and the coloured overlay used for
 * the canvas and for the masked preview video (like the official masked_video.mp4).
 */
import { zipSync } from 'fflate';
import { encode } from 'fast-png';
import { hexToRgb, safeFolderName, type RegionsDoc } from '../regions/model';

export function maskToPng(bits: Uint8Array | null, width: number, height: number): Uint8Array {
  const grey = new Uint8Array(width * height);
  if (bits) for (let i = 0; i < grey.length; i++) grey[i] = bits[i] ? 255 : 0;
  return encode({ width, height, data: grey, channels: 1, depth: 8 });
}

/** Unique, file-system-safe folder names in region order. */
export function exportFolderNames(doc: RegionsDoc): string[] {
  const used = new Set<string>();
  return doc.regions.map((r) => {
    const base = safeFolderName(r.name);
    let name = base;
    for (let k = 2; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    return name;
  });
}

export function exportVideoGrainZip(doc: RegionsDoc): Uint8Array {
  const { width, height } = doc.size;
  const tree: Record<string, Record<string, Uint8Array>> = {};
  const names = exportFolderNames(doc);
  doc.regions.forEach((region, k) => {
    const folder: Record<string, Uint8Array> = {};
    const frames = doc.masks[region.id] ?? [];
    for (let f = 0; f < doc.frameCount; f++)
      folder[`${String(f).padStart(5, '0')}.png`] = maskToPng(frames[f]?.bits ?? null, width, height);
    tree[names[k]!] = folder;
  });
  // PNGs are already deflated; storing them keeps the ZIP fast to write.
  return zipSync({ masks: tree }, { level: 0 });
}

export interface OverlayOptions {
  /** Regions drawn, bottom to top (later regions cover earlier ones where they overlap). */
  readonly regionIds: readonly string[];
}

/**
 * Writes region colours (alpha 255) where a region covers the pixel and transparent elsewhere, into RGBA
 * `out` of frame size — the canvas applies the overlay opacity.
 */
export function paintOverlay(
  out: Uint8ClampedArray | Uint8Array,
  doc: RegionsDoc,
  frame: number,
  options: OverlayOptions,
): void {
  out.fill(0);
  for (const id of options.regionIds) {
    const region = doc.regions.find((r) => r.id === id);
    const bits = doc.masks[id]?.[frame]?.bits;
    if (!region || !bits) continue;
    const [r, g, b] = hexToRgb(region.color);
    for (let i = 0; i < bits.length; i++) {
      if (!bits[i]) continue;
      const o = i * 4;
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
      out[o + 3] = 255;
    }
  }
}

/** A frame with its regions blended in at `alpha` (the masked preview video's frames). */
export function blendOverlay(rgba: Uint8Array, doc: RegionsDoc, frame: number, alpha = 0.5): Uint8Array {
  const overlay = new Uint8Array(rgba.length);
  paintOverlay(overlay, doc, frame, { regionIds: doc.regions.filter((r) => !r.hidden).map((r) => r.id) });
  const out = rgba.slice();
  for (let i = 0; i < out.length; i += 4) {
    if (!overlay[i + 3]) continue;
    for (let c = 0; c < 3; c++) out[i + c] = Math.round(out[i + c]! * (1 - alpha) + overlay[i + c]! * alpha);
  }
  return out;
}
