/**
 * Mask import/export as user actions. Imports parse everything first (src/core/masks/import.ts) and change
 * the document in one undo step only when the whole set is valid, so a bad file loses nothing painted.
 * Imported regions replace the masks of regions with the same name, or become new regions.
 */
import { useStore } from '../../state/store';
import { bulk } from '../../state/bulk';
import { maskStore } from '../../state/mask-store';
import { services } from '../../app/services';
import { AppError } from '../../core/protocol/errors';
import type { Progress } from '../../core/protocol/video';
import { importMasks, type ImportedMasks, type MaskLayout } from '../../core/masks/import';
import type { MaskFile } from '../../core/masks/files';
import { blendOverlay, exportVideoGrainZip } from '../../core/masks/export';
import { addRegion, batch, replaceMasks, type DocAction } from '../../core/regions/actions';
import type { RegionMasks, RegionsDoc } from '../../core/regions/model';
import { downloadBytes } from '../clip/actions';
import { runTask } from '../tasks/run-task';
import { run } from './actions';

export async function readMaskFiles(files: readonly File[]): Promise<MaskFile[]> {
  return Promise.all(
    files.map(async (f) => ({ path: f.webkitRelativePath || f.name, bytes: new Uint8Array(await f.arrayBuffer()) })),
  );
}

/** The document action that brings an import in (pure given the ids). */
export function applyImportAction(doc: RegionsDoc, imported: ImportedMasks, newId: () => string): DocAction {
  const actions: DocAction[] = [];
  const entries: Record<string, RegionMasks> = {};
  for (const region of imported.regions) {
    const existing = doc.regions.find((r) => r.name === region.name);
    const id = existing?.id ?? newId();
    if (!existing) actions.push(addRegion({ id, name: region.name, ...(region.color ? { color: region.color } : {}) }));
    entries[id] = region.frames.map((bits) => (bits ? { bits, origin: 'key' as const } : null));
  }
  return batch(...actions, replaceMasks(entries));
}

/** Existing regions with painted masks that an import would replace (by name), for the question asked first. */
export function paintedRegionsReplaced(doc: RegionsDoc, imported: ImportedMasks): string[] {
  return imported.regions
    .map((region) => doc.regions.find((r) => r.name === region.name))
    .filter((r): r is NonNullable<typeof r> => r !== undefined && (doc.masks[r.id] ?? []).some((f) => f !== null))
    .map((r) => r.name);
}

/** The source frame number of each extracted frame (start + i·stride), for matching official mask folders. */
export function extractedSourceFrames(): number[] | undefined {
  const f = useStore.getState().frames;
  if (!f) return undefined;
  return Array.from({ length: f.count }, (_, i) => f.settings.start + i * f.settings.stride);
}

function sourceSize(): { width: number; height: number } | undefined {
  const probe = useStore.getState().probe;
  if (!probe) return undefined;
  const turned = probe.rotation === 90 || probe.rotation === 270;
  return turned ? { width: probe.height, height: probe.width } : { width: probe.width, height: probe.height };
}

/**
 * Imports masks from picked files (a folder, PNGs or a ZIP); returns the warnings or null on failure. Masks of
 * a region that already has painted masks replace them only after the user agreed (`confirmReplace`; one undo
 * step brings them back). Official folders numbered by source frame take the frames matching the extracted
 * start/stride.
 */
export async function importMaskFiles(
  files: readonly File[],
  layout?: MaskLayout,
  confirmReplace: (message: string) => boolean = (m) => window.confirm(m),
): Promise<string[] | null> {
  const s = useStore.getState();
  try {
    if (!s.frames) throw new AppError('NO_FRAMES', 'Extract the frames first: masks are matched to the frames.');
    const source = sourceSize();
    const sourceFrames = extractedSourceFrames();
    const imported = importMasks(
      await readMaskFiles(files),
      {
        frames: { width: s.frames.width, height: s.frames.height },
        frameCount: s.frames.count,
        ...(source ? { source } : {}),
        ...(sourceFrames ? { sourceFrames } : {}),
      },
      layout,
    );
    const painted = paintedRegionsReplaced(maskStore.doc(), imported);
    if (
      painted.length > 0 &&
      !confirmReplace(
        `Replace the painted masks of ${painted.join(', ')} with the imported ones? (Undo brings them back.) Cancel imports nothing.`,
      )
    ) {
      s.notify(
        'info',
        `Masks not imported: ${painted.join(', ')} kept ${painted.length === 1 ? 'its' : 'their'} painted masks.`,
      );
      return null;
    }
    if (!run(applyImportAction(maskStore.doc(), imported, () => crypto.randomUUID()))) return null;
    const n = imported.regions.length;
    s.notify(
      'info',
      `Imported ${n} region${n === 1 ? '' : 's'} (${imported.layout === 'palette' ? 'palette PNGs' : 'VideoGrain folders'}).${painted.length ? ` Replaced the painted masks of ${painted.join(', ')} (Undo brings them back).` : ''}${imported.warnings.length ? ` ${imported.warnings.join(' ')}` : ''}`,
    );
    return imported.warnings;
  } catch (e) {
    const err = e as Error & { code?: string };
    s.notify('error', `Masks not imported: ${err.message}`, err.code);
    return null;
  }
}

export function exportMasksZip(): void {
  const doc = maskStore.doc();
  if (doc.regions.length === 0) {
    useStore.getState().notify('error', 'There are no regions to export.', 'NO_REGIONS');
    return;
  }
  downloadBytes(exportVideoGrainZip(doc), `${useStore.getState().projectName || 'masks'}-masks.zip`, 'application/zip');
}

/** The frames with their regions coloured in (what the masked preview video shows). */
export function maskedPreviewFrames(alpha = 0.5): Uint8Array[] {
  const doc = maskStore.doc();
  return bulk.frames().map((f, i) => blendOverlay(f.data, doc, i, alpha));
}

/** Encodes the masked preview (like the official masked_video.mp4) through the video worker and downloads it. */
export function exportMaskedPreview(): Promise<boolean> {
  return runTask('masked-preview', 'Masked preview video', async (progress) => {
    const s = useStore.getState();
    if (!s.frames) throw new AppError('NO_FRAMES', 'Extract frames first.');
    progress('colouring frames');
    const frames = maskedPreviewFrames();
    const set = {
      width: s.frames.width,
      height: s.frames.height,
      fps: s.frames.fps,
      startSec: s.frames.startSec,
      endSec: s.frames.endSec,
      frames,
    };
    const mp4 = await services
      .video()
      .encode(set, { fps: s.frames.fps }, (p: Progress) => progress(p.stage, p.fraction));
    downloadBytes(mp4, `${s.projectName || 'clip'}-masked.mp4`, 'video/mp4');
  });
}
