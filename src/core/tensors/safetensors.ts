/**
 * safetensors reader and writer (format: https://github.com/huggingface/safetensors#format).
 *
 *   [u64 little-endian N] [N bytes UTF-8 JSON header] [data]
 *   header = { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: {str: str} }
 *   offsets are relative to the start of the data section; tensors are row-major, little-endian.
 *
 * Headers are untrusted input (DESIGN §4): every length, offset, dtype and shape is checked before a byte
 * of tensor data is touched, and failures are `SafetensorsError`s (typed AppErrors) naming the tensor and the
 * problem. This is the one validator every path uses (app model validation, worker/CLI weight loading, `infer`
 * inputs): header length bounds; UTF-8 JSON object; no duplicate tensor names; dtype by own property; shape of
 * at most MAX_RANK non-negative dimensions each ≤ MAX_DIMENSION; shape × dtype size = byte length; tensors
 * that tile the data section exactly (no gap, no overlap, no trailing bytes; truncation told apart).
 * `assertFinite` refuses NaN/Inf weights per tensor as its bytes are read.
 */

import { AppError } from '../protocol/errors';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const DTYPE_BYTES: Readonly<Record<SafetensorsDtype, number>> = Object.freeze({
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
});

/** Own-property lookup: `"toString"` or `"__proto__"` are not dtypes (an `in` check would say they are). */
export function isSafetensorsDtype(d: unknown): d is SafetensorsDtype {
  return typeof d === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_BYTES, d);
}

/** The largest header we accept; real SD checkpoints have headers well under 1 MiB. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;
/** The most dimensions a tensor may have (SD tensors have ≤ 5) and the largest single dimension. */
export const MAX_RANK = 8;
export const MAX_DIMENSION = 2 ** 31 - 1;

/**
 * - SAFETENSORS_INVALID: malformed or inconsistent header (bad JSON, dtype, shape, offsets, gap, overlap,
 *   duplicate name, bytes after the last tensor);
 * - SAFETENSORS_TRUNCATED: a self-consistent header that describes more bytes than the file has
 *   (details.expected / details.actual);
 * - SAFETENSORS_NOT_FINITE: a float tensor holds NaN or ±Inf (details.tensor, details.index).
 */
export type SafetensorsErrorCode = 'SAFETENSORS_INVALID' | 'SAFETENSORS_TRUNCATED' | 'SAFETENSORS_NOT_FINITE';

export class SafetensorsError extends AppError<SafetensorsErrorCode> {
  constructor(
    message: string,
    code: SafetensorsErrorCode = 'SAFETENSORS_INVALID',
    details?: Readonly<Record<string, string | number | boolean>>,
  ) {
    super(code, message, details);
    this.name = 'SafetensorsError';
  }

  /** The same error with `file: ` in front of the message and `details.file` set. */
  inFile(file: string): SafetensorsError {
    return new SafetensorsError(`${file}: ${this.message}`, this.code, { ...this.details, file });
  }
}

export interface TensorInfo {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** Absolute byte range in the file. */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  /** Bytes before the data section (8 + header length). */
  readonly dataStart: number;
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly metadata: Readonly<Record<string, string>>;
}

function fail(message: string): never {
  throw new SafetensorsError(message);
}

/** Reads the header length from the first 8 bytes; `fileSize` bounds it. */
export function readHeaderLength(prefix: Uint8Array, fileSize: number): number {
  if (!Number.isSafeInteger(fileSize) || fileSize < 0) fail(`file size ${fileSize} is not a byte count`);
  if (prefix.byteLength < 8 || fileSize < 8) fail(`file too short for a safetensors header (${fileSize} bytes)`);
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const n = view.getBigUint64(0, true);
  if (n < 2n) fail(`header length ${n} is too small for a JSON object`);
  if (n > BigInt(MAX_HEADER_BYTES)) fail(`header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (n > BigInt(fileSize - 8)) fail(`header length ${n} runs past the end of the ${fileSize}-byte file`);
  return Number(n);
}

/**
 * The first top-level key of a (valid) JSON object text that occurs twice, if any. JSON.parse keeps the last
 * of duplicate keys silently; a safetensors file with two tensors of one name is malformed (the reference
 * parser refuses it), so the raw text is scanned once for the keys.
 */
function duplicateTopLevelKey(text: string): string | undefined {
  let i = 0;
  const n = text.length;
  const ws = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const str = (): string => {
    const s = i++;
    while (i < n && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(s, i)) as string;
  };
  const skipValue = () => {
    let depth = 0;
    while (i < n) {
      const c = text[i];
      if (c === '"') {
        str();
        continue;
      }
      if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        if (depth === 0) return;
        depth--;
      } else if (c === ',' && depth === 0) return;
      i++;
    }
  };
  const seen = new Set<string>();
  ws();
  if (text[i] !== '{') return undefined;
  i++;
  for (;;) {
    ws();
    if (text[i] !== '"') return undefined;
    const key = str();
    if (seen.has(key)) return key;
    seen.add(key);
    ws();
    i++; // ':'
    ws();
    skipValue();
    ws();
    if (text[i] !== ',') return undefined;
    i++;
  }
}

/**
 * Checks that the tensors tile the data section exactly: sorted by offset, each starts where the previous
 * ended (no gap, no overlap: a layer must never read another layer's bytes), the first at 0 and the last at
 * the end of the file (no trailing bytes). A consistent layout that runs past the file's end is
 * SAFETENSORS_TRUNCATED, so callers can tell a cut-off download from a malformed header.
 */
export function checkLayout(tensors: Iterable<TensorInfo>, dataStart: number, fileSize: number): void {
  const sorted = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = dataStart;
  let previous: TensorInfo | undefined;
  for (const t of sorted) {
    if (t.begin !== cursor) {
      const outside = sorted.find((x) => x.end > fileSize);
      if (outside)
        fail(
          `tensor "${outside.name}": data_offsets end at byte ${outside.end}, out of bounds of the ${fileSize}-byte file`,
        );
      fail(
        t.begin < cursor
          ? `tensor "${t.name}" starts at byte ${t.begin}, inside tensor "${previous?.name ?? ''}" (which ends at ${cursor}): tensor data has a gap or overlap`
          : `tensor "${t.name}" starts at byte ${t.begin}, expected ${cursor}: tensor data has a gap or overlap`,
      );
    }
    cursor = t.end;
    previous = t;
  }
  if (cursor > fileSize)
    throw new SafetensorsError(
      `truncated: its header describes ${cursor} bytes but the file has ${fileSize}`,
      'SAFETENSORS_TRUNCATED',
      { expected: cursor, actual: fileSize },
    );
  if (cursor < fileSize) fail(`${fileSize - cursor} bytes after the last tensor`);
}

/**
 * Parses and validates a header. `headerBytes` is the JSON (without the 8-byte prefix); `fileSize` is the
 * whole file's size: the tensors must tile the data section exactly (checkLayout).
 */
export function parseHeader(headerBytes: Uint8Array, fileSize: number): SafetensorsHeader {
  if (!Number.isSafeInteger(fileSize) || fileSize < 0) fail(`file size ${fileSize} is not a byte count`);
  if (headerBytes.byteLength > MAX_HEADER_BYTES)
    fail(`header length ${headerBytes.byteLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const dataStart = 8 + headerBytes.byteLength;
  let text: string;
  let json: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    json = JSON.parse(text);
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('header is not a JSON object');
  const duplicate = duplicateTopLevelKey(text);
  if (duplicate !== undefined) fail(`tensor "${duplicate}" is listed twice in the header`);
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('__metadata__ is not an object');
      metadata = Object.fromEntries(Object.entries(raw as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
      continue;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(`tensor "${name}": entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
    if (!isSafetensorsDtype(dtype)) fail(`tensor "${name}": unsupported dtype ${JSON.stringify(dtype) ?? 'undefined'}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      fail(`tensor "${name}": shape must be a list of non-negative integers`);
    if (shape.length > MAX_RANK) fail(`tensor "${name}": ${shape.length} dimensions (at most ${MAX_RANK})`);
    if ((shape as number[]).some((d) => d > MAX_DIMENSION))
      fail(`tensor "${name}": shape [${String(shape)}] has a dimension over ${MAX_DIMENSION}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0))
      fail(`tensor "${name}": data_offsets must be two non-negative integers`);
    const [b, e] = offsets as [number, number];
    if (e < b) fail(`tensor "${name}": data_offsets end ${e} < begin ${b}`);
    const elements = (shape as number[]).reduce((a, d) => a * d, 1);
    const expected = elements * DTYPE_BYTES[dtype];
    if (!Number.isSafeInteger(expected) || expected !== e - b)
      fail(
        `tensor "${name}": shape [${String(shape)}] × ${dtype} needs ${expected} bytes but data_offsets span ${e - b}`,
      );
    if (!Number.isSafeInteger(dataStart + e)) fail(`tensor "${name}": data_offsets end ${e} is too large`);
    tensors.set(name, {
      name,
      dtype,
      shape: shape as number[],
      begin: dataStart + b,
      end: dataStart + e,
    });
  }
  checkLayout(tensors.values(), dataStart, fileSize);
  return { dataStart, tensors, metadata };
}

/** Parses a whole in-memory file; `fileName` (if given) prefixes error messages and sets details.file. */
export function parseSafetensors(file: Uint8Array, fileName?: string): SafetensorsHeader {
  try {
    const n = readHeaderLength(file, file.byteLength);
    return parseHeader(file.subarray(8, 8 + n), file.byteLength);
  } catch (e) {
    if (fileName !== undefined && e instanceof SafetensorsError) throw e.inFile(fileName);
    throw e;
  }
}

/**
 * Refuses NaN/±Inf in one tensor's bytes (F32, F16, BF16, F64; other dtypes pass). Meant to run on each
 * tensor's bytes as they are read (per tensor, by byte range), so a checkpoint is checked while streaming,
 * not in a second pass. Throws SAFETENSORS_NOT_FINITE naming the tensor and the first bad element.
 */
export function assertFinite(bytes: Uint8Array, dtype: SafetensorsDtype, tensorName: string, fileName?: string): void {
  const bad = firstNonFinite(bytes, dtype);
  if (bad < 0) return;
  const where = fileName !== undefined ? `${fileName}: ` : '';
  throw new SafetensorsError(
    `${where}tensor "${tensorName}" holds NaN or infinite values (first at element ${bad}); the checkpoint is corrupt. Use a trusted, finite checkpoint.`,
    'SAFETENSORS_NOT_FINITE',
    { tensor: tensorName, index: bad, ...(fileName !== undefined ? { file: fileName } : {}) },
  );
}

/** Index of the first NaN/±Inf element, or -1. Works on unaligned views (exponent bits read directly). */
export function firstNonFinite(bytes: Uint8Array, dtype: SafetensorsDtype): number {
  switch (dtype) {
    case 'F32': {
      const n = bytes.byteLength >> 2;
      if (bytes.byteOffset % 4 === 0) {
        const u = new Uint32Array(bytes.buffer, bytes.byteOffset, n);
        for (let i = 0; i < n; i++) if ((u[i]! & 0x7f800000) === 0x7f800000) return i;
      } else {
        const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        for (let i = 0; i < n; i++) if ((v.getUint32(4 * i, true) & 0x7f800000) === 0x7f800000) return i;
      }
      return -1;
    }
    case 'F16':
    case 'BF16': {
      const mask = dtype === 'F16' ? 0x7c00 : 0x7f80;
      const n = bytes.byteLength >> 1;
      for (let i = 0; i < n; i++) if (((bytes[2 * i]! | (bytes[2 * i + 1]! << 8)) & mask) === mask) return i;
      return -1;
    }
    case 'F64': {
      const n = bytes.byteLength >> 3;
      // The exponent lives in the high 32-bit word (little-endian: bytes 4..7).
      const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < n; i++) if ((v.getUint32(8 * i + 4, true) & 0x7ff00000) === 0x7ff00000) return i;
      return -1;
    }
    default:
      return -1;
  }
}

export type TypedArray =
  Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | Uint16Array | BigInt64Array;

export function halfToFloat(h: number): number {
  const s = (h & 0x8000) >> 15;
  const e = (h & 0x7c00) >> 10;
  const f = h & 0x03ff;
  if (e === 0) return (s ? -1 : 1) * 2 ** -14 * (f / 1024);
  if (e === 0x1f) return f ? NaN : (s ? -1 : 1) * Infinity;
  return (s ? -1 : 1) * 2 ** (e - 15) * (1 + f / 1024);
}

/** Tensor data widened to float32 (F16/BF16/F64/ints converted; I64 values must fit a double). */
export function toFloat32(file: Uint8Array, info: TensorInfo): Float32Array {
  const bytes = file.subarray(info.begin, info.end);
  const copy = bytes.slice().buffer; // aligned copy
  const n = info.shape.reduce((a, d) => a * d, 1);
  switch (info.dtype) {
    case 'F32':
      return new Float32Array(copy);
    case 'F64':
      return Float32Array.from(new Float64Array(copy));
    case 'F16': {
      const h = new Uint16Array(copy);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(h[i]!);
      return out;
    }
    case 'BF16': {
      const h = new Uint16Array(copy);
      const u = new Uint32Array(n);
      for (let i = 0; i < n; i++) u[i] = h[i]! << 16;
      return new Float32Array(u.buffer);
    }
    case 'I64':
      return Float32Array.from(new BigInt64Array(copy), (v) => Number(v));
    case 'I32':
      return Float32Array.from(new Int32Array(copy));
    case 'I16':
      return Float32Array.from(new Int16Array(copy));
    case 'I8':
      return Float32Array.from(new Int8Array(copy));
    case 'U8':
    case 'BOOL':
      return Float32Array.from(new Uint8Array(copy));
  }
}

/** A tensor read into memory, float32 or int64 (as numbers). */
export interface HostTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Reads every tensor of a small file (tests, CLI inputs) as float32. */
export function readAllFloat32(file: Uint8Array): Map<string, HostTensor> {
  const header = parseSafetensors(file);
  const out = new Map<string, HostTensor>();
  for (const info of header.tensors.values()) out.set(info.name, { shape: info.shape, data: toFloat32(file, info) });
  return out;
}

export interface TensorToWrite {
  readonly dtype: 'F32' | 'I64' | 'F16' | 'U8';
  readonly shape: readonly number[];
  readonly data: Float32Array | BigInt64Array | Uint16Array | Uint8Array;
}

/** Serializes tensors (sorted by name, 8-byte aligned header as the reference writer does). */
export function writeSafetensors(
  tensors: Record<string, TensorToWrite>,
  metadata?: Record<string, string>,
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors[name]!;
    const bytes = t.data.byteLength;
    const expected = t.shape.reduce((a, d) => a * d, 1) * DTYPE_BYTES[t.dtype];
    if (bytes !== expected)
      throw new SafetensorsError(`tensor "${name}": ${bytes} bytes given, shape needs ${expected}`);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded !== json.byteLength) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  let pos = 8 + json.byteLength;
  for (const name of names) {
    const d = tensors[name]!.data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos);
    pos += d.byteLength;
  }
  return out;
}
