/**
 * `videograin trajectories --flow <flow.safetensors> [--size S|WxH] [--rng python:N | --seed N] -o traj.safetensors`
 * (issue 17, DESIGN §3.6): FLATTEN trajectories from a forward flow [F−1, 2, H, W] (pixels at the edit size),
 * written in the official layout: `traj{h}` int64 [F·h·w, L, 3] and `mask{h}` (bool as uint8) [F·h·w, L] for
 * h = H/8, H/16, H/32, H/64. `--rng python:N` reproduces CPython's `random.seed(N)` + `random.randint`
 * conflict choices; the default is the seeded Philox choice (`--seed`, default 0).
 * Or from frames: `--frames <dir> --flow-model <dir>` computes the flow with a RAFT ONNX export (the engine's runner,
 * cli/config/flow-model.ts) on the frames cropped and resized to `--size` (default 512), as the edit would.
 */
import { readFileSync } from 'node:fs';
import { CliUsageError, type CliCommand } from '../command';
import { intOption, parseCliArgs } from '../args';
import { checkOutputPath, writeOutputFile } from '../output-path';
import { flowsFromModelFolder } from '../config/flow-model';
import { listFrameFiles, loadClipFrames } from '../edit/frames';
import {
  philoxRandint,
  pythonRandint,
  sampleTrajectories,
  type FlowField,
  type RandInt,
} from '../../src/core/flow/trajectories';
import {
  parseSafetensors,
  SafetensorsError,
  toFloat32,
  writeSafetensors,
  type TensorInfo,
  type TensorToWrite,
} from '../../src/core/tensors/safetensors';

const USAGE = `usage: videograin trajectories (--flow <flow.safetensors> | --frames <dir> --flow-model <dir>) -o <traj.safetensors> [options]

FLATTEN flow trajectories (DESIGN §3.6) in the official layout: traj{h} int64 [F·h·w, L, 3] and mask{h}
uint8 [F·h·w, L] for h = H/8, H/16, H/32, H/64 (windows 2, 1, 1, 1).

options:
  --flow <file>          forward flow [F−1, 2, H, W] in pixels at the edit size (channel 0 = x, 1 = y);
                         the file's only tensor, or the one named "flow"
  --frames <dir>         or: a folder of frames (PNG/JPEG, sorted), cropped and resized to --size like the edit's,
  --flow-model <dir>     with the flow computed by a RAFT ONNX export in this folder (e.g. raft_large.onnx)
  -o, --output <file>    where to write the trajectories (safetensors)
  --size <S|WxH>         the edit size; must match the flow's H×W (a check, no resizing); with --frames, the
                         square size the frames are cropped to (default 512)
  --rng python:<N>       conflict choices as CPython's random.seed(N) + random.randint (official behaviour)
  --seed <N>             conflict choices from the seeded Philox generator (default 0)
  --json                 print a JSON summary instead of the report`;

interface LevelSummary {
  name: string;
  shape: [number, number, number];
  longest: number;
  trajectories: number;
  conflictTargets: number;
  droppedLinks: number;
}

/** Reads a `--flow` safetensors file ([F−1, 2, H, W] pixels; also `videograin edit --flow`). */
export function readFlow(path: string): FlowField {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new CliUsageError(
      `--flow ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  let info: TensorInfo | undefined;
  try {
    const header = parseSafetensors(bytes, path);
    info = header.tensors.size === 1 ? [...header.tensors.values()][0] : header.tensors.get('flow');
    if (!info)
      throw new CliUsageError(
        `--flow ${path} holds ${header.tensors.size} tensors (${[...header.tensors.keys()].join(', ')}); name the flow tensor "flow"`,
      );
  } catch (e) {
    if (e instanceof SafetensorsError) throw new CliUsageError(`--flow ${e.message}`);
    throw e;
  }
  const [pairs, channels, height, width] = info.shape;
  if (info.shape.length !== 4 || channels !== 2 || pairs! < 1)
    throw new CliUsageError(
      `--flow ${path}: tensor "${info.name}" is [${info.shape.join(', ')}]; expected [F−1 ≥ 1, 2, H, W] (forward flow in pixels)`,
    );
  if (!['F32', 'F16', 'BF16', 'F64'].includes(info.dtype))
    throw new CliUsageError(
      `--flow ${path}: tensor "${info.name}" is ${info.dtype}; expected a float dtype (F32, F16, F64)`,
    );
  return { pairs: pairs!, height: height!, width: width!, data: toFloat32(bytes, info) };
}

async function flowOfFrames(
  framesDir: string,
  modelDir: string,
  size: { width: number; height: number } | undefined,
): Promise<FlowField> {
  const side = size?.width ?? 512;
  if (size && size.width !== size.height)
    throw new CliUsageError(
      `--size with --frames is one square side (the edit's crop), not ${size.width}x${size.height}`,
    );
  const count = listFrameFiles(framesDir).length;
  const frames = loadClipFrames(
    framesDir,
    Array.from({ length: count }, (_, i) => i),
    side,
  );
  if (frames.length < 2) throw new CliUsageError(`${framesDir} has one frame; flow needs two or more`);
  const flows = await flowsFromModelFolder(modelDir, frames, side, side, (done, total) =>
    process.stderr.write(`flow ${done}/${total}\r`),
  );
  process.stderr.write('\n');
  return { pairs: flows.dims[0], height: side, width: side, data: flows.data };
}

function parseSize(value: string | undefined): { width: number; height: number } | undefined {
  if (value === undefined) return undefined;
  const square = /^(\d+)$/.exec(value);
  if (square) return { width: Number(square[1]), height: Number(square[1]) };
  const m = /^(\d+)x(\d+)$/.exec(value);
  if (!m) throw new CliUsageError(`--size must be S or WxH (e.g. 512 or 768x512), got "${value}"`);
  return { width: Number(m[1]), height: Number(m[2]) };
}

function chooseRng(rng: string | undefined, seed: string | undefined): { randint: RandInt; label: string } {
  if (rng !== undefined && seed !== undefined) throw new CliUsageError('give --rng python:N or --seed N, not both');
  if (rng !== undefined) {
    const m = /^python:(\d+)$/.exec(rng);
    if (!m) throw new CliUsageError(`--rng must be python:<N> with N a non-negative integer, got "${rng}"`);
    return { randint: pythonRandint(BigInt(m[1]!)), label: `python:${m[1]}` };
  }
  const n = intOption(seed, 'seed', 0, 0, 2 ** 53 - 1);
  return { randint: philoxRandint(n), label: `philox:${n}` };
}

const command: CliCommand = {
  name: 'trajectories',
  summary: 'FLATTEN flow trajectories (traj{h}, mask{h}) from a forward flow file',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseCliArgs(argv, {
      flow: { type: 'string' },
      frames: { type: 'string' },
      'flow-model': { type: 'string' },
      output: { type: 'string', short: 'o' },
      size: { type: 'string' },
      rng: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    if (positionals.length > 0) throw new CliUsageError(`unexpected argument "${positionals[0]}" (see --help)`);
    const fromFrames = values.frames !== undefined || values['flow-model'] !== undefined;
    if (fromFrames && values.flow !== undefined)
      throw new CliUsageError('give --flow or --frames/--flow-model, not both');
    if (fromFrames && (!values.frames || !values['flow-model']))
      throw new CliUsageError('computing flow from frames needs both --frames <dir> and --flow-model <dir>');
    if (!fromFrames && !values.flow)
      throw new CliUsageError(
        '--flow <flow.safetensors> or --frames <dir> --flow-model <dir> is required (see --help)',
      );
    if (!values.output) throw new CliUsageError('-o <traj.safetensors> is required (see --help)');
    const { randint, label } = chooseRng(values.rng, values.seed);
    const size = parseSize(values.size);
    const output = checkOutputPath(values.output, values.flow ? [values.flow] : []);

    const flow = values.flow ? readFlow(values.flow) : await flowOfFrames(values.frames!, values['flow-model']!, size);
    if (size && (size.width !== flow.width || size.height !== flow.height))
      throw new CliUsageError(
        `--size ${values.size} does not match the flow's ${flow.width}x${flow.height} (W×H); the flow must be at the edit size`,
      );
    const levels = sampleTrajectories(flow, randint);

    const tensors: Record<string, TensorToWrite> = {};
    const summary: LevelSummary[] = [];
    for (const lv of levels) {
      const tokens = lv.frames * lv.height * lv.width;
      tensors[`traj${lv.key}`] = {
        dtype: 'I64',
        shape: [tokens, lv.length, 3],
        data: BigInt64Array.from(lv.traj, (v) => BigInt(v)),
      };
      tensors[`mask${lv.key}`] = { dtype: 'U8', shape: [tokens, lv.length], data: lv.mask };
      summary.push({
        name: `traj${lv.key}`,
        shape: [tokens, lv.length, 3],
        longest: lv.longest,
        trajectories: lv.trajectories.length,
        conflictTargets: lv.conflictTargets,
        droppedLinks: lv.droppedLinks,
      });
    }
    writeOutputFile(
      output,
      writeSafetensors(tensors, {
        format: 'videograin-flatten-trajectories',
        rng: label,
        size: `${flow.width}x${flow.height}`,
        frames: String(flow.pairs + 1),
      }),
    );
    if (values.json) console.log(JSON.stringify({ output, rng: label, frames: flow.pairs + 1, levels: summary }));
    else {
      console.log(`${flow.pairs + 1} frames at ${flow.width}x${flow.height}, conflicts chosen by ${label}`);
      for (const s of summary)
        console.log(
          `  ${s.name.padEnd(7)} [${s.shape.join(', ')}]  longest ${s.longest}  trajectories ${s.trajectories}  ` +
            `conflicting targets ${s.conflictTargets} (${s.droppedLinks} links dropped)`,
        );
      console.log(`wrote ${output}`);
    }
    return 0;
  },
};

export default command;
