/**
 * ffmpeg command lines for extraction and encoding (pure, so unit tests can read them).
 * Extraction seeks to just before the start frame, then selects every stride-th decoded frame by index,
 * lets ffmpeg apply the display rotation (autorotate), scales to cover and centre-crops, and writes raw RGBA.
 * Encoding is libx264 yuv420p tagged BT.601 (what swscale's RGB↔YUV conversion uses both ways).
 */
import type { FrameGeometry } from './geometry';

export interface ExtractArgsInput {
  readonly input: string;
  readonly output: string;
  readonly start: number;
  readonly frames: number;
  readonly stride: number;
  /** Source frame rate, to seek near `start` instead of decoding every frame before it. */
  readonly fps: number;
  readonly geometry: FrameGeometry;
}

/**
 * Where to seek for a start frame: half a frame before it, so accurate input seeking (ffmpeg decodes from
 * the previous keyframe and drops frames stamped before the seek point) keeps frame `start` and drops
 * `start - 1` — exact for constant-rate clips, which is what `frameCount`'s indices assume anyway.
 */
export function seekSeconds(start: number, fps: number): number {
  return start > 0 ? (start - 0.5) / fps : 0;
}

export function extractFilter(start: number, stride: number, g: FrameGeometry): string {
  // `\,` keeps the commas inside the expression from splitting the filter chain.
  const select =
    stride === 1 ? `select=gte(n\\,${start})` : `select=gte(n\\,${start})*not(mod(n-${start}\\,${stride}))`;
  const scale =
    g.scaledWidth === g.sourceWidth && g.scaledHeight === g.sourceHeight
      ? []
      : [`scale=${g.scaledWidth}:${g.scaledHeight}:flags=bicubic`];
  const crop =
    g.width === g.scaledWidth && g.height === g.scaledHeight ? [] : [`crop=${g.width}:${g.height}:${g.left}:${g.top}`];
  return [select, ...scale, ...crop].join(',');
}

export function extractArgs(a: ExtractArgsInput): string[] {
  const seek = seekSeconds(a.start, a.fps);
  return [
    '-hide_banner',
    ...(seek > 0 ? ['-ss', seek.toFixed(6)] : []),
    '-i',
    a.input,
    '-map',
    '0:v:0',
    '-an',
    '-sn',
    '-dn',
    '-vf',
    // After the seek, the first decoded frame is frame `start`.
    extractFilter(0, a.stride, a.geometry),
    '-fps_mode',
    'passthrough',
    '-frames:v',
    String(a.frames),
    '-pix_fmt',
    'rgba',
    '-f',
    'rawvideo',
    a.output,
  ];
}

export interface EncodeArgsInput {
  readonly frames: string;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly crf: number;
  readonly output: string;
  readonly audio?: { readonly input: string; readonly startSec: number; readonly durationSec: number };
}

/** x264 preset: `medium` is ~6× slower in single-threaded wasm for a few percent of size at the same CRF. */
export const X264_PRESET = 'veryfast';

export function encodeArgs(a: EncodeArgsInput): string[] {
  const audioInput = a.audio
    ? ['-ss', a.audio.startSec.toFixed(6), '-t', a.audio.durationSec.toFixed(6), '-i', a.audio.input]
    : [];
  const audioOutput = a.audio ? ['-map', '1:a:0?', '-c:a', 'aac', '-b:a', '160k'] : [];
  return [
    '-hide_banner',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgba',
    '-s',
    `${a.width}x${a.height}`,
    '-framerate',
    String(a.fps),
    '-i',
    a.frames,
    ...audioInput,
    '-map',
    '0:v:0',
    ...audioOutput,
    '-c:v',
    'libx264',
    '-preset',
    X264_PRESET,
    '-crf',
    String(a.crf),
    '-pix_fmt',
    'yuv420p',
    '-colorspace',
    'smpte170m',
    '-color_primaries',
    'smpte170m',
    '-color_trc',
    'smpte170m',
    '-color_range',
    'tv',
    '-movflags',
    '+faststart',
    a.output,
  ];
}

export const PROBE_ARGS = (input: string, output: string): string[] => [
  '-v',
  'error',
  '-show_streams',
  '-show_format',
  '-of',
  'json',
  '-o',
  output,
  input,
];

/** The frame counter of ffmpeg's status line ("frame=   13 fps= 11 ..."), or undefined. */
export function statusFrame(line: string): number | undefined {
  const m = /^frame=\s*(\d+)/.exec(line.trim());
  return m ? Number(m[1]) : undefined;
}
