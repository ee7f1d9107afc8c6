/**
 * The one safetensors validator (src/core/tensors/safetensors.ts) on every path: the in-memory parser the
 * CLI/engine use (WeightStore → parseSafetensors), the app's range-read validator (validateSafetensorsFile)
 * and the per-tensor finiteness check (issue 13: overlap, duplicate names, trailing bytes, "toString" dtype
 * and NaN weights all passed on the CLI weights path before).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { validateSafetensorsFile } from '../../src/core/models/validate';
import type { ByteRange, ModelSource } from '../../src/core/models/source';
import {
  assertFinite,
  firstNonFinite,
  MAX_RANK,
  parseSafetensors,
  SafetensorsError,
  writeSafetensors,
} from '../../src/core/tensors/safetensors';
import { WeightStore } from '../../workers/engine/models/weights';
import { describeShared, readShared, sharedPath } from '../helpers/node/shared';

/** An in-memory ModelSource (the app validator reads by byte range). */
class MemorySource implements ModelSource {
  readonly remote = false;
  readonly id = 'memory';
  constructor(readonly files: Record<string, Uint8Array>) {}
  async list() {
    return Object.keys(this.files);
  }
  async stat(path: string) {
    const f = this.files[path];
    return f ? { size: f.byteLength } : null;
  }
  async read(path: string, range?: ByteRange) {
    const f = this.files[path]!;
    return range ? f.subarray(range.start, range.end) : f;
  }
}

/** A file from a raw header text and `dataBytes` zero bytes (the writer would refuse what we test). */
function rawFile(header: string, dataBytes: number): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.byteLength + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  return out;
}
const file = (header: Record<string, unknown>, dataBytes: number) => rawFile(JSON.stringify(header), dataBytes);
const f32 = (values: number[]) => ({ dtype: 'F32' as const, shape: [values.length], data: Float32Array.from(values) });

function parseError(bytes: Uint8Array): SafetensorsError {
  try {
    parseSafetensors(bytes, 'w.safetensors');
  } catch (e) {
    expect(e).toBeInstanceOf(SafetensorsError);
    return e as SafetensorsError;
  }
  throw new Error('expected the file to be refused');
}

const CASES: readonly [string, Uint8Array, RegExp][] = [
  [
    'overlapping offsets (a layer reads another layer’s bytes)',
    file(
      {
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
        c: { dtype: 'F32', shape: [1], data_offsets: [12, 16] },
      },
      16,
    ),
    /tensor "b" starts at byte \d+, inside tensor "a".*gap or overlap/,
  ],
  [
    'a gap between tensors',
    file(
      { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } },
      12,
    ),
    /tensor "b" starts at byte \d+, expected \d+: tensor data has a gap or overlap/,
  ],
  [
    'a duplicate tensor name (the last would win)',
    rawFile(
      '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}',
      8,
    ),
    /tensor "a" is listed twice/,
  ],
  [
    'a duplicate name written with an escape',
    rawFile(
      '{"a\\u0062":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"ab":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}',
      8,
    ),
    /tensor "ab" is listed twice/,
  ],
  [
    '4 KiB of trailing bytes',
    file({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 4 + 4096),
    /4096 bytes after the last tensor/,
  ],
  [
    'dtype "toString"',
    file({ a: { dtype: 'toString', shape: [1], data_offsets: [0, 4] } }, 4),
    /unsupported dtype "toString"/,
  ],
  ['dtype "__proto__"', file({ a: { dtype: '__proto__', shape: [1], data_offsets: [0, 4] } }, 4), /unsupported dtype/],
  [
    'shape × dtype ≠ byte length',
    file({ a: { dtype: 'F32', shape: [4, 4], data_offsets: [0, 16] } }, 16),
    /shape \[4,4\] × F32 needs 64 bytes but data_offsets span 16/,
  ],
  [
    'too many dimensions',
    file({ a: { dtype: 'U8', shape: Array<number>(MAX_RANK + 1).fill(1), data_offsets: [0, 1] } }, 1),
    /dimensions \(at most 8\)/,
  ],
  [
    'a huge dimension whose product overflows',
    file({ a: { dtype: 'F32', shape: [2 ** 30, 2 ** 30, 2 ** 30], data_offsets: [0, 4] } }, 4),
    /needs .* bytes but data_offsets span 4/,
  ],
  [
    'a fractional dimension',
    file({ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, 4),
    /non-negative integers/,
  ],
  ['a negative offset', file({ a: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } }, 4), /data_offsets must be/],
  ['header length 0', rawFile('', 4), /header length 0/],
  ['a header that is not JSON', rawFile('{"a":', 4), /not valid UTF-8 JSON/],
  ['a header that is an array', rawFile('[1,2,3]', 0), /not a JSON object/],
  ['an entry that is not an object', file({ a: 5 }, 0), /entry is not an object/],
];

test.each(CASES)('parseSafetensors refuses %s', (_what, bytes, why) => {
  const e = parseError(bytes);
  expect(e.code).toBe('SAFETENSORS_INVALID');
  expect(e.message).toMatch(/^w\.safetensors: /);
  expect(e.message).toMatch(why);
  expect(e.details?.file).toBe('w.safetensors');
});

test.each(CASES)('the app validator refuses %s as MODEL_HEADER_INVALID', async (_what, bytes, why) => {
  await expect(validateSafetensorsFile(new MemorySource({ w: bytes }), 'w', bytes.byteLength)).rejects.toMatchObject({
    code: 'MODEL_HEADER_INVALID',
    message: expect.stringMatching(why),
  });
});

test.each(CASES)('the CLI/engine weights path (WeightStore) refuses %s', (_what, bytes, why) => {
  expect(() => new WeightStore(bytes, 'unet.safetensors')).toThrow(why);
});

test('a header length over the bound, or past the end of the file, is refused before reading it', () => {
  const huge = new Uint8Array(16);
  new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
  expect(parseError(huge).message).toMatch(/exceeds the 104857600-byte limit/);
  new DataView(huge.buffer).setBigUint64(0, 100n, true);
  expect(parseError(huge).message).toMatch(/runs past the end of the 16-byte file/);
  expect(parseError(new Uint8Array(5)).message).toMatch(/file too short/);
});

test('truncation is one error everywhere: SAFETENSORS_TRUNCATED in memory, MODEL_TRUNCATED in the app', async () => {
  const whole = writeSafetensors({ a: f32([1, 2, 3]), b: f32([4, 5]) });
  const cut = whole.subarray(0, whole.byteLength - 3);
  const e = parseError(cut);
  expect(e.code).toBe('SAFETENSORS_TRUNCATED');
  expect(e.message).toContain(
    `truncated: its header describes ${whole.byteLength} bytes but the file has ${cut.byteLength}`,
  );
  expect(e.details).toMatchObject({ expected: whole.byteLength, actual: cut.byteLength });
  await expect(validateSafetensorsFile(new MemorySource({ w: cut }), 'w', cut.byteLength)).rejects.toMatchObject({
    code: 'MODEL_TRUNCATED',
  });
});

test('valid files load: empty, zero-size tensors, metadata, any key order', () => {
  expect(parseSafetensors(rawFile('{}', 0)).tensors.size).toBe(0);
  const h = parseSafetensors(
    file(
      {
        __metadata__: { format: 'pt' },
        z: { dtype: 'F32', shape: [0], data_offsets: [0, 0] },
        b: { dtype: 'F16', shape: [2], data_offsets: [4, 8] },
        a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      },
      8,
    ),
  );
  expect([...h.tensors.keys()].sort()).toEqual(['a', 'b', 'z']);
  expect(h.metadata).toEqual({ format: 'pt' });
});

test('assertFinite names the tensor and the first bad element for F32, F16, BF16 and F64, aligned or not', () => {
  const f32bytes = (v: number[]) => new Uint8Array(Float32Array.from(v).buffer);
  expect(firstNonFinite(f32bytes([1, 2, 3]), 'F32')).toBe(-1);
  expect(firstNonFinite(f32bytes([1, NaN, 3]), 'F32')).toBe(1);
  expect(firstNonFinite(f32bytes([1, 2, -Infinity]), 'F32')).toBe(2);
  const unaligned = new Uint8Array(13);
  unaligned.set(f32bytes([0, 0, Infinity]), 1);
  expect(firstNonFinite(unaligned.subarray(1), 'F32')).toBe(2);
  // F16: 0x7c00 = +Inf, 0x7e00 = NaN, 0x7bff = 65504 (finite); BF16: 0x7f80 = +Inf, 0x7f7f finite.
  const u16 = (v: number[]) => new Uint8Array(Uint16Array.from(v).buffer);
  expect(firstNonFinite(u16([0x3c00, 0x7bff]), 'F16')).toBe(-1);
  expect(firstNonFinite(u16([0x3c00, 0xfe00]), 'F16')).toBe(1);
  expect(firstNonFinite(u16([0x7f7f, 0x3f80]), 'BF16')).toBe(-1);
  expect(firstNonFinite(u16([0x3f80, 0xff80]), 'BF16')).toBe(1);
  expect(firstNonFinite(new Uint8Array(Float64Array.of(1, NaN).buffer), 'F64')).toBe(1);
  expect(firstNonFinite(new Uint8Array([255, 255]), 'U8')).toBe(-1);
  expect(() => assertFinite(f32bytes([0, NaN]), 'F32', 'conv_in.weight', 'unet.safetensors')).toThrow(
    /unet\.safetensors: tensor "conv_in\.weight" holds NaN or infinite values \(first at element 1\)/,
  );
});

test('NaN weights are refused when the network reads them, naming the file and tensor', () => {
  const store = new WeightStore(writeSafetensors({ good: f32([1, 2]), bad: f32([1, NaN]) }), 'unet.safetensors');
  expect(() => store.get('good').bytes()).not.toThrow();
  let err: unknown;
  try {
    store.get('bad').bytes();
  } catch (e) {
    err = e;
  }
  expect(err).toMatchObject({
    message: expect.stringMatching(/unet\.safetensors.*"bad"/),
    details: { tensor: 'bad', file: 'unet.safetensors' },
  });
});

describeShared('real checkpoints pass the strict validator', () => {
  test('every safetensors file under ../shared/golden', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(sharedPath(dir), { withFileTypes: true }))
        if (e.isDirectory()) walk(join(dir, e.name));
        else if (e.name.endsWith('.safetensors')) files.push(join(dir, e.name));
    };
    walk('golden');
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) expect(parseSafetensors(readShared(f), f).tensors.size).toBeGreaterThan(0);
  });
});
