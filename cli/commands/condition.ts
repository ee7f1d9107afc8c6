/**
 * `videograin condition <frames-dir|video> --type canny|dwpose|openpose|depth|depth_zoe [--model <dir>] [--size S]
 * [--low L --high H] [--hand] [--face] -o <dir>` (issue 16): the structure condition maps the engine would feed
 * the ControlNet, one RGB PNG per frame (`00000.png`, …), the official `control/` folder's format. The frames are
 * cropped and resized to the edit size like `videograin edit`'s (center square, `--size`, default 512), and the
 * maps come from the engine's condition registry (workers/engine/edit/conditions.ts) in Node: canny exactly as
 * OpenCV, the estimators on onnxruntime's wasm backend with the model folder of `--model`. A video file is
 * extracted as the editor extracts it (`--start`, `--frames`, `--stride`; the app's video worker in headless
 * Chromium, cli/headless/extract-frames.ts), square-cropped to `--size`.
 */
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import { CliUsageError, type CliCommand } from '../command';
import { intOption, parseCliArgs } from '../args';
import { estimatorModelsFromFolders } from '../config/condition-model';
import { listFrameFiles, loadClipFrames } from '../edit/frames';
import { extractVideoFrames } from '../headless/extract-frames';
import { writeOutputFile } from '../output-path';
import { CONDITION_KINDS, type ConditionKind } from '../../src/core/protocol/edit';
import { validateSettings } from '../../src/core/settings/validate';
import { DEFAULT_EDIT_SETTINGS } from '../../src/core/protocol/edit';
import { conditionToRgba, createConditionService, type EstimatedKind } from '../../workers/engine/edit/conditions';

const TYPES = CONDITION_KINDS.filter((k): k is EstimatedKind => k !== 'none' && k !== 'frames');

const USAGE = `usage: videograin condition <frames-dir|video> --type ${TYPES.join('|')} -o <dir> [options]

Writes the structure condition maps (one RGB PNG per frame, 00000.png…, the official control/ format) that the
engine feeds the ControlNet, computed on the frames cropped and resized to the edit size. A frames folder uses
all its images (sorted); a video file is extracted as the editor does (--start, --frames, --stride).

options:
  --type <kind>        canny, dwpose, openpose (DWPose keypoints drawn as OpenPose), depth (MiDaS), depth_zoe
  --model <dir>        the estimator's model folder (dwpose/openpose: yolox_l.onnx + dw-ll_ucoco_384.onnx;
                       depth / depth_zoe: the ONNX export's folder with onnx/model.onnx)
  --size <S>           the edit size: frames are center-cropped to a square and resized to S×S (default 512)
  --low <L> --high <H> canny thresholds (default 100 and 200)
  --hand, --face       pose: also draw the hands / the face
  --start <S> --frames <N> --stride <K>
                       a video: first source frame (0), frame count (16, up to 64), every K-th frame (1)
  --chromium <path>    a video: the browser that decodes it (default: $CHROMIUM_PATH or the system Chromium)
  -o, --output <dir>   the folder to write (created; existing PNGs of the same names are replaced)`;

const command: CliCommand = {
  name: 'condition',
  summary: 'structure condition maps (canny, pose, depth) of a frames folder as PNGs',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseCliArgs(argv, {
      type: { type: 'string' },
      model: { type: 'string', multiple: true },
      size: { type: 'string' },
      low: { type: 'string' },
      high: { type: 'string' },
      hand: { type: 'boolean', default: false },
      face: { type: 'boolean', default: false },
      start: { type: 'string' },
      frames: { type: 'string' },
      stride: { type: 'string' },
      chromium: { type: 'string' },
      output: { type: 'string', short: 'o' },
    });
    if (positionals.length !== 1) throw new CliUsageError('give one frames folder or video file (see --help)');
    const input = positionals[0]!;
    const isVideo = statSync(input, { throwIfNoEntry: false })?.isFile() ?? false;
    if (!isVideo && (values.start ?? values.frames ?? values.stride) !== undefined)
      throw new CliUsageError('--start, --frames and --stride apply to a video file, not a frames folder');
    const type = values.type as ConditionKind | undefined;
    if (!type || !(TYPES as readonly string[]).includes(type))
      throw new CliUsageError(`--type must be one of ${TYPES.join(', ')}${type ? `, not "${type}"` : ''}`);
    if (!values.output) throw new CliUsageError('-o <dir> is required (see --help)');
    const size = intOption(values.size, 'size', 512, 64, 4096);
    if (size % 8 !== 0) throw new CliUsageError(`--size must be a multiple of 8, got ${size}`);
    const low = values.low === undefined ? undefined : Number(values.low);
    const high = values.high === undefined ? undefined : Number(values.high);
    const options = { low, high, hand: values.hand, face: values.face };
    const problems = validateSettings({
      ...DEFAULT_EDIT_SETTINGS,
      condition: { kind: type, scale: 1, ...options },
    }).filter((p) => p.setting === 'cannyThreshold' || p.setting === 'condition');
    if (problems.length > 0 || (low !== undefined && Number.isNaN(low)) || (high !== undefined && Number.isNaN(high)))
      throw new CliUsageError(problems[0]?.message ?? '--low and --high must be numbers');

    const frames = isVideo
      ? (
          await extractVideoFrames(
            input,
            {
              start: intOption(values.start, 'start', 0, 0),
              frames: intOption(values.frames, 'frames', 16, 1, 64),
              stride: intOption(values.stride, 'stride', 1, 1),
              sizing: { mode: 'square', size },
            },
            (line) => process.stderr.write(`${line}\n`),
            values.chromium,
          )
        ).frames
      : loadClipFrames(
          input,
          Array.from({ length: listFrameFiles(input).length }, (_, i) => i),
          size,
        );
    const service = createConditionService({ models: estimatorModelsFromFolders(values.model ?? [], '--model') });
    const started = performance.now();
    const condition = await service.compute({
      kind: type as EstimatedKind,
      frames,
      width: size,
      height: size,
      options,
    });
    mkdirSync(values.output, { recursive: true });
    const maps = conditionToRgba(condition, frames.length, size, size);
    maps.forEach((rgba, i) => {
      const rgb = new Uint8Array(size * size * 3);
      for (let p = 0; p < size * size; p++) rgb.set(rgba.subarray(p * 4, p * 4 + 3), p * 3);
      const png = encodePng({ width: size, height: size, data: rgb, channels: 3, depth: 8 });
      writeOutputFile(join(values.output!, `${String(i).padStart(5, '0')}.png`), png);
    });
    process.stdout.write(
      `${type}: ${maps.length} maps of ${size}×${size} written to ${values.output} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`,
    );
    return 0;
  },
};

export default command;
