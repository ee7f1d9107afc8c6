/**
 * Pure helpers of the video worker: MP4 box walk, probe JSON parsing and failure classification, frame
 * geometry, ffmpeg command lines, encode option checks, status-line parsing; the CLI's static server MIME
 * types and progress printer.
 */
import { describe, expect, test } from 'vitest';
import { checkIsoBmff } from '../../workers/video/mp4-boxes';
import { parseProbeJson, parseRate, precheckSource, probeFailure } from '../../workers/video/probe';
import { frameGeometry, normalizeRotation } from '../../workers/video/geometry';
import { encodeArgs, extractArgs, extractFilter, statusFrame } from '../../workers/video/args';
import { encodeProblems } from '../../workers/video/validate';
import { contentType } from '../../cli/headless/server';
import { progressPrinter } from '../../cli/headless/progress';
import { notAVideo, truncated, wav } from '../fixtures/video-inputs';
import { AppError } from '../../src/core/protocol/errors';

/** A minimal MP4 layout: boxes given as [type, payload size]. */
function boxes(...spec: [string, number][]): Uint8Array {
  const total = spec.reduce((n, [, size]) => n + 8 + size, 0);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  let at = 0;
  for (const [type, size] of spec) {
    v.setUint32(at, 8 + size);
    [...type].forEach((c, i) => (out[at + 4 + i] = c.charCodeAt(0)));
    at += 8 + size;
  }
  return out;
}

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return (e as AppError).code;
  }
  return undefined;
};

describe('ISO BMFF box walk', () => {
  test('complete files, moov first or last', () => {
    expect(checkIsoBmff(boxes(['ftyp', 24], ['mdat', 1000], ['moov', 100]))).toEqual({
      isIsoBmff: true,
      hasMoov: true,
    });
    expect(checkIsoBmff(boxes(['ftyp', 24], ['moov', 100], ['mdat', 1000]))).toEqual({
      isIsoBmff: true,
      hasMoov: true,
    });
  });
  test('cut inside mdat: truncated, with the declared end; cut before moov: no moov', () => {
    const file = boxes(['ftyp', 24], ['moov', 100], ['mdat', 1000]);
    const cut = checkIsoBmff(truncated(file, 0.5));
    expect(cut.truncated).toEqual({ box: 'mdat', declaredEnd: file.length, fileSize: Math.floor(file.length / 2) });
    const early = checkIsoBmff(boxes(['ftyp', 24], ['mdat', 1000]));
    expect(early).toEqual({ isIsoBmff: true, hasMoov: false });
  });
  test('64-bit sizes and size 0 (to end of file)', () => {
    const file = boxes(['ftyp', 24], ['mdat', 40]);
    const v = new DataView(file.buffer);
    v.setUint32(32, 1);
    v.setBigUint64(40, 48n);
    expect(checkIsoBmff(file)).toEqual({ isIsoBmff: true, hasMoov: false });
    v.setBigUint64(40, 4096n);
    expect(checkIsoBmff(file).truncated?.declaredEnd).toBe(32 + 4096);
    v.setUint32(32, 0);
    expect(checkIsoBmff(file).truncated).toBeUndefined();
  });
  test('other formats are not ISO BMFF', () => {
    expect(checkIsoBmff(wav(0.1)).isIsoBmff).toBe(false);
    expect(checkIsoBmff(notAVideo(1000)).isIsoBmff).toBe(false);
    expect(checkIsoBmff(new Uint8Array(3)).isIsoBmff).toBe(false);
  });
});

describe('probe', () => {
  const video = {
    codec_type: 'video',
    codec_name: 'h264',
    width: 1920,
    height: 1080,
    r_frame_rate: '30000/1001',
    avg_frame_rate: '30000/1001',
    nb_frames: '300',
    duration: '10.010000',
  };
  const json = (streams: object[], format: object = { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '10.01' }) =>
    JSON.stringify({ streams, format });

  test('rates', () => {
    expect(parseRate('30000/1001')).toBeCloseTo(29.97, 2);
    expect(parseRate('8/1')).toBe(8);
    expect(parseRate('0/0')).toBeUndefined();
    expect(parseRate(undefined)).toBeUndefined();
  });

  test('a video with audio and a display-matrix rotation of -90° (shown 90° clockwise)', () => {
    const rotatedVideo = { ...video, side_data_list: [{ side_data_type: 'Display Matrix', rotation: -90 }] };
    const p = parseProbeJson(json([rotatedVideo, { codec_type: 'audio', codec_name: 'aac' }]));
    expect(p).toEqual({
      durationSec: 10.01,
      fps: 30000 / 1001,
      width: 1920,
      height: 1080,
      rotation: 90,
      codec: 'h264',
      hasAudio: true,
      frameCount: 300,
    });
    expect(parseProbeJson(json([{ ...video, tags: { rotate: '270' } }])).rotation).toBe(270);
  });

  test('frame count estimated from duration × fps when the container has none (WebM)', () => {
    const { nb_frames: _dropped, ...noCount } = video;
    expect(parseProbeJson(json([noCount], { format_name: 'matroska,webm' })).frameCount).toBe(300);
  });

  test('refusals: audio only, cover art only, still image, unknown codec, no duration', () => {
    const audio = { codec_type: 'audio', codec_name: 'pcm_s16le' };
    expect(codeOf(() => parseProbeJson(json([audio])))).toBe('NO_VIDEO_STREAM');
    expect(codeOf(() => parseProbeJson(json([audio, { ...video, disposition: { attached_pic: 1 } }])))).toBe(
      'NO_VIDEO_STREAM',
    );
    expect(codeOf(() => parseProbeJson(json([{ ...video, codec_name: 'png' }], { format_name: 'png_pipe' })))).toBe(
      'NOT_A_VIDEO',
    );
    expect(codeOf(() => parseProbeJson(json([{ ...video, codec_name: undefined }])))).toBe('UNSUPPORTED_CODEC');
    expect(codeOf(() => parseProbeJson(json([{ ...video, duration: undefined }], {})))).toBe('CORRUPT_FILE');
    expect(codeOf(() => parseProbeJson(json([])))).toBe('NOT_A_VIDEO');
    expect(codeOf(() => parseProbeJson('not json'))).toBe('NOT_A_VIDEO');
  });

  test('failure classification from the bytes and the log', () => {
    const mp4NoMoov = boxes(['ftyp', 24], ['mdat', 100]);
    expect(probeFailure(['moov atom not found'], mp4NoMoov).code).toBe('CORRUPT_FILE');
    expect(probeFailure(['Invalid data found when processing input'], notAVideo()).code).toBe('NOT_A_VIDEO');
    expect(codeOf(() => precheckSource(new Uint8Array(0)))).toBe('NOT_A_VIDEO');
    expect(codeOf(() => precheckSource(truncated(boxes(['ftyp', 24], ['moov', 50], ['mdat', 1000]), 0.5)))).toBe(
      'CORRUPT_FILE',
    );
    expect(codeOf(() => precheckSource(boxes(['ftyp', 24], ['moov', 50], ['mdat', 1000])))).toBeUndefined();
  });
});

describe('geometry', () => {
  test('rotation normalises to quarter turns', () => {
    expect([0, 90, -90, 180, -180, 270, 360, 89.6].map(normalizeRotation)).toEqual([0, 90, 270, 180, 180, 270, 0, 90]);
  });
  test('960×540 to 512² square: scale to 910×512, crop x = 199', () => {
    expect(frameGeometry(960, 540, 0, { mode: 'square', size: 512 })).toEqual({
      sourceWidth: 960,
      sourceHeight: 540,
      scaledWidth: 910,
      scaledHeight: 512,
      left: 199,
      top: 0,
      width: 512,
      height: 512,
    });
  });
  test('aspect kept: 960×540 short side 512 → 896×512 (multiples of 64), centre crop of 910×512', () => {
    const g = frameGeometry(960, 540, 0, { mode: 'aspect', shortSide: 512 });
    expect(g).toMatchObject({ width: 896, height: 512, scaledWidth: 910, scaledHeight: 512, left: 7, top: 0 });
  });
  test('a portrait phone clip (1920×1080 coded, rotated 90°) is cropped in display orientation', () => {
    const g = frameGeometry(1920, 1080, 90, { mode: 'aspect', shortSide: 512 });
    expect(g).toMatchObject({
      sourceWidth: 1080,
      sourceHeight: 1920,
      width: 512,
      height: 896,
      scaledHeight: 910,
      top: 7,
    });
  });
  test('upscaling a small clip covers the output (long side floored: 320·512/240 = 682.7 → 682)', () => {
    const g = frameGeometry(320, 240, 0, { mode: 'square', size: 512 });
    expect(g).toMatchObject({ scaledWidth: 682, scaledHeight: 512, left: 85, width: 512, height: 512 });
  });
});

describe('ffmpeg command lines', () => {
  const square = frameGeometry(960, 540, 0, { mode: 'square', size: 512 });
  test('extract: index selection with escaped commas, scale, crop, raw RGBA, N frames', () => {
    expect(extractFilter(6, 4, square)).toBe(
      'select=gte(n\\,6)*not(mod(n-6\\,4)),scale=910:512:flags=bicubic,crop=512:512:199:0',
    );
    const same = frameGeometry(512, 512, 0, { mode: 'square', size: 512 });
    expect(extractFilter(0, 1, same)).toBe('select=gte(n\\,0)');
    const args = extractArgs({
      input: '/in',
      output: '/out',
      start: 0,
      frames: 16,
      stride: 2,
      fps: 30,
      geometry: square,
    });
    expect(args).not.toContain('-ss');
    expect(args.slice(args.indexOf('-frames:v'), args.indexOf('-frames:v') + 2)).toEqual(['-frames:v', '16']);
    expect(args).toContain('rawvideo');
    expect(args.at(-1)).toBe('/out');
    // A later start seeks half a frame before it, and selection restarts at the first decoded frame.
    const later = extractArgs({
      input: '/in',
      output: '/out',
      start: 150,
      frames: 4,
      stride: 3,
      fps: 30,
      geometry: square,
    });
    expect(later.slice(1, 5)).toEqual(['-ss', '4.983333', '-i', '/in']);
    expect(later[later.indexOf('-vf') + 1]).toMatch(/^select=gte\(n\\,0\)\*not\(mod\(n-0\\,3\)\)/);
  });
  test('encode: x264 yuv420p at the given fps and crf; audio trimmed with -ss/-t on its own input', () => {
    const plain = encodeArgs({ frames: '/f', width: 512, height: 512, fps: 15, crf: 18, output: '/o.mp4' });
    expect(plain.join(' ')).toContain('-s 512x512 -framerate 15 -i /f');
    expect(plain.join(' ')).toContain('-c:v libx264');
    expect(plain.join(' ')).toContain('-crf 18 -pix_fmt yuv420p');
    expect(plain).not.toContain('-c:a');
    const withAudio = encodeArgs({
      frames: '/f',
      width: 512,
      height: 512,
      fps: 15,
      crf: 18,
      output: '/o.mp4',
      audio: { input: '/a', startSec: 0.25, durationSec: 0.5 },
    });
    expect(withAudio.join(' ')).toContain('-ss 0.250000 -t 0.500000 -i /a');
    expect(withAudio.join(' ')).toContain('-map 1:a:0? -c:a aac');
  });
  test('status line frame counter', () => {
    expect(statusFrame('frame=   13 fps= 11 q=-0.0 size=   13312kB time=00:00:01.87')).toBe(13);
    expect(statusFrame('Stream mapping:')).toBeUndefined();
  });
});

describe('encode option checks', () => {
  const set = (w: number, h: number, n = 2, bytes = w * h * 4) => ({
    width: w,
    height: h,
    fps: 8,
    startSec: 0,
    endSec: 1,
    frames: Array.from({ length: n }, () => new Uint8Array(bytes)),
  });
  test('valid request', () => expect(encodeProblems(set(64, 64), { fps: 8 })).toEqual([]));
  test('odd size, wrong frame bytes, no frames, bad fps/crf/audio range', () => {
    expect(encodeProblems(set(63, 64), { fps: 8 })[0]).toMatch(/even/);
    expect(encodeProblems(set(64, 64, 2, 10), { fps: 8 })[0]).toMatch(/Frame 0 has 10 bytes/);
    expect(encodeProblems(set(64, 64, 0), { fps: 8 })[0]).toMatch(/no frames/);
    expect(encodeProblems(set(64, 64), { fps: 0 })[0]).toMatch(/fps/);
    expect(encodeProblems(set(64, 64), { fps: 8, crf: 60 })[0]).toMatch(/crf/);
    const audio = { source: new Uint8Array(1), startSec: 1, endSec: 1 };
    expect(encodeProblems(set(64, 64), { fps: 8, audio })[0]).toMatch(/audio range/);
  });
});

describe('CLI helpers', () => {
  test('MIME types the browser needs for the built app', () => {
    expect(contentType('assets/ffmpeg-core-x.wasm')).toBe('application/wasm');
    expect(contentType('assets/video.worker-x.js')).toMatch(/^text\/javascript/);
    expect(contentType('a.mjs')).toMatch(/^text\/javascript/);
    expect(contentType('headless.html')).toMatch(/^text\/html/);
    expect(contentType('blob.bin')).toBe('application/octet-stream');
  });
  test('progress printer: one line per stage, then per quarter', () => {
    const lines: string[] = [];
    const p = progressPrinter((l) => lines.push(l));
    p('probing');
    p('decoding', 0);
    p('decoding', 0.1);
    p('decoding', 0.3);
    p('decoding', 1);
    p('encoding', 0);
    expect(lines).toEqual(['probing…', 'decoding 0%', 'decoding 30%', 'decoding 100%', 'encoding 0%']);
  });
});
