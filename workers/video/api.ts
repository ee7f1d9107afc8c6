/**
 * The video worker's logic (DESIGN §2): probe, extract and encode on ffmpeg.wasm behind the `VideoApi`
 * protocol. The core is loaded once per worker, on first use, through the injected loader.
 */
import { AppError } from '../../src/core/protocol/errors';
import { clipRequestProblems, lastSourceFrame } from '../../src/core/clip/settings';
import {
  MAX_SOURCE_BYTES,
  type EncodeOptions,
  type ExtractOptions,
  type FrameSet,
  type ProbeResult,
  type ProgressCallback,
  type VideoApi,
} from '../../src/core/protocol/video';
import type { FFmpegCore } from './core-types';
import { FFmpegSession } from './session';
import { parseProbeJson, precheckSource, probeFailure } from './probe';
import { frameGeometry } from './geometry';
import { encodeArgs, extractArgs, PROBE_ARGS, statusFrame } from './args';
import { validateEncode } from './validate';

export interface VideoApiDeps {
  readonly loadCore: () => Promise<FFmpegCore>;
}

/** Progress goes out fire-and-forget: a remote callback returns a promise we must not wait on mid-exec. */
function report(onProgress: ProgressCallback | undefined, stage: string, fraction?: number): void {
  if (!onProgress) return;
  const r = onProgress(fraction === undefined ? { stage } : { stage, fraction }) as unknown;
  if (r instanceof Promise) r.catch(() => undefined);
}

function checkSize(bytes: Uint8Array): void {
  if (bytes.byteLength > MAX_SOURCE_BYTES) {
    throw new AppError(
      'FILE_TOO_LARGE',
      `The file is ${(bytes.byteLength / 2 ** 20).toFixed(0)} MiB; the app accepts clips up to ${MAX_SOURCE_BYTES / 2 ** 20} MiB. Trim it first.`,
    );
  }
}

/** The last lines of an ffmpeg log that say what went wrong. */
function reason(log: readonly string[]): string {
  const lines = log.filter((l) => l.trim() && !/^(frame=|Aborted\(\))/.test(l.trim()));
  return lines.slice(-2).join(' ').trim() || 'no details';
}

export function createVideoApi(deps: VideoApiDeps): VideoApi {
  let session: Promise<FFmpegSession> | undefined;
  const ffmpeg = (onProgress?: ProgressCallback) => {
    if (!session) {
      report(onProgress, 'loading ffmpeg');
      session = deps.loadCore().then((core) => new FFmpegSession(core));
      session.catch(() => (session = undefined));
    }
    return session;
  };

  function probeMounted(s: FFmpegSession, bytes: Uint8Array, path: string): ProbeResult {
    const out = '/probe.json';
    const { log } = s.probe(PROBE_ARGS(path, out));
    const json = s.takeFile(out);
    const text = json ? new TextDecoder().decode(json) : '';
    // On input it cannot open, ffprobe writes an empty object (no "format"): the log says why.
    if (!/"format"\s*:/.test(text)) throw probeFailure(log, bytes);
    return parseProbeJson(text);
  }

  async function probe(source: Uint8Array, onProgress?: ProgressCallback): Promise<ProbeResult> {
    checkSize(source);
    precheckSource(source);
    const s = await ffmpeg(onProgress);
    report(onProgress, 'probing');
    const mounted = s.mountSource(source, 'input');
    try {
      return probeMounted(s, source, mounted.path);
    } finally {
      mounted.release();
    }
  }

  async function extract(
    source: Uint8Array,
    options: ExtractOptions,
    onProgress?: ProgressCallback,
  ): Promise<FrameSet> {
    const problems = clipRequestProblems(options);
    if (problems.length > 0) throw new AppError('BAD_OPTIONS', problems.join(' '));
    checkSize(source);
    precheckSource(source);
    const s = await ffmpeg(onProgress);
    report(onProgress, 'probing');
    const mounted = s.mountSource(source, 'input');
    try {
      const info = probeMounted(s, source, mounted.path);
      const last = lastSourceFrame(options);
      if (last >= info.frameCount) {
        throw new AppError(
          'TOO_FEW_FRAMES',
          `The clip has ${info.frameCount} frames, but start ${options.start} + ${options.frames} frames × stride ${options.stride} needs frame ${last + 1}. Lower the start, count or stride.`,
          { available: info.frameCount, needed: last + 1 },
        );
      }
      const geometry = frameGeometry(info.width, info.height, info.rotation, options.sizing);
      const output = '/frames.rgba';
      report(onProgress, 'decoding', 0);
      const run = s.run(
        extractArgs({
          input: mounted.path,
          output,
          start: options.start,
          frames: options.frames,
          stride: options.stride,
          fps: info.fps,
          geometry,
        }),
        (line) => {
          const n = statusFrame(line);
          if (n !== undefined) report(onProgress, 'decoding', Math.min(1, n / options.frames));
        },
      );
      const raw = s.takeFile(output);
      if (run.exitCode !== 0 || !raw) {
        throw new AppError('CORRUPT_FILE', `The clip could not be decoded: ${reason(run.log)}`);
      }
      const frameBytes = geometry.width * geometry.height * 4;
      const got = Math.floor(raw.byteLength / frameBytes);
      if (got < options.frames) {
        throw new AppError(
          'TOO_FEW_FRAMES',
          `The clip gave ${got} of the ${options.frames} frames asked for (it may end early or be damaged). Lower the start, count or stride.`,
          { available: got, needed: options.frames },
        );
      }
      const frames = Array.from({ length: options.frames }, (_, i) => raw.slice(i * frameBytes, (i + 1) * frameBytes));
      report(onProgress, 'decoding', 1);
      const startSec = options.start / info.fps;
      return {
        width: geometry.width,
        height: geometry.height,
        fps: info.fps / options.stride,
        frames,
        startSec,
        endSec: startSec + (options.frames * options.stride) / info.fps,
      };
    } finally {
      mounted.release();
    }
  }

  async function encode(set: FrameSet, options: EncodeOptions, onProgress?: ProgressCallback): Promise<Uint8Array> {
    const crf = validateEncode(set, options);
    if (options.audio) checkSize(options.audio.source);
    const s = await ffmpeg(onProgress);
    const frameBytes = set.width * set.height * 4;
    const all = new Uint8Array(frameBytes * set.frames.length);
    set.frames.forEach((f, i) => all.set(f, i * frameBytes));
    const input = '/encode-input.rgba';
    const output = '/encode-output.mp4';
    s.writeFile(input, all);
    const audio = options.audio ? s.mountSource(options.audio.source, 'audio') : undefined;
    try {
      report(onProgress, 'encoding', 0);
      const run = s.run(
        encodeArgs({
          frames: input,
          width: set.width,
          height: set.height,
          fps: options.fps,
          crf,
          output,
          ...(audio && options.audio
            ? {
                audio: {
                  input: audio.path,
                  startSec: options.audio.startSec,
                  durationSec: options.audio.endSec - options.audio.startSec,
                },
              }
            : {}),
        }),
        (line) => {
          const n = statusFrame(line);
          if (n !== undefined) report(onProgress, 'encoding', Math.min(1, n / set.frames.length));
        },
      );
      const mp4 = s.takeFile(output);
      if (run.exitCode !== 0 || !mp4 || mp4.byteLength === 0) {
        throw new AppError('ENCODE_FAILED', `MP4 encoding failed: ${reason(run.log)}`);
      }
      report(onProgress, 'encoding', 1);
      return mp4;
    } finally {
      s.removeFile(input);
      s.removeFile(output);
      audio?.release();
    }
  }

  return { probe: (source) => probe(source), extract, encode };
}
