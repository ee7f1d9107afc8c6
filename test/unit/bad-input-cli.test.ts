/**
 * Issue 13's failures as regression tests: bad input through the CLI never destroys data, never runs
 * unbounded, never passes silently. Each case ends in one reason line and the exit-code convention
 * (cli/exit-codes.ts: 2 = the user's input, 1 = the environment/model, 130 = cancelled), and refusals that
 * need no work happen before any (no browser, no model).
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { main } from '../../cli/main';
import { exitCodeFor } from '../../cli/exit-codes';
import { CliUsageError } from '../../cli/command';
import { AppError } from '../../src/core/protocol/errors';
import { writeSafetensors, type TensorToWrite } from '../../src/core/tensors/safetensors';
import { describeShared, REPO_DIR, sharedPath } from '../helpers/node/shared';

const dir = mkdtempSync(join(tmpdir(), 'vg-bad-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI in-process; returns the exit code and the stderr lines. */
async function run(...argv: string[]): Promise<{ code: number; stderr: string[]; ms: number }> {
  const lines: string[] = [];
  const err = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    lines.push(String(s).trimEnd());
    return true;
  });
  const t0 = performance.now();
  try {
    const code = await main(argv);
    return { code, stderr: lines, ms: performance.now() - t0 };
  } finally {
    err.mockRestore();
    log.mockRestore();
    write.mockRestore();
  }
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

describeShared('clip: outputs are checked before any work', () => {
  const video = join(dir, 'x.mp4');
  let original: Buffer;
  beforeAll(() => {
    copyFileSync(sharedPath('clips/run_two_man/source.mp4'), video);
    original = readFileSync(video);
  });

  test('clip x.mp4 -o x.mp4 is refused (exit 2) and the source is unchanged (real process)', () => {
    const r = spawnSync(process.execPath, ['bin/videograin.mjs', 'clip', video, '--frames', '2', '-o', video], {
      cwd: REPO_DIR,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/videograin clip: -o .*x\.mp4 is the input .*would destroy the source/);
    expect(readFileSync(video).equals(original)).toBe(true);
  });

  test('the same file by another name: ./x.mp4 via .., a symlink, a hard link', async () => {
    const link = join(dir, 'link.mp4');
    symlinkSync(video, link);
    for (const out of [join(dir, 'sub', '..', 'x.mp4'), link]) {
      mkdirSync(join(dir, 'sub'), { recursive: true });
      const r = await run('clip', video, '--frames', '2', '-o', out);
      expect(r.code).toBe(2);
      expect(r.stderr.at(-1)).toMatch(/is the input/);
    }
    const hard = join(dir, 'hard.mp4');
    linkSync(video, hard);
    const h = await run('clip', video, '--frames', '2', '-o', hard);
    expect(h.code).toBe(2);
    expect(h.stderr.at(-1)).toMatch(/is the input/);
    const r = await run('clip', link, '--frames', '2', '-o', video);
    expect(r.code).toBe(2);
    expect(readFileSync(video).equals(original)).toBe(true);
  });

  test('-o in a missing folder, -o a folder, -o under a file: one line, exit 2, before any browser starts', async () => {
    const cases: [string, RegExp][] = [
      [join(dir, 'missing', 'out.mp4'), /the folder .*missing does not exist/],
      [dir, /is a folder; give a file name/],
      [`${dir}/`, /names a folder/],
      [join(dir, 'x.mp4', 'out.mp4'), /is not a folder|is the input|does not exist/],
    ];
    for (const [out, why] of cases) {
      const r = await run('clip', video, '--frames', '2', '-o', out);
      expect(r.code, out).toBe(2);
      expect(r.stderr).toHaveLength(1);
      expect(r.stderr[0]).toMatch(why);
      expect(r.ms).toBeLessThan(5000);
    }
  });

  test.skipIf(isRoot)(
    '-o in a read-only folder: exit 2 before any work (skipped as root: root may write anywhere)',
    async () => {
      const ro = join(dir, 'ro');
      mkdirSync(ro);
      chmodSync(ro, 0o555);
      const r = await run('clip', video, '--frames', '2', '-o', join(ro, 'out.mp4'));
      chmodSync(ro, 0o755);
      expect(r.code).toBe(2);
      expect(r.stderr[0]).toMatch(/is not writable/);
    },
  );

  test('--start -5 says what is allowed (not "argument is ambiguous")', async () => {
    const r = await run('clip', video, '--start', '-5', '-o', join(dir, 'o.mp4'));
    expect(r.code).toBe(2);
    expect(r.stderr[0]).toMatch(/--start must be an integer in \[0, \d+\], got "-5"/);
    const r2 = await run('clip', video, '--frames=-3', '-o', join(dir, 'o.mp4'));
    expect(r2.stderr[0]).toMatch(/--frames must be an integer in \[1, 64\], got "-3"/);
  });
});

describeShared('layout/edit: YAML counts are bounded before allocation', () => {
  const yaml = (extra: Record<string, string>) => {
    const fields = {
      path: `"${sharedPath('clips/run_two_man/source.mp4')}"`,
      prompt: 'two men jogging',
      n_sample_frame: '16',
      start_sample_frame: '0',
      sampling_rate: '1',
      layout_mask_dir: `"${sharedPath('clips/run_two_man/masks')}"`,
      layout_mask_order: "['left_man','right_man','trees']",
      ...extra,
    };
    const file = join(dir, `cfg-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(
      file,
      `dataset_config:\n${Object.entries(fields)
        .map(([k, v]) => `    ${k}: ${v}`)
        .join('\n')}\nediting_config:\n    editing_prompts: [['Iron Man and Spiderman','Iron Man','Spiderman']]\n`,
    );
    return file;
  };

  test.each([
    [{ n_sample_frame: '1e9' }, /n_sample_frame 1000000000 is more than the 64 frames/],
    [{ n_sample_frame: '65' }, /n_sample_frame 65 is more than the 64 frames/],
    [{ start_sample_frame: '9007199254740000', n_sample_frame: '16' }, /beyond any clip|start_sample_frame/],
    [{ sampling_rate: '1e15', n_sample_frame: '16' }, /beyond any clip|sampling_rate/],
  ])('%o → one line, exit 2, in bounded time', async (extra, why) => {
    const r = spawnSync(
      process.execPath,
      ['bin/videograin.mjs', 'layout', '--config', yaml(extra), '--tokenizer', sharedPath('models/clip_tokenizer')],
      {
        cwd: REPO_DIR,
        encoding: 'utf8',
        timeout: 45_000,
      },
    );
    expect(r.signal).toBeNull();
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(why);
  });
});

describeShared('edit: outputs are checked before any work', () => {
  test('-o the config itself, -o in a missing folder, --save-latents equal to -o: exit 2, config unchanged', async () => {
    const config = join(dir, 'edit-config.yaml');
    copyFileSync(sharedPath('clips/run_two_man/config.yaml'), config);
    const before = readFileSync(config);
    const model = sharedPath('golden/tiny-sd');
    const cases: [string[], RegExp][] = [
      [['-o', config], /is the input/],
      [['-o', join(dir, 'nowhere', 'out.mp4')], /does not exist/],
      [['-o', join(dir, 'e.mp4'), '--save-latents', join(dir, 'e.mp4')], /--save-latents .* is the input/],
    ];
    for (const [extra, why] of cases) {
      const r = await run('edit', '--config', config, '--model', model, ...extra);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.stderr.at(-1)).toMatch(why);
      expect(r.ms).toBeLessThan(10_000);
    }
    expect(readFileSync(config).equals(before)).toBe(true);
  });
});

/** A model folder with the tiny text encoder's config and `weights` as its model.safetensors. */
function textEncoderFolder(name: string, weights: Uint8Array, config?: string): string {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  if (config !== undefined) writeFileSync(join(folder, 'config.json'), config);
  else copyFileSync(sharedPath('golden/tiny-sd/text_encoder/config.json'), join(folder, 'config.json'));
  writeFileSync(join(folder, 'model.safetensors'), weights);
  return folder;
}

/** Rewrites a real file's header with `edit` (the data section is kept). */
function withHeader(file: Uint8Array, edit: (header: Record<string, unknown>) => string): Uint8Array {
  const n = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + n))) as Record<string, unknown>;
  const json = new TextEncoder().encode(edit(header));
  const data = file.subarray(8 + n);
  const out = new Uint8Array(8 + json.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  out.set(data, 8 + json.byteLength);
  return out;
}

describeShared('infer: weights and inputs are checked, errors name the file and tensor', () => {
  const real = () => new Uint8Array(readFileSync(sharedPath('golden/tiny-sd/text_encoder/model.safetensors')));
  const ids = (values: number[], dtype: 'F32' | 'I64' = 'I64', shape = [1, values.length]): TensorToWrite =>
    dtype === 'I64'
      ? { dtype, shape, data: BigInt64Array.from(values, (v) => BigInt(v)) }
      : { dtype, shape, data: Float32Array.from(values) };
  const inputs = (name: string, t: TensorToWrite) => {
    const path = join(dir, `${name}.in.safetensors`);
    writeFileSync(path, writeSafetensors({ input_ids: t }));
    return path;
  };
  let good = '';
  beforeAll(() => void (good = inputs('good', ids([49406, 320, 49407]))));
  const infer = (model: string, input?: string, out = join(dir, `out-${Math.random()}.safetensors`)) =>
    run('infer', 'text_encoder', '--model', model, '--inputs', input ?? good, '-o', out);

  type Layout = Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const weightCases: [string, () => Uint8Array, RegExp][] = [
    [
      'overlapping tensor offsets',
      () =>
        withHeader(real(), (h) => {
          const l = h as Layout;
          // the last layer norm's bias reads its weight's bytes
          const names = Object.keys(l).filter((k) => k.endsWith('final_layer_norm.bias'));
          const w = l[names[0]!.replace('.bias', '.weight')]!;
          l[names[0]!]!.data_offsets = [...w.data_offsets];
          return JSON.stringify(l);
        }),
      /gap or overlap/,
    ],
    [
      'a duplicate tensor name',
      () =>
        withHeader(real(), (h) => {
          const text = JSON.stringify(h);
          const entry = `"embeddings.position_embedding.weight":${JSON.stringify((h as Layout)['embeddings.position_embedding.weight'])}`;
          return `${text.slice(0, -1)},${entry}}`;
        }),
      /"embeddings\.position_embedding\.weight" is listed twice/,
    ],
    [
      '4 KiB of trailing bytes',
      () => {
        const f = real();
        const out = new Uint8Array(f.byteLength + 4096);
        out.set(f);
        return out;
      },
      /4096 bytes after the last tensor/,
    ],
    [
      'dtype "toString"',
      () =>
        withHeader(real(), (h) => {
          (h as Layout)['embeddings.position_embedding.weight']!.dtype = 'toString';
          return JSON.stringify(h);
        }),
      /unsupported dtype "toString"/,
    ],
    [
      'NaN weights',
      () => {
        const f = real();
        const n = Number(new DataView(f.buffer).getBigUint64(0, true));
        const header = JSON.parse(new TextDecoder().decode(f.subarray(8, 8 + n))) as Layout;
        const t = header['encoder.layers.0.self_attn.q_proj.weight']!;
        new DataView(f.buffer).setFloat32(8 + n + t.data_offsets[0] + 4, NaN, true);
        return f;
      },
      /self_attn\.q_proj\.weight.*(NaN|non-finite)|(NaN|non-finite).*self_attn\.q_proj\.weight/,
    ],
  ];

  test.each(weightCases)('model weights with %s: exit 1, naming the file', async (name, make, why) => {
    const folder = textEncoderFolder(name.replace(/\W+/g, '-'), make());
    const r = await infer(folder);
    expect(r.code).toBe(1);
    expect(r.stderr.at(-1)).toMatch(/model\.safetensors/);
    expect(r.stderr.at(-1)).toMatch(why);
  });

  test('config.json that is not JSON names the file (exit 1)', async () => {
    const folder = textEncoderFolder('bad-json', real(), '{"vocab_size": 49408,,}');
    const r = await infer(folder);
    expect(r.code).toBe(1);
    expect(r.stderr.at(-1)).toMatch(/bad-json\/config\.json is not valid JSON/);
  });

  const sd = sharedPath('golden/tiny-sd');
  test.each([
    ['a negative id', ids([49406, -5, 49407]), /"input_ids"\[1\] = -5 is negative/],
    ['a fractional F32 id', ids([49406, 320.5, 49407], 'F32'), /"input_ids"\[1\] = 320\.5 is not an integer/],
    ['an id ≥ vocab', ids([49406, 49408, 49407]), /"input_ids"\s*\[1\] = 49408 is outside the vocabulary \[0, 49408\)/],
    ['78 tokens', ids(Array<number>(78).fill(320)), /has 78 tokens per prompt; at most 77/],
    [
      'a 1-d shape',
      ids([49406, 49407], 'I64', [2]),
      /"input_ids" has shape \[2\]; text_encoder needs \[batch, tokens\]/,
    ],
  ])('input_ids with %s: exit 2, naming the inputs file and tensor', async (name, t, why) => {
    const r = await infer(sd, inputs(name.replace(/\W+/g, '-'), t));
    expect(r.code).toBe(2);
    expect(r.stderr).toHaveLength(1);
    expect(r.stderr[0]).toMatch(/\.in\.safetensors/);
    expect(r.stderr[0]).toMatch(why);
  });

  test('unet inputs with the wrong channels or width are refused before onnxruntime, naming the tensor', async () => {
    const f = (shape: number[]): TensorToWrite => ({
      dtype: 'F32',
      shape,
      data: new Float32Array(shape.reduce((a, d) => a * d, 1)),
    });
    const path = join(dir, 'unet-bad.in.safetensors');
    writeFileSync(
      path,
      writeSafetensors({ sample: f([1, 3, 8, 8]), timestep: f([1]), encoder_hidden_states: f([1, 77, 32]) }),
    );
    const r = await run('infer', 'unet', '--model', sd, '--inputs', path, '-o', join(dir, 'u.out'));
    expect(r.code).toBe(2);
    expect(r.stderr[0]).toMatch(/"sample" has 3 channels .*in_channels is 4/);
  });

  test('-o equal to --inputs is refused; a good run writes through a temporary file', async () => {
    const copy = join(dir, 'same.in.safetensors');
    copyFileSync(good, copy);
    const before = readFileSync(copy);
    const r = await infer(sd, copy, copy);
    expect(r.code).toBe(2);
    expect(r.stderr[0]).toMatch(/is the input/);
    expect(readFileSync(copy).equals(before)).toBe(true);
    const out = join(dir, 'good.out.safetensors');
    expect((await infer(sd, good, out)).code).toBe(0);
    expect(statSync(out).size).toBeGreaterThan(0);
  });
});

describe('exit codes: one convention for every command', () => {
  test('usage → 2, user-caused AppError → 2, model/environment → 1, cancelled → 130', () => {
    expect(exitCodeFor(new CliUsageError('x'))).toBe(2);
    expect(exitCodeFor(new AppError('NOT_A_VIDEO', 'x'))).toBe(2);
    expect(exitCodeFor(new AppError('CONFIG_INVALID', 'x'))).toBe(2);
    expect(exitCodeFor(new AppError('MODEL_HEADER_INVALID', 'x'))).toBe(1);
    expect(exitCodeFor(new AppError('SAFETENSORS_INVALID', 'x'))).toBe(1);
    expect(exitCodeFor(new Error('x'))).toBe(1);
    expect(exitCodeFor('x')).toBe(1);
    expect(exitCodeFor(new AppError('CANCELLED', 'x'))).toBe(130);
    expect(exitCodeFor(Object.assign(new Error('x'), { name: 'AbortError' }))).toBe(130);
  });

  test('unknown command and no command are usage errors (2)', async () => {
    expect((await run('frobnicate')).code).toBe(2);
    expect((await run()).code).toBe(2);
  });
});
