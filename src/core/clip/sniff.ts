/**
 * A quick look at a file's first bytes before ffmpeg.wasm probes it (issue 14, item 9): probing a file that is
 * plainly not a video took ~10 s and its message did not name the file. Known video containers (ISO BMFF /
 * QuickTime, Matroska/WebM, AVI, Ogg, FLV, MPEG-TS/PS, ASF, GIF, Y4M, Annex-B H.264/H.265) go on to the probe;
 * audio-only formats and anything else are refused at once, naming the file and what it looks like.
 * Signatures: ISO/IEC 14496-12 (ftyp), Matroska EBML (1A 45 DF A3), RIFF (AVI /WAVE), the others' magic bytes.
 */
import { AppError } from '../protocol/errors';

const ascii = (b: Uint8Array, at: number, text: string) => [...text].every((c, i) => b[at + i] === c.charCodeAt(0));
const bytesAt = (b: Uint8Array, at: number, sig: readonly number[]) => sig.every((v, i) => b[at + i] === v);

const QUICKTIME_ATOMS = ['ftyp', 'moov', 'mdat', 'free', 'wide', 'skip', 'pnot'];

export type SniffResult = 'video' | 'audio' | 'other';

/** What the head of a file (its first ≥ 512 bytes, when it has them) looks like, and a name for it. */
export function sniffMedia(head: Uint8Array): { kind: SniffResult; looksLike: string } {
  const b = head;
  if (QUICKTIME_ATOMS.some((a) => ascii(b, 4, a))) return { kind: 'video', looksLike: 'MP4/MOV' };
  if (bytesAt(b, 0, [0x1a, 0x45, 0xdf, 0xa3])) return { kind: 'video', looksLike: 'Matroska/WebM' };
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'AVI ')) return { kind: 'video', looksLike: 'AVI' };
  if (ascii(b, 0, 'OggS')) return { kind: 'video', looksLike: 'Ogg' };
  if (ascii(b, 0, 'FLV')) return { kind: 'video', looksLike: 'FLV' };
  if (b[0] === 0x47 && (b.length < 189 || b[188] === 0x47)) return { kind: 'video', looksLike: 'MPEG-TS' };
  if (bytesAt(b, 0, [0x00, 0x00, 0x01, 0xba]) || bytesAt(b, 0, [0x00, 0x00, 0x01, 0xb3]))
    return { kind: 'video', looksLike: 'MPEG' };
  if (bytesAt(b, 0, [0x30, 0x26, 0xb2, 0x75])) return { kind: 'video', looksLike: 'ASF/WMV' };
  if (ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a')) return { kind: 'video', looksLike: 'GIF' };
  if (ascii(b, 0, 'YUV4MPEG2')) return { kind: 'video', looksLike: 'Y4M' };
  if (bytesAt(b, 0, [0, 0, 0, 1]) || bytesAt(b, 0, [0, 0, 1])) return { kind: 'video', looksLike: 'H.264/H.265' };
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WAVE')) return { kind: 'audio', looksLike: 'a WAV audio file' };
  if (ascii(b, 0, 'ID3') || (b[0] === 0xff && (b[1]! & 0xe0) === 0xe0))
    return { kind: 'audio', looksLike: 'an MP3 audio file' };
  if (ascii(b, 0, 'fLaC')) return { kind: 'audio', looksLike: 'a FLAC audio file' };
  if (bytesAt(b, 0, [0x89, 0x50, 0x4e, 0x47])) return { kind: 'other', looksLike: 'a PNG image' };
  if (bytesAt(b, 0, [0xff, 0xd8, 0xff])) return { kind: 'other', looksLike: 'a JPEG image' };
  if (ascii(b, 0, '%PDF')) return { kind: 'other', looksLike: 'a PDF document' };
  if (ascii(b, 0, 'PK')) return { kind: 'other', looksLike: 'a ZIP archive' };
  const sample = b.subarray(0, 512);
  if (sample.length > 0 && sample.every((v) => v === 9 || v === 10 || v === 13 || (v >= 32 && v < 127) || v >= 128))
    return { kind: 'other', looksLike: 'a text file' };
  return { kind: 'other', looksLike: 'not any video format the app reads' };
}

/** Throws NOT_A_VIDEO / NO_VIDEO_STREAM naming `name` unless the head looks like a video container. */
export function assertLooksLikeVideo(name: string, head: Uint8Array): void {
  const { kind, looksLike } = sniffMedia(head);
  if (kind === 'video') return;
  if (kind === 'audio')
    throw new AppError(
      'NO_VIDEO_STREAM',
      `${name} is ${looksLike}, with no video. Open a video file (MP4, MOV, WebM…).`,
    );
  throw new AppError(
    'NOT_A_VIDEO',
    `${name} is not a video file (${looksLike.startsWith('not') ? `its content is ${looksLike}` : `it is ${looksLike}`}). Open a video file (MP4, MOV, WebM, MKV, AVI).`,
  );
}
