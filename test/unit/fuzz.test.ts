/**
 * Property-based fuzzing (fast-check) of the parsers that take untrusted input (issue 13): the safetensors
 * parser, the VideoGrain YAML/config loader, mask import (grey PNG, palette PNG, ZIP) and the clip command's
 * argument validation. Random and mutated inputs must never crash the process, never hang (each input is
 * timed), and either load or fail with a typed error (an AppError with a code, or the CLI's usage error).
 *
 * `npm test` runs a fixed seed (13) and a bounded count (150 per target, under 10 s here); `npm run fuzz` runs
 * 5000 per target (FUZZ_RUNS=n, FUZZ_SEED=n for another seed; the summary line prints the seed and the counts).
 */
import fc from 'fast-check';
import { strToU8, zipSync } from 'fflate';
import { encode } from 'fast-png';
import { afterAll, describe, expect, test } from 'vitest';
import { CliUsageError } from '../../cli/command';
import { parseClipArgs } from '../../cli/commands/clip';
import { parseVideoGrainConfig } from '../../cli/config/videograin-yaml';
import { importMasks } from '../../src/core/masks/import';
import type { MaskFile } from '../../src/core/masks/files';
import { AppError } from '../../src/core/protocol/errors';
import {
  assertFinite,
  parseSafetensors,
  SafetensorsError,
  toFloat32,
  writeSafetensors,
} from '../../src/core/tensors/safetensors';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = Number(process.env.FUZZ_SEED ?? 13);
/** One input taking longer than this is a hang (the slowest legitimate input here takes a few ms). */
const MAX_MS_PER_INPUT = 2000;
const counts = new Map<string, number>();

afterAll(() => {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  console.log(`fuzz (seed ${SEED}): ${[...counts].map(([k, n]) => `${k} ${n}`).join(', ')}; ${total} inputs in all`);
});

/** Runs `fn` on one input: it may return or throw a typed error; anything else (or a hang) fails. */
function typedOrOk(target: string, fn: () => unknown): void {
  counts.set(target, (counts.get(target) ?? 0) + 1);
  const t0 = performance.now();
  try {
    fn();
  } catch (e) {
    const typed = e instanceof AppError || e instanceof CliUsageError;
    if (!typed) throw new Error(`${target}: untyped ${(e as Error).name}: ${(e as Error).message}`, { cause: e });
    expect((e as Error).message.length).toBeGreaterThan(0);
  }
  const ms = performance.now() - t0;
  if (ms > MAX_MS_PER_INPUT) throw new Error(`${target}: one input took ${ms.toFixed(0)} ms`);
}

const params = { numRuns: RUNS, seed: SEED, endOnFailure: true };

/** Byte-level mutations of a valid input: flips, overwrites, truncation, insertion, duplication. */
function mutated(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 16 }) }),
    fc.record({ kind: fc.constant('dup' as const), at: fc.nat(), length: fc.nat({ max: 64 }) }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 6 }).map((edits) => {
    let b = base.slice();
    for (const e of edits) {
      const at = b.length === 0 ? 0 : e.at % b.length;
      if (e.kind === 'set') b[at] = e.value;
      else if (e.kind === 'cut') b = b.slice(0, at);
      else if (e.kind === 'insert') b = Uint8Array.from([...b.subarray(0, at), ...e.bytes, ...b.subarray(at)]);
      else b = Uint8Array.from([...b.subarray(0, at + e.length), ...b.subarray(at)]);
    }
    return b;
  });
}

describe('safetensors parser', () => {
  const load = (bytes: Uint8Array) => {
    const h = parseSafetensors(bytes);
    // What loads must be usable: every tensor in bounds and readable.
    for (const t of h.tensors.values()) {
      expect(t.begin).toBeGreaterThanOrEqual(h.dataStart);
      expect(t.end).toBeLessThanOrEqual(bytes.byteLength);
      toFloat32(bytes, t);
      assertFinite(bytes.subarray(t.begin, t.end), t.dtype, t.name);
    }
  };
  const dtype = fc.constantFrom('F32', 'F16', 'I64', 'U8', 'BF16', 'toString', '__proto__', 'F8', '');
  const dim = fc.oneof(fc.nat({ max: 4 }), fc.constantFrom(-1, 1.5, 2 ** 31, 2 ** 53, 1e300));
  const entry = fc.record({
    dtype,
    shape: fc.array(dim, { maxLength: 10 }),
    data_offsets: fc.tuple(
      fc.oneof(fc.nat({ max: 64 }), fc.constant(-8)),
      fc.oneof(fc.nat({ max: 64 }), fc.constant(2 ** 60)),
    ),
  });
  const header = fc.dictionary(
    fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('__metadata__', '__proto__', 'constructor')),
    fc.oneof(entry, fc.anything()),
    { maxKeys: 6 },
  );
  const file = (h: unknown, dataBytes: number, declared?: bigint) => {
    const json = strToU8(JSON.stringify(h) ?? 'null');
    const out = new Uint8Array(8 + json.byteLength + dataBytes);
    new DataView(out.buffer).setBigUint64(0, declared ?? BigInt(json.byteLength), true);
    out.set(json, 8);
    return out;
  };

  test('random headers (dtypes, shapes, offsets, duplicates by construction) load or give SafetensorsError', () => {
    fc.assert(
      fc.property(
        header,
        fc.nat({ max: 96 }),
        fc.option(fc.bigInt({ min: 0n, max: 1n << 64n }).map((n) => n & ((1n << 64n) - 1n))),
        (h, n, declared) =>
          typedOrOk('safetensors/header', () => {
            try {
              load(file(h, n, declared ?? undefined));
            } catch (e) {
              if (!(e instanceof SafetensorsError) && e instanceof AppError)
                throw new Error(`unexpected code ${e.code}`);
              throw e;
            }
          }),
      ),
      params,
    );
  });

  test('mutations of a valid file load or give SafetensorsError', () => {
    const valid = writeSafetensors(
      {
        a: { dtype: 'F32', shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) },
        b: { dtype: 'F16', shape: [4], data: Uint16Array.of(0x3c00, 0, 0x7bff, 1) },
        c: { dtype: 'I64', shape: [1], data: BigInt64Array.of(7n) },
      },
      { format: 'pt' },
    );
    fc.assert(
      fc.property(mutated(valid), (bytes) => typedOrOk('safetensors/mutated', () => load(bytes))),
      params,
    );
  });

  test('random bytes give SafetensorsError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => typedOrOk('safetensors/random', () => load(bytes))),
      params,
    );
  });
});

describe('VideoGrain YAML/config loader', () => {
  const valid = `dataset_config:
    path: "frames"
    prompt: two men jogging
    n_sample_frame: 16
    start_sample_frame: 0
    sampling_rate: 1
    layout_mask_dir: "masks"
    layout_mask_order: ['left_man','right_man','trees']
editing_config:
    guidance_scale: 7.5
    num_inference_steps: 50
    editing_prompts: [
        ['Iron Man and Spiderman are jogging under cherry blossoms','Iron Man','Spiderman','cherry blossoms'],
    ]
seed: 33
`;
  const parse = (text: string) => parseVideoGrainConfig(text, '/tmp/fuzz/config.yaml');
  const value = fc.oneof(
    fc.integer(),
    fc.double(),
    fc.constantFrom('1e9', '-1', '0', '.nan', '.inf', '~', '[]', '{}', '"x"', '*a', '&a x', '!!binary AAAA', "'", '"'),
    fc.string({ maxLength: 12 }),
  );

  test('valid structure with random field values loads or gives a usage error', () => {
    const fields = [
      'n_sample_frame',
      'start_sample_frame',
      'sampling_rate',
      'path',
      'layout_mask_order',
      'prompt',
      'guidance_scale',
      'num_inference_steps',
      'seed',
    ];
    fc.assert(
      fc.property(fc.constantFrom(...fields), value, (field, v) =>
        typedOrOk('yaml/fields', () => parse(valid.replace(new RegExp(`(${field}:).*`), `$1 ${String(v)}`))),
      ),
      params,
    );
  });

  test('mutated and random YAML text loads or gives a usage error', () => {
    const bytes = strToU8(valid);
    fc.assert(
      fc.property(
        fc.oneof(
          mutated(bytes).map((b) => new TextDecoder().decode(b)),
          fc.string({ maxLength: 200 }),
        ),
        (text) => typedOrOk('yaml/mutated', () => parse(text)),
      ),
      params,
    );
  });

  test('YAML bombs (aliases, deep nesting) are bounded', () => {
    const aliases = `a: &a ["x","x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n`;
    typedOrOk('yaml/bombs', () => parse(aliases + valid));
    typedOrOk('yaml/bombs', () => parse(`${'['.repeat(5000)}${']'.repeat(5000)}`));
  });
});

describe('mask import', () => {
  const target = { frames: { width: 32, height: 24 }, frameCount: 4, sourceFrames: [0, 1, 2, 3] };
  const load = (files: MaskFile[]) => importMasks(files, target);
  const grey = (w: number, h: number, seed: number) =>
    encode({
      width: w,
      height: h,
      data: Uint8Array.from({ length: w * h }, (_, i) => ((i * 7 + seed) % 5) * 60),
      channels: 1,
      depth: 8,
    });
  const palette = (w: number, h: number, seed: number) =>
    encode({
      width: w,
      height: h,
      data: Uint8Array.from({ length: w * h }, (_, i) => (i + seed) % 3),
      channels: 1,
      depth: 8,
      palette: [
        [0, 0, 0],
        [255, 0, 0],
        [0, 255, 0],
      ],
    });
  const size = fc.tuple(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 64 }));
  const name = fc.oneof(
    fc.constantFrom(
      'masks/a/00000.png',
      'masks/b/00003.png',
      '00001.png',
      '00009.png',
      'a/mask.png',
      '../x/00000.png',
      'a\\b\\00002.png',
      'x.zip',
      '',
    ),
    fc.string({ maxLength: 20 }),
  );

  test('random grey/palette PNGs under random names load or give a mask error', () => {
    const png = fc
      .tuple(fc.boolean(), size, fc.nat())
      .map(([isPalette, [w, h], s]) => (isPalette ? palette(w, h, s) : grey(w, h, s)));
    fc.assert(
      fc.property(fc.array(fc.record({ path: name, bytes: png }), { maxLength: 6 }), (files) =>
        typedOrOk('masks/png', () => load(files)),
      ),
      params,
    );
  });

  test('mutated PNGs (header fields, chunks, truncation) load or give a mask error', () => {
    const base = palette(32, 24, 1);
    fc.assert(
      fc.property(fc.oneof(mutated(base), mutated(grey(32, 24, 2))), (bytes) =>
        typedOrOk('masks/png-mutated', () => load([{ path: '00000.png', bytes }])),
      ),
      params,
    );
  });

  test('a PNG that declares a huge size is refused without allocating it', () => {
    const png = grey(4, 4, 0);
    for (const [w, h] of [
      [100_000, 100_000],
      [2 ** 31 - 1, 1],
      [65_535, 65_535],
    ] as const) {
      const b = png.slice();
      const v = new DataView(b.buffer);
      v.setUint32(16, w);
      v.setUint32(20, h);
      typedOrOk('masks/png-huge', () => load([{ path: '00000.png', bytes: b }]));
    }
  });

  test('ZIP bombs: a declared multi-GiB entry and deep nesting are refused before inflating', () => {
    const zip = zipSync({ 'masks/a/00000.png': grey(32, 24, 0) });
    const bomb = zip.slice();
    const v = new DataView(bomb.buffer);
    for (let i = 0; i + 4 <= bomb.length; i++)
      if (v.getUint32(i, true) === 0x02014b50) v.setUint32(i + 24, 0xf0000000, true); // central directory size
    expect(() => load([{ path: 'bomb.zip', bytes: bomb }])).toThrow(/expands to more than 2 GiB/);
    let nested: Uint8Array = zip;
    for (let d = 0; d < 4; d++) nested = zipSync({ [`level${d}.zip`]: nested });
    expect(() => load([{ path: 'nested.zip', bytes: nested }])).toThrow(/nests ZIP archives more than 2 deep/);
    typedOrOk('masks/zip-bombs', () => load([{ path: 'bomb.zip', bytes: bomb }]));
    typedOrOk('masks/zip-bombs', () => load([{ path: 'nested.zip', bytes: nested }]));
  });

  test('random and mutated ZIPs load or give a mask error', () => {
    const zip = zipSync({
      'masks/a/00000.png': grey(32, 24, 0),
      'masks/a/00001.png': grey(32, 24, 1),
      'masks/b/00000.png': palette(32, 24, 0),
    });
    const randomZip = fc
      .dictionary(name, fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.constant(grey(8, 8, 0))), { maxKeys: 5 })
      .map((entries) => zipSync(Object.fromEntries(Object.entries(entries).filter(([k]) => k !== ''))));
    fc.assert(
      fc.property(fc.oneof(mutated(zip), randomZip, fc.uint8Array({ maxLength: 128 })), (bytes) =>
        typedOrOk('masks/zip', () => load([{ path: 'masks.zip', bytes }])),
      ),
      params,
    );
  });
});

describe('clip argument validation', () => {
  const token = fc.oneof(
    fc.constantFrom(
      '--start',
      '--frames',
      '--stride',
      '--size',
      '--crf',
      '--keep-aspect',
      '--no-audio',
      '-o',
      '--chromium',
      '--',
      '-',
      '--frames=',
      '--bogus',
      'x.mp4',
      'o.mp4',
    ),
    fc.constantFrom(
      '-5',
      '0',
      '1',
      '64',
      '65',
      '1e9',
      '1.5',
      'NaN',
      'Infinity',
      '-0',
      '0x10',
      '',
      ' ',
      '9007199254740993',
      '-Infinity',
    ),
    fc.string({ maxLength: 8 }),
  );

  test('random argv gives a checked request or a usage error, and what passes is in range', () => {
    fc.assert(
      fc.property(fc.array(token, { maxLength: 10 }), (argv) =>
        typedOrOk('clip/argv', () => {
          const a = parseClipArgs(argv);
          expect(a.request.frames).toBeGreaterThanOrEqual(1);
          expect(a.request.frames).toBeLessThanOrEqual(64);
          expect(Number.isSafeInteger(a.request.start) && a.request.start >= 0).toBe(true);
          expect(Number.isSafeInteger(a.request.stride) && a.request.stride >= 1).toBe(true);
          expect(a.crf).toBeGreaterThanOrEqual(0);
        }),
      ),
      params,
    );
  });
});
