/**
 * safetensors reader and writer (format: https://github.com/huggingface/safetensors#format).
 *
 *   [u64 little-endian N] [N bytes UTF-8 JSON header] [data]
 *   header = { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: {str: str} }
 *   offsets are relative to the start of the data section; tensors are row-major, little-endian.
 *
 * Headers are untrusted input (DESIGN §4): every length, offset, dtype and shape is checked before a byte
 * of tensor data is touched, and failures are `SafetensorsError`s naming the tensor and the problem.
 */

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const DTYPE_BYTES: Record<SafetensorsDtype, number> = {
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
};

/** The largest header we accept; real SD checkpoints have headers well under 1 MiB. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';
  readonly code = 'SAFETENSORS_INVALID';
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
  if (prefix.byteLength < 8 || fileSize < 8) fail(`file too short for a safetensors header (${fileSize} bytes)`);
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const n = view.getBigUint64(0, true);
  if (n === 0n) fail('header length is 0');
  if (n > BigInt(MAX_HEADER_BYTES)) fail(`header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (n > BigInt(fileSize - 8)) fail(`header length ${n} runs past the end of the ${fileSize}-byte file`);
  return Number(n);
}

/**
 * Parses and validates a header. `headerBytes` is the JSON (without the 8-byte prefix); `fileSize` is the
 * whole file's size, used to check every tensor's byte range.
 */
export function parseHeader(headerBytes: Uint8Array, fileSize: number): SafetensorsHeader {
  const dataStart = 8 + headerBytes.byteLength;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('header is not a JSON object');
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  const dataSize = fileSize - dataStart;
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null) fail('__metadata__ is not an object');
      metadata = Object.fromEntries(Object.entries(raw as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
      continue;
    }
    if (typeof raw !== 'object' || raw === null) fail(`tensor "${name}": entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES))
      fail(`tensor "${name}": unsupported dtype ${String(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      fail(`tensor "${name}": shape must be a list of non-negative integers`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0))
      fail(`tensor "${name}": data_offsets must be two non-negative integers`);
    const [b, e] = offsets as [number, number];
    if (e < b) fail(`tensor "${name}": data_offsets end ${e} < begin ${b}`);
    if (e > dataSize)
      fail(`tensor "${name}": data_offsets [${b}, ${e}] out of bounds (data section is ${dataSize} bytes)`);
    const elements = (shape as number[]).reduce((a, d) => a * d, 1);
    const expected = elements * DTYPE_BYTES[dtype as SafetensorsDtype];
    if (!Number.isSafeInteger(expected) || expected !== e - b)
      fail(
        `tensor "${name}": shape [${String(shape)}] × ${dtype} needs ${expected} bytes but data_offsets span ${e - b}`,
      );
    tensors.set(name, {
      name,
      dtype: dtype as SafetensorsDtype,
      shape: shape as number[],
      begin: dataStart + b,
      end: dataStart + e,
    });
  }
  return { dataStart, tensors, metadata };
}

/** Parses a whole in-memory file. */
export function parseSafetensors(file: Uint8Array): SafetensorsHeader {
  const n = readHeaderLength(file, file.byteLength);
  return parseHeader(file.subarray(8, 8 + n), file.byteLength);
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
