/**
 * `videograin segment <frames-dir> --points x,y[,label]… [--box x0,y0,x1,y1] --frame N --model <dir> [--track]
 * -o masks/<region>/` (issue 18): click-to-segment on one frame, optionally tracked through the clip, written as
 * a VideoGrain mask folder (`00000.png`… one 8-bit grey 0/255 PNG per frame, as `layout_mask_dir` reads and the
 * app exports). `--model` is a SAM 2.1 or a SlimSAM (SAM v1 family) ONNX folder: the encoder's output names say
 * which (workers/engine/segment/detect.ts), and the matching pre/post-processing runs. It runs in Node on onnxruntime's wasm backend with the engine's own segment service
 * (workers/engine/segment/service.ts), so masks come out as the app's Select and Track would make them.
 * Frames are used at their own size (all the same); frames not segmented get an empty mask, and the report says
 * which frames stopped tracking and why (a low decoder score or a low IoU with the previous mask).
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliUsageError, type CliCommand } from '../command';
import { intOption, parseCliArgs } from '../args';
import { listFrameFiles, readRgba } from '../edit/frames';
import { NodeFolderSource } from '../config/file-ranges';
import { ONNX_MODELS } from '../../src/core/models/onnx-models';
import { resolveModelFiles } from '../../src/core/models/resolve';
import { validateModel } from '../../src/core/models/validate';
import { maskToPng } from '../../src/core/masks/export';
import { maskArea } from '../../src/core/segment/mask-ops';
import {
  DEFAULT_TRACK_THRESHOLDS,
  type SegmentBox,
  type SegmentPoint,
  type TrackDirection,
} from '../../src/core/protocol/segment';
import { detectSegmenterKind } from '../../workers/engine/segment/detect';
import { createSegmentService } from '../../workers/engine/segment/service';
import type { LoadedModel } from '../../workers/engine/loaded-models';

const USAGE = `usage: videograin segment <frames-dir> --points x,y[,label]… [--box x0,y0,x1,y1] --frame N --model <dir> [--track] -o <mask-dir>

Click-to-segment with a SAM 2.1 or SlimSAM ONNX export (onnx/vision_encoder.onnx +
onnx/prompt_encoder_mask_decoder.onnx: onnx-community/sam2.1-hiera-tiny-ONNX, or the lighter
Xenova/slimsam-77-uniform; which one is read from the encoder) on frame N, optionally tracked through the clip by prompt
chaining; writes a VideoGrain mask folder: one 8-bit PNG per frame (00000.png, …; 255 inside, 0 outside).

options:
  --points <x,y[,l]>…    clicks in frame pixels; label 1 (default) = on the object, 0 = not on it. Several:
                         "--points 10,20 30,40,0" or repeat --points
  --box <x0,y0,x1,y1>    a box around the object (with or without points)
  --frame <N>            the frame (index in the sorted folder) the prompt is on (default 0)
  --model <dir>          the SAM 2.1 or SlimSAM ONNX folder
  --candidate <K>        which candidate to keep, best score first (default 0); a single point gives 3
  --track                track the mask through the clip (both directions from --frame)
  --direction <d>        both (default), forward or backward
  --min-score <s>        stop tracking where the decoder's score is below s (default ${DEFAULT_TRACK_THRESHOLDS.minScore})
  --min-iou <s>          stop where the IoU with the previous mask is below s (default ${DEFAULT_TRACK_THRESHOLDS.minIou})
  -o, --output <dir>     the mask folder to write (created; existing PNGs of the same names are replaced)
  --json                 print a JSON summary instead of the report`;

const POINT = /^(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)(?:,([01]))?$/;

export function parsePoint(text: string): SegmentPoint {
  const m = POINT.exec(text.trim());
  if (!m) throw new CliUsageError(`--points "${text}" must be x,y or x,y,label with label 1 or 0`);
  return { x: Number(m[1]), y: Number(m[2]), label: m[3] === '0' ? 0 : 1 };
}

function parseBox(text: string): SegmentBox {
  const v = text.split(',').map((s) => Number(s.trim()));
  if (v.length !== 4 || v.some((n) => !Number.isFinite(n)))
    throw new CliUsageError(`--box "${text}" must be x0,y0,x1,y1 in frame pixels`);
  return { x0: v[0]!, y0: v[1]!, x1: v[2]!, y1: v[3]! };
}

function ratio(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!(value.trim() !== '' && n >= 0 && n <= 1))
    throw new CliUsageError(`--${name} must be between 0 and 1, got "${value}"`);
  return n;
}

const command: CliCommand = {
  name: 'segment',
  summary: 'click-to-segment (and track) with SAM 2.1 or SlimSAM, written as a VideoGrain mask folder',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseCliArgs(argv, {
      points: { type: 'string', multiple: true },
      box: { type: 'string' },
      frame: { type: 'string' },
      model: { type: 'string' },
      candidate: { type: 'string' },
      track: { type: 'boolean', default: false },
      direction: { type: 'string' },
      'min-score': { type: 'string' },
      'min-iou': { type: 'string' },
      output: { type: 'string', short: 'o' },
      json: { type: 'boolean', default: false },
    });
    const [framesDir, ...rest] = positionals;
    if (!framesDir) throw new CliUsageError('give the frames folder (see --help)');
    // "--points 10,20 30,40,0": the values after the first land among the positionals.
    const extra = rest.filter((p) => POINT.test(p));
    const unexpected = rest.find((p) => !POINT.test(p));
    if (unexpected !== undefined) throw new CliUsageError(`unexpected argument "${unexpected}" (see --help)`);
    if (extra.length > 0 && !values.points)
      throw new CliUsageError(`"${extra[0]}" looks like a point: put it after --points`);
    const points = [...(values.points ?? []), ...extra]
      .flatMap((v) => v.split(/[\s;]+/).filter(Boolean))
      .map(parsePoint);
    const box = values.box !== undefined ? parseBox(values.box) : undefined;
    if (points.length === 0 && !box) throw new CliUsageError('give --points x,y[,label] and/or --box x0,y0,x1,y1');
    if (!values.model) throw new CliUsageError('give --model <dir> (a SAM 2.1 or SlimSAM ONNX folder)');
    if (!existsSync(values.model) || !statSync(values.model).isDirectory())
      throw new CliUsageError(`--model ${values.model} is not a folder (a SAM 2.1 or SlimSAM ONNX export)`);
    if (!values.output) throw new CliUsageError('give -o <mask-dir>');
    const output = values.output;
    if (existsSync(output) && !statSync(output).isDirectory())
      throw new CliUsageError(`-o ${output} is a file, not a folder`);
    const direction = (values.direction ?? 'both') as TrackDirection;
    if (!['both', 'forward', 'backward'].includes(direction))
      throw new CliUsageError(`--direction must be both, forward or backward, got "${values.direction}"`);
    const thresholds = {
      minScore: ratio(values['min-score'], 'min-score', DEFAULT_TRACK_THRESHOLDS.minScore),
      minIou: ratio(values['min-iou'], 'min-iou', DEFAULT_TRACK_THRESHOLDS.minIou),
    };

    const files = listFrameFiles(framesDir);
    const frameIndex = intOption(values.frame, 'frame', 0, 0, files.length - 1);
    const candidateIndex = intOption(values.candidate, 'candidate', 0, 0, 2);
    const images = values.track ? files.map(readRgba) : files.map((f, i) => (i === frameIndex ? readRgba(f) : null));
    const first = images[frameIndex]!;
    const { width, height } = first;
    images.forEach((img, i) => {
      if (img && (img.width !== width || img.height !== height))
        throw new CliUsageError(`${files[i]} is ${img.width}×${img.height}; the frames must all be ${width}×${height}`);
    });

    const source = new NodeFolderSource(values.model);
    // Neither encoder signature: open it as SAM 2.1, whose name check then says what the graph has and needs.
    const kind = (await detectSegmenterKind(source)) ?? 'sam2';
    const model = await validateModel(source, kind, await resolveModelFiles(source, kind));
    const service = createSegmentService({
      models: { loaded: (k) => (k === kind ? ({ model } as LoadedModel) : undefined) },
      target: async () => ({ kind: 'cpu' }),
    });
    const clipKey = framesDir;
    const masks: (Uint8Array | null)[] = files.map(() => null);
    const status: (string | null)[] = files.map(() => null);
    let stops: { direction: string; frame: number; reason: string }[] = [];
    let score = 0;
    try {
      const result = await service.segment({
        clipKey,
        frameIndex,
        frame: first.data,
        width,
        height,
        points,
        ...(box ? { box } : {}),
      });
      const chosen = result.candidates[Math.min(candidateIndex, result.candidates.length - 1)]!;
      masks[frameIndex] = chosen.mask;
      status[frameIndex] = 'ok';
      score = chosen.score;
      if (values.track && files.length > 1 && maskArea(chosen.mask) > 0) {
        const tracked = await service.track(
          {
            clipKey,
            frames: images.map((img) => img!.data),
            width,
            height,
            startFrame: frameIndex,
            startMask: chosen.mask,
            direction,
            thresholds,
          },
          (e) => {
            if (e.kind === 'progress' && !values.json) process.stderr.write(`track ${e.done}/${e.total}\r`);
          },
        );
        if (!values.json) process.stderr.write('\n');
        tracked.masks.forEach((m, i) => (masks[i] = m));
        tracked.status.forEach((s, i) => (status[i] = s));
        stops = tracked.stops.map((s) => ({ ...s }));
      }
    } finally {
      await service.releaseSegmenter();
    }

    mkdirSync(output, { recursive: true });
    masks.forEach((m, i) =>
      writeFileSync(join(output, `${String(i).padStart(5, '0')}.png`), maskToPng(m, width, height)),
    );
    const segmented = masks.flatMap((m, i) => (m ? [i] : []));
    const summary = {
      model: kind,
      frames: files.length,
      width,
      height,
      frame: frameIndex,
      score,
      segmented,
      pixels: masks.map((m) => (m ? maskArea(m) : 0)),
      status,
      stops,
      output,
    };
    if (values.json) console.log(JSON.stringify(summary));
    else {
      console.log(
        `${ONNX_MODELS[kind].label}: frame ${frameIndex}: score ${score.toFixed(3)}, ${summary.pixels[frameIndex]} pixels`,
      );
      for (const s of stops)
        console.log(
          s.reason === 'end'
            ? `${s.direction}: tracked to frame ${s.frame}`
            : `${s.direction}: stopped at frame ${s.frame} (${s.reason}); correct it with --frame ${s.frame} --points … --track`,
        );
      console.log(`${segmented.length}/${files.length} frames segmented; wrote ${files.length} masks to ${output}`);
    }
    if (maskArea(masks[frameIndex]!) === 0)
      console.error(`videograin segment: the mask on frame ${frameIndex} is empty`);
    return 0;
  },
};

export default command;
