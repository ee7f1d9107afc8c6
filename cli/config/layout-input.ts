/**
 * Loads what the layout compiler needs from an official VideoGrain config on disk: the frame indices, the
 * source frame size, and per-region masks brought to the edited frames (short side → size, centre crop,
 * DESIGN §1). Masks live in `<layout_mask_dir>/<region name>/<frame index:05d>.png` (the official
 * dataset's naming, indexed by the source frame number, not by position in the clip).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { CliUsageError } from '../command';
import { MAX_EXTRACT_FRAMES } from '../../src/core/protocol/video';
import { cropResizeMask, resizeNearest } from '../../src/core/masks/resize';
import { squareCropGeometry } from '../../src/core/clip/geometry';
import type { RegionMaskSet } from '../../src/core/layout/types';
import { readImageSize, readMaskPng, type ImageSize } from './images';
import type { VideoGrainConfig } from './videograin-yaml';

/** The official IMAGE_EXTENSION list, the image types this reader decodes. */
const FRAME_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);
/** No source clip has more frames than this (an hour at 240 fps); indices beyond it are a config mistake. */
const MAX_SOURCE_FRAME = 864_000;
const VIDEO_EXTENSIONS = new Set(['.mp4', '.mov', '.webm', '.mkv', '.avi', '.m4v', '.gif']);

export interface FrameSource {
  /** Source frame numbers of the clip: start + i · rate. */
  readonly frameIndices: readonly number[];
  readonly sourceSize: ImageSize;
  /** Where the source size came from, for messages. */
  readonly sizeFrom: 'frames' | 'option' | 'masks';
}

export interface LayoutMasksResult {
  readonly masks: RegionMaskSet;
  readonly warnings: readonly string[];
}

function clipIndices(config: VideoGrainConfig, available: number | null): number[] {
  const n = config.nSampleFrame === -1 ? (available ?? 0) : config.nSampleFrame;
  // Bounds before allocation: a YAML saying n_sample_frame: 1e9 must not allocate a billion indices.
  if (!Number.isSafeInteger(n) || (config.nSampleFrame !== -1 && n > MAX_EXTRACT_FRAMES))
    throw new CliUsageError(
      `${config.configPath}: dataset_config.n_sample_frame ${n} is more than the ${MAX_EXTRACT_FRAMES} frames an edit takes`,
    );
  const last = config.startSampleFrame + (n - 1) * config.samplingRate;
  if (!Number.isSafeInteger(config.startSampleFrame) || !Number.isSafeInteger(last) || last > MAX_SOURCE_FRAME)
    throw new CliUsageError(
      `${config.configPath}: start_sample_frame ${config.startSampleFrame} + ${n} frames × sampling_rate ${config.samplingRate} reaches frame ${last}, beyond any clip`,
    );
  const indices = Array.from({ length: n }, (_, i) => config.startSampleFrame + i * config.samplingRate);
  if (n === 0) throw new CliUsageError(`${config.framesPath}: no frames to edit`);
  if (available !== null && indices[n - 1]! >= available)
    throw new CliUsageError(
      `${config.framesPath} has ${available} frames, but start ${config.startSampleFrame} + ${n} frames × rate ` +
        `${config.samplingRate} needs frame ${indices[n - 1]}`,
    );
  return indices;
}

/**
 * Frames folder → sorted image files (official `get_image_list`), size of the first edited frame.
 * Video file → no decoding here: the size comes from `sourceSize` (the --source-size option) or, failing that,
 * from the first region's first mask (the official code reads masks at the frame size).
 */
export function resolveFrameSource(config: VideoGrainConfig, sourceSize?: ImageSize): FrameSource {
  const path = config.framesPath;
  if (!existsSync(path)) throw new CliUsageError(`frames path ${path} does not exist`);
  if (statSync(path).isDirectory()) {
    const files = readdirSync(path)
      .filter((f) => FRAME_EXTENSIONS.has(extname(f).toLowerCase()))
      .sort();
    if (files.length === 0) throw new CliUsageError(`${path} holds no PNG/JPEG frames`);
    const frameIndices = clipIndices(config, files.length);
    return { frameIndices, sourceSize: readImageSize(join(path, files[frameIndices[0]!]!)), sizeFrom: 'frames' };
  }
  if (!VIDEO_EXTENSIONS.has(extname(path).toLowerCase()))
    throw new CliUsageError(`${path} is neither a frames folder nor a video file`);
  if (config.nSampleFrame === -1)
    throw new CliUsageError(`n_sample_frame -1 needs a frames folder (the video's frame count is unknown here)`);
  const frameIndices = clipIndices(config, null);
  if (sourceSize) return { frameIndices, sourceSize, sizeFrom: 'option' };
  const first = readMaskPng(maskFile(config, config.layoutMaskOrder[0] ?? '', frameIndices[0]!));
  return { frameIndices, sourceSize: { width: first.width, height: first.height }, sizeFrom: 'masks' };
}

function maskFile(config: VideoGrainConfig, region: string, frame: number): string {
  return join(config.layoutMaskDir, region, `${String(frame).padStart(5, '0')}.png`);
}

/** Reads every region's masks for the clip's frames and maps them onto the size×size edited frames. */
export function loadLayoutMasks(config: VideoGrainConfig, source: FrameSource, size: number): LayoutMasksResult {
  if (config.layoutMaskOrder.length === 0) throw new CliUsageError(`dataset_config.layout_mask_order is empty`);
  const { width: sw, height: sh } = source.sourceSize;
  const geometry = squareCropGeometry(sw, sh, size);
  const warnings: string[] = [];
  const masks = config.layoutMaskOrder.map((region) => {
    const dir = join(config.layoutMaskDir, region);
    if (!existsSync(dir)) throw new CliUsageError(`mask folder ${dir} (layout_mask_order "${region}") does not exist`);
    let resized = 0;
    const perFrame = source.frameIndices.map((frame) => {
      const file = maskFile(config, region, frame);
      if (!existsSync(file)) throw new CliUsageError(`mask ${file} is missing (region "${region}", frame ${frame})`);
      const m = readMaskPng(file);
      let data = m.data;
      if (m.width !== sw || m.height !== sh) {
        data = resizeNearest(data, m.width, m.height, sw, sh, 'torch');
        resized++;
      }
      return cropResizeMask(data, geometry);
    });
    if (resized > 0)
      warnings.push(`region "${region}": ${resized} mask(s) not at the frame size ${sw}×${sh}; resized (nearest)`);
    return perFrame;
  });
  return { masks: { frames: source.frameIndices.length, height: size, width: size, masks }, warnings };
}
