/**
 * `videograin clip <video> --start S --frames N --stride K --size 512 -o out.mp4` (DESIGN §9): extracts the
 * frames the editor would edit (the app's video worker, in headless Chromium) and writes them as an MP4,
 * with the source's audio for that time range when it has any.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliUsageError, type CliCommand } from '../command';
import { intOption, parseCliArgs } from '../args';
import { clipRequestProblems } from '../../src/core/clip/settings';
import { MAX_SOURCE_BYTES, type FrameSizing } from '../../src/core/protocol/video';
import { HEADLESS_GLOBAL, type HeadlessGlobals } from '../../src/headless/types';
import { startHeadlessSession } from '../headless/session';
import { progressPrinter } from '../headless/progress';
import { checkOutputPath } from '../output-path';
import { VIDEO_INPUT_CODES } from '../headless/video-errors';

const usage = `usage: videograin clip <video> [--start S] [--frames N] [--stride K] [--size 512] [--keep-aspect] [--crf 18] [--no-audio] -o out.mp4

Extracts N frames (every K-th source frame from frame S) as the editor would, and writes them as an H.264 MP4.
  --start S       first source frame (default 0)
  --frames N      frame count, 1–64 (default 16)
  --stride K      take every K-th frame (default 1)
  --size P        square P×P, short side scaled to P and centre-cropped (default 512; a multiple of 64)
  --keep-aspect   keep the aspect: short side P, long side a multiple of 64 (centre-cropped)
  --crf C         x264 quality, 0–51, lower is better (default 18)
  --no-audio      leave the source's audio out
  --chromium PATH browser to drive (default: $CHROMIUM_PATH or the system Chromium)
Progress goes to stderr; stdout gets one summary line.`;

interface PageRequest {
  readonly global: string;
  readonly inputUrl: string;
  readonly outputUrl: string;
  readonly start: number;
  readonly frames: number;
  readonly stride: number;
  readonly sizing: FrameSizing;
  readonly crf: number;
  readonly audio: boolean;
}

type PageResult =
  | { ok: true; width: number; height: number; fps: number; frames: number; audio: boolean; bytes: number }
  | { ok: false; code?: string; message: string };

/** Runs inside the headless page (serialized by Playwright: self-contained). */
async function clipInPage(r: PageRequest): Promise<PageResult> {
  const h = (globalThis as unknown as Record<string, HeadlessGlobals>)[r.global]!;
  try {
    const source = await h.fetchBytes(r.inputUrl);
    h.progress('probing');
    const probe = await h.video.probe(source.slice());
    const set = await h.video.extract(
      source.slice(),
      { start: r.start, frames: r.frames, stride: r.stride, sizing: r.sizing },
      (p) => h.progress(p.stage, p.fraction),
    );
    const audio = r.audio && probe.hasAudio;
    const meta = { width: set.width, height: set.height, fps: set.fps, frames: set.frames.length };
    const mp4 = await h.video.encode(
      set,
      { fps: set.fps, crf: r.crf, ...(audio ? { audio: { source, startSec: set.startSec, endSec: set.endSec } } : {}) },
      (p) => h.progress(p.stage, p.fraction),
    );
    h.progress('writing');
    await h.postBytes(r.outputUrl, mp4);
    return { ok: true, ...meta, audio, bytes: mp4.byteLength };
  } catch (e) {
    const err = e as Error & { code?: string };
    return { ok: false, ...(err.code ? { code: err.code } : {}), message: err.message };
  }
}

export interface ClipArgs {
  readonly input: string;
  readonly output: string;
  readonly request: { start: number; frames: number; stride: number; sizing: FrameSizing };
  readonly crf: number;
  readonly audio: boolean;
  readonly chromium?: string;
}

/** The arguments, checked without touching any file (pure: the fuzz suite drives it with random argv). */
export function parseClipArgs(argv: string[]): ClipArgs {
  const { values, positionals } = parseCliArgs(argv, {
    start: { type: 'string' },
    frames: { type: 'string' },
    stride: { type: 'string' },
    size: { type: 'string' },
    'keep-aspect': { type: 'boolean' },
    crf: { type: 'string' },
    'no-audio': { type: 'boolean' },
    chromium: { type: 'string' },
    output: { type: 'string', short: 'o' },
  });
  if (positionals.length !== 1) throw new CliUsageError('give exactly one input video (see --help)');
  if (!values.output) throw new CliUsageError('-o out.mp4 is required');
  const side = intOption(values.size, 'size', 512, 64, 2048);
  const sizing: FrameSizing = values['keep-aspect']
    ? { mode: 'aspect', shortSide: side }
    : { mode: 'square', size: side };
  const request = {
    start: intOption(values.start, 'start', 0),
    frames: intOption(values.frames, 'frames', 16, 1, 64),
    stride: intOption(values.stride, 'stride', 1, 1),
    sizing,
  };
  const problems = clipRequestProblems(request);
  if (problems.length > 0) throw new CliUsageError(problems.join(' '));
  return {
    input: positionals[0]!,
    output: values.output,
    request,
    crf: intOption(values.crf, 'crf', 18, 0, 51),
    audio: !values['no-audio'],
    ...(values.chromium ? { chromium: values.chromium } : {}),
  };
}

const command: CliCommand = {
  name: 'clip',
  summary: 'extract frames as the editor would and write them as an MP4',
  usage,
  async run(argv) {
    const args = parseClipArgs(argv);
    const { request, crf } = args;
    const input = resolve(args.input);
    if (!existsSync(input) || !statSync(input).isFile()) throw new CliUsageError(`${args.input} is not a file`);
    // Before any work: never the input itself, a folder, or a missing/read-only folder (cli/output-path.ts).
    const output = checkOutputPath(args.output, [input]);
    const bytes = statSync(input).size;
    if (bytes > MAX_SOURCE_BYTES)
      throw new CliUsageError(
        `${args.input} is ${(bytes / 2 ** 20).toFixed(0)} MiB; clips up to ${MAX_SOURCE_BYTES / 2 ** 20} MiB are accepted (FILE_TOO_LARGE)`,
      );
    if (bytes === 0) throw new CliUsageError(`${args.input} is empty (NOT_A_VIDEO)`);

    const log = (line: string) => process.stderr.write(`${line}\n`);
    const progress = progressPrinter(log);
    const session = await startHeadlessSession({
      log,
      onProgress: progress,
      ...(args.chromium ? { chromium: args.chromium } : {}),
    });
    try {
      const out = session.server.addOutput(output);
      const result = await session.page.evaluate(clipInPage, {
        global: HEADLESS_GLOBAL,
        inputUrl: session.server.addInput(input),
        outputUrl: out.url,
        ...request,
        crf,
        audio: args.audio,
      });
      if (!result.ok) {
        const line = `${args.input}: ${result.message}${result.code ? ` (${result.code})` : ''}`;
        if (result.code && VIDEO_INPUT_CODES.has(result.code)) throw new CliUsageError(line);
        throw new Error(line);
      }
      await out.written;
      console.log(
        `wrote ${args.output}: ${result.frames} frames ${result.width}×${result.height} at ${+result.fps.toFixed(3)} fps${result.audio ? ' with audio' : ''} (${result.bytes} bytes)`,
      );
      return 0;
    } finally {
      await session.close();
    }
  },
};

export default command;
