/**
 * Mask import. Two layouts are understood:
 * - VideoGrain / SAM-Track: `<region>/<frame:05d>.png`, one folder per region, any non-zero pixel is in the
 *   region (VideoGrain reads `mask > 0`);
 * - DAVIS palette PNGs: `<frame:05d>.png`, one file per (possibly sparse) frame, pixel value = instance id
 *   (palette index; 0 = background).
 * Masks are brought to the frames with the frames' own scale + centre crop (./geometry.ts). Nothing is
 * applied until the whole set parsed cleanly, so a bad file loses nothing already painted.
 */
import { AppError } from '../protocol/errors';
import { checkMaskGeometry, coverResizeNearest } from './geometry';
import { collectMaskFiles, decodeMaskPng, frameIndexOf, type DecodedMaskPng, type MaskFile } from './files';
import type { MaskSize } from './raster';

export type MaskLayout = 'videograin' | 'palette';

export interface ImportTarget {
  readonly frames: MaskSize;
  readonly frameCount: number;
  /** The source video's display size, when known: masks drawn on it are cropped like the frames. */
  readonly source?: MaskSize;
  /**
   * The source frame number of each extracted frame (start + i·stride), when known. Official VideoGrain mask
   * folders are numbered by source frame (`00012.png` = source frame 12): a set with numbers beyond the clip's
   * frame count is matched by these numbers (`matchMaskFrames`).
   */
  readonly sourceFrames?: readonly number[];
}

/** How mask file numbers map to the clip's frames. */
export interface MaskFrameMatch {
  /** 'clip': file n is clip frame n; 'source': file n is source frame n, placed where sourceFrames has n. */
  readonly mode: 'clip' | 'source';
  /** Clip frame of a file number, or undefined when that source frame was not extracted. */
  positionOf(n: number): number | undefined;
  /** File numbers that match no extracted frame (skipped), ascending. */
  readonly skipped: readonly number[];
}

const frameRange = (ns: readonly number[]) => (ns.length === 1 ? `${ns[0]}` : `${Math.min(...ns)}–${Math.max(...ns)}`);

/**
 * Decides how a mask set's frame numbers map to the clip (pure). Numbers all below the frame count are clip
 * frames (a set made for these frames, or an official folder read from frame 0 with stride 1). Otherwise, with
 * the source frame numbers known, file n goes to the extracted frame whose source frame is n and the other
 * files are skipped; without them (or with no number matching), the error names the file, the frames asked for
 * and what to do.
 */
export function matchMaskFrames(numbers: readonly number[], target: ImportTarget, label: string): MaskFrameMatch {
  const unique = [...new Set(numbers)].sort((a, b) => a - b);
  const max = unique[unique.length - 1] ?? -1;
  if (max < target.frameCount) return { mode: 'clip', positionOf: (n) => n, skipped: [] };
  const src = target.sourceFrames;
  if (!src || src.length !== target.frameCount) {
    throw new AppError(
      'MASK_WRONG_COUNT',
      `${label} has a mask for frame ${max}, but the clip has ${target.frameCount} frames (0–${target.frameCount - 1}). Import masks made for this clip's frames.`,
    );
  }
  const position = new Map(src.map((n, i) => [n, i] as const));
  const skipped = unique.filter((n) => !position.has(n));
  if (skipped.length === unique.length) {
    throw new AppError(
      'MASK_WRONG_COUNT',
      `${label} has masks for source frames ${frameRange(unique)}, but the extracted frames are source frames ${src.join(', ')}: none match. Change the clip's start or stride, or import masks for these frames.`,
    );
  }
  return { mode: 'source', positionOf: (n) => position.get(n), skipped };
}

export interface ImportedRegion {
  readonly name: string;
  /** `#rrggbb` from the palette, when the file had one. */
  readonly color: string | null;
  /** One 0/1 mask per frame at frame size; null where the import had no file or the id is absent. */
  readonly frames: (Uint8Array | null)[];
}

export interface ImportedMasks {
  readonly layout: MaskLayout;
  readonly regions: ImportedRegion[];
  readonly warnings: string[];
}

/** Drops leading folders shared by every file while more than `keep` levels remain. */
function stripCommonFolders(files: MaskFile[], keep: number): MaskFile[] {
  let out = files;
  for (;;) {
    const parts = out.map((f) => f.path.split('/'));
    const first = parts[0]![0];
    if (parts.some((p) => p.length <= keep || p[0] !== first)) return out;
    out = out.map((f) => ({ ...f, path: f.path.split('/').slice(1).join('/') }));
  }
}

function detectLayout(files: MaskFile[]): { layout: MaskLayout; files: MaskFile[] } {
  const stripped = stripCommonFolders(files, 2);
  const depths = new Set(stripped.map((f) => f.path.split('/').length));
  if (depths.size > 1)
    throw new AppError(
      'MASK_MIXED_LAYOUT',
      'The mask files mix folders and loose files. Use either <region>/<frame>.png or <frame>.png, not both.',
    );
  if (depths.has(1)) return { layout: 'palette', files: stripped };
  if (!depths.has(2))
    throw new AppError('MASK_MIXED_LAYOUT', 'Mask folders nest too deep: expected <region>/<frame>.png.');
  // One folder of indexed PNGs is a palette set inside a folder, not a single VideoGrain region.
  const folders = new Set(stripped.map((f) => f.path.split('/')[0]));
  if (folders.size === 1 && decodeMaskPng(stripped[0]!.path, stripped[0]!.bytes).palette) {
    return { layout: 'palette', files: stripped.map((f) => ({ ...f, path: f.path.split('/')[1]! })) };
  }
  return { layout: 'videograin', files: stripped };
}

/** Clip frame of each file (undefined: a source frame that was not extracted), and a warning for those skipped. */
function placeFiles(
  files: readonly MaskFile[],
  target: ImportTarget,
  label: string,
): { positions: (number | undefined)[]; warning: string | null } {
  const numbers = files.map((f) => frameIndexOf(f.path));
  const match = matchMaskFrames(numbers, target, label);
  const positions = numbers.map((n) => match.positionOf(n));
  const wanted = target.sourceFrames ?? [];
  const missing = match.mode === 'source' ? wanted.filter((n) => !numbers.includes(n)) : [];
  const warning =
    match.mode === 'source'
      ? `${label}: took the masks of source frames ${wanted.filter((n) => numbers.includes(n)).join(', ')}${missing.length ? ` (none for ${missing.join(', ')})` : ''}; ${match.skipped.length} other${match.skipped.length === 1 ? '' : 's'} skipped.`
      : null;
  return { positions, warning };
}

function toFrame(path: string, png: DecodedMaskPng, target: ImportTarget): Uint8Array {
  const size = { width: png.width, height: png.height };
  checkMaskGeometry(path, size, target.frames, target.source);
  return coverResizeNearest(png.values, size, target.frames);
}

const rgbHex = (rgb: readonly number[]) =>
  `#${rgb
    .slice(0, 3)
    .map((v) => v.toString(16).padStart(2, '0'))
    .join('')}`;

function importVideoGrain(files: MaskFile[], target: ImportTarget): ImportedMasks {
  const byRegion = new Map<string, MaskFile[]>();
  for (const f of files) {
    const [region] = f.path.split('/');
    byRegion.set(region!, [...(byRegion.get(region!) ?? []), f]);
  }
  const warnings: string[] = [];
  const regions: ImportedRegion[] = [];
  for (const [name, regionFiles] of [...byRegion.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const frames: (Uint8Array | null)[] = new Array<null>(target.frameCount).fill(null);
    const placed = placeFiles(regionFiles, target, name);
    if (placed.warning) warnings.push(placed.warning);
    let used = 0;
    for (const [k, f] of regionFiles.entries()) {
      const index = placed.positions[k];
      if (index === undefined) continue;
      used++;
      if (frames[index])
        throw new AppError(
          'MASK_DUPLICATE_FRAME',
          `${name} has two masks for frame ${index}. Keep one file per frame.`,
        );
      const frame = toFrame(f.path, decodeMaskPng(f.path, f.bytes), target);
      for (let i = 0; i < frame.length; i++) frame[i] = frame[i] ? 1 : 0;
      frames[index] = frame;
    }
    if (used < target.frameCount) {
      warnings.push(
        `${name}: ${used} of ${target.frameCount} frames have a mask; propagate or interpolate to fill the rest.`,
      );
    }
    regions.push({ name, color: null, frames });
  }
  return { layout: 'videograin', regions, warnings };
}

function importPalette(files: MaskFile[], target: ImportTarget): ImportedMasks {
  const perFrame = new Map<number, { path: string; labels: Uint8Array }>();
  const colors = new Map<number, string>();
  const idsBeforeCrop = new Set<number>();
  const placed = placeFiles(files, target, 'The palette set');
  for (const [k, f] of files.entries()) {
    const index = placed.positions[k];
    if (index === undefined) continue;
    if (perFrame.has(index))
      throw new AppError('MASK_DUPLICATE_FRAME', `Two palette files are for frame ${index}. Keep one file per frame.`);
    const png = decodeMaskPng(f.path, f.bytes);
    if (png.palette) {
      for (let i = 0; i < png.values.length; i++) {
        const id = png.values[i]!;
        if (id >= png.palette.length) {
          throw new AppError(
            'MASK_UNKNOWN_INDEX',
            `${f.path} uses palette index ${id}, but its palette has only ${png.palette.length} colours. Re-save the file from the annotation tool.`,
          );
        }
        if (id !== 0 && !colors.has(id)) colors.set(id, rgbHex(png.palette[id]!));
      }
    }
    for (let i = 0; i < png.values.length; i++) if (png.values[i]) idsBeforeCrop.add(png.values[i]!);
    perFrame.set(index, { path: f.path, labels: toFrame(f.path, png, target) });
  }
  const ids = new Set<number>();
  for (const { labels } of perFrame.values())
    for (let i = 0; i < labels.length; i++) if (labels[i]) ids.add(labels[i]!);
  if (idsBeforeCrop.size === 0)
    throw new AppError('MASK_EMPTY', 'The palette files contain no object (every pixel is background, index 0).');
  if (ids.size === 0)
    throw new AppError('MASK_EMPTY', 'Every object in the palette files lies outside the cropped frames.');
  const croppedAway = [...idsBeforeCrop].filter((id) => !ids.has(id)).sort((a, b) => a - b);
  if (ids.size > 32)
    throw new AppError(
      'MASK_UNKNOWN_INDEX',
      `The files hold ${ids.size} different values; palette masks have a few instance ids. Are these images masks?`,
    );
  const regions: ImportedRegion[] = [...ids]
    .sort((a, b) => a - b)
    .map((id) => {
      const frames: (Uint8Array | null)[] = new Array<null>(target.frameCount).fill(null);
      for (const [index, { labels }] of perFrame) {
        const bits = new Uint8Array(labels.length);
        let any = false;
        for (let i = 0; i < labels.length; i++) {
          if (labels[i] !== id) continue;
          bits[i] = 1;
          any = true;
        }
        if (any) frames[index] = bits;
      }
      return { name: `object ${id}`, color: colors.get(id) ?? null, frames };
    });
  const warnings =
    perFrame.size < target.frameCount
      ? [
          `Masks for ${perFrame.size} of ${target.frameCount} frames were imported as keyframes; propagate or interpolate to fill the rest.`,
        ]
      : [];
  if (placed.warning) warnings.push(placed.warning);
  if (croppedAway.length > 0) {
    const names = croppedAway.map((id) => `object ${id}`).join(', ');
    warnings.push(
      `${names} ${croppedAway.length === 1 ? 'lies' : 'lie'} outside the cropped frames and ${croppedAway.length === 1 ? 'was' : 'were'} left out.`,
    );
  }
  return { layout: 'palette', regions, warnings };
}

export function importMasks(input: readonly MaskFile[], target: ImportTarget, layout?: MaskLayout): ImportedMasks {
  const files = collectMaskFiles(input);
  const detected =
    layout === undefined
      ? detectLayout(files)
      : { layout, files: stripCommonFolders(files, layout === 'palette' ? 1 : 2) };
  return detected.layout === 'videograin'
    ? importVideoGrain(detected.files, target)
    : importPalette(detected.files, target);
}
