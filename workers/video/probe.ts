/**
 * Reading ffprobe's JSON (`-show_streams -show_format -of json`) into a ProbeResult, and turning a failed
 * probe into the error a user can act on (DESIGN §7). Pure: the worker feeds it the JSON text and the log.
 */
import { AppError } from '../../src/core/protocol/errors';
import type { ProbeResult, VideoErrorCode } from '../../src/core/protocol/video';
import { checkIsoBmff } from './mp4-boxes';
import { normalizeRotation } from './geometry';

interface ProbeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  nb_frames?: string;
  duration?: string;
  tags?: Record<string, string>;
  side_data_list?: { side_data_type?: string; rotation?: number }[];
  disposition?: { attached_pic?: number };
}

interface ProbeJson {
  streams?: ProbeStream[];
  format?: { format_name?: string; duration?: string };
}

const videoError = (code: VideoErrorCode, message: string) => new AppError(code, message);

/** "30000/1001" → 29.97; undefined for 0/0 or garbage. */
export function parseRate(rate: string | undefined): number | undefined {
  if (!rate) return undefined;
  const [num, den = '1'] = rate.split('/');
  const value = Number(num) / Number(den);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

function streamRotation(s: ProbeStream): number {
  // Display matrix rotation is counter-clockwise; the `rotate` tag (and ProbeResult) is clockwise.
  const matrix = s.side_data_list?.find((d) => typeof d.rotation === 'number');
  if (matrix?.rotation !== undefined) return normalizeRotation(-matrix.rotation);
  const tag = s.tags?.rotate;
  return tag !== undefined && Number.isFinite(Number(tag)) ? normalizeRotation(Number(tag)) : 0;
}

const STILL_IMAGE_FORMATS = /(^|,)(image2|\w+_pipe|gif|webp_pipe|png_pipe)(,|$)/;

export function parseProbeJson(text: string, name = 'The file'): ProbeResult {
  let json: ProbeJson;
  try {
    json = JSON.parse(text) as ProbeJson;
  } catch {
    throw videoError('NOT_A_VIDEO', `${name} could not be read as a video.`);
  }
  const streams = json.streams ?? [];
  if (streams.length === 0) throw videoError('NOT_A_VIDEO', `${name} is not a video file (no streams found).`);
  const video = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const hasAudio = streams.some((s) => s.codec_type === 'audio');
  if (!video) {
    throw videoError(
      'NO_VIDEO_STREAM',
      `${name} has ${hasAudio ? 'only audio' : 'no video stream'}; open a video clip instead.`,
    );
  }
  const formatName = json.format?.format_name ?? '';
  if (STILL_IMAGE_FORMATS.test(formatName)) throw videoError('NOT_A_VIDEO', `${name} is a still image, not a video.`);
  if (!video.codec_name || !video.width || !video.height) {
    throw videoError(
      'UNSUPPORTED_CODEC',
      `${name} uses a video codec this app cannot decode (${video.codec_name ?? 'unknown'}); convert it to H.264 MP4.`,
    );
  }
  const fps = parseRate(video.avg_frame_rate) ?? parseRate(video.r_frame_rate);
  const durationSec = Number(video.duration ?? json.format?.duration);
  if (!fps || !Number.isFinite(durationSec) || durationSec <= 0) {
    throw videoError('CORRUPT_FILE', `${name} has no readable frame rate or duration; it may be damaged.`);
  }
  const counted = Number(video.nb_frames);
  const frameCount = Number.isInteger(counted) && counted > 0 ? counted : Math.max(0, Math.round(durationSec * fps));
  if (frameCount === 0) throw videoError('TOO_FEW_FRAMES', `${name} has no video frames.`);
  return {
    durationSec,
    fps,
    width: video.width,
    height: video.height,
    rotation: streamRotation(video),
    codec: video.codec_name,
    hasAudio,
    frameCount,
  };
}

/** Checks that need only the bytes, before ffmpeg sees them. */
export function precheckSource(bytes: Uint8Array, name = 'The file'): void {
  if (bytes.length === 0) throw videoError('NOT_A_VIDEO', `${name} is empty.`);
  const box = checkIsoBmff(bytes);
  if (box.truncated) {
    const pct = Math.round((100 * box.truncated.fileSize) / box.truncated.declaredEnd);
    throw videoError(
      'CORRUPT_FILE',
      `${name} is truncated: its '${box.truncated.box}' box needs ${box.truncated.declaredEnd} bytes but the file has ${box.truncated.fileSize} (${pct}%). Copy or download it again.`,
    );
  }
}

/** The error for a probe that produced no streams, from ffprobe's log. */
export function probeFailure(log: readonly string[], bytes: Uint8Array, name = 'The file'): AppError {
  const text = log.join('\n');
  const box = checkIsoBmff(bytes);
  if (/moov atom not found/i.test(text) || (box.isIsoBmff && !box.hasMoov)) {
    return videoError(
      'CORRUPT_FILE',
      `${name} is an incomplete MP4/MOV (its index, the 'moov' box, is missing); it was probably cut short.`,
    );
  }
  if (box.isIsoBmff)
    return videoError('CORRUPT_FILE', `${name} looks like an MP4/MOV but cannot be read; it may be damaged.`);
  return videoError('NOT_A_VIDEO', `${name} is not a video file ffmpeg can read.`);
}
