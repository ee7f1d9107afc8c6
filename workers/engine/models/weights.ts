/**
 * Weights by diffusers/transformers parameter name, read per tensor from a safetensors file (DESIGN §4).
 *
 * A store holds only the parsed header: `WeightStore.open(reader)` reads the first 8 bytes and the JSON header
 * (validated by src/core/tensors/safetensors.ts: lengths, dtypes, shapes, offsets), and each initializer reads
 * its own byte range when the network that uses it is emitted (`TensorData.read`, ../graph/onnx.ts). There is
 * no whole-file buffer: a >2 GiB file, an HTTP source or a `Blob` is read tensor by tensor, and fp16/bf16
 * tensors are widened to float32 one at a time (the fp32 compute path). Each tensor's bytes are checked finite
 * as they are read (`assertFinite`), so a corrupt checkpoint fails on load naming the tensor, not with NaN frames.
 * `new WeightStore(bytes)` keeps the in-memory form (tests, small files); its tensors are views, no copy.
 *
 * Names as published checkpoints have them: `view()` maps the names a builder asks for to the checkpoint's
 * (the VAE's deprecated attention block, ./vae.ts) and can drop the trailing 1×1 of conv-shaped linear weights.
 * A missing or mis-shaped parameter is a typed error naming it.
 */
import { AppError } from '../../../src/core/protocol/errors';
import {
  assertFinite,
  parseHeader,
  parseSafetensors,
  readHeaderLength,
  SafetensorsError,
  toFloat32,
  type SafetensorsHeader,
  type TensorInfo,
} from '../../../src/core/tensors/safetensors';
import type { StoredHalf, TensorData } from '../graph/ir';

export class WeightError extends AppError<'MODEL_WEIGHTS_MISMATCH'> {
  constructor(message: string, details: Readonly<Record<string, string | number | boolean>>) {
    super('MODEL_WEIGHTS_MISMATCH', message, details);
    this.name = 'WeightError';
  }
}

/** Byte-range reads of one file: Node file reads, HTTP Range requests, `Blob.slice`, or memory. */
export interface RangeReader {
  readonly size: number;
  /** Bytes [start, end) of the file; must return exactly end − start bytes. */
  read(start: number, end: number): Promise<Uint8Array>;
}

/** A file already in memory as a RangeReader (ranges are views). */
export function memoryReader(file: Uint8Array): RangeReader {
  return { size: file.byteLength, read: (start, end) => Promise.resolve(file.subarray(start, end)) };
}

/** How a builder's parameter name maps to the checkpoint: the stored name, and the shape the builder sees. */
export interface WeightAlias {
  readonly name: string;
  /** Reshape (same bytes, row-major): e.g. a [C, C, 1, 1] attention weight read as [C, C]. */
  readonly shape?: (stored: readonly number[]) => readonly number[];
}

interface Entry {
  readonly info: TensorInfo;
  readonly shape: readonly number[];
}

const FLOAT_DTYPES: readonly string[] = ['F32', 'F16', 'BF16'];

/**
 * Float32 bytes of one tensor given its stored bytes (`raw` holds exactly the tensor's range), after the one
 * validator's per-tensor finiteness check (src/core/tensors/safetensors.ts `assertFinite`) on what was read.
 */
function widen(raw: Uint8Array, info: TensorInfo, fileName: string): Uint8Array {
  assertFinite(raw, info.dtype, info.name, fileName);
  if (info.dtype === 'F32' && raw.byteOffset % 4 === 0) return raw;
  const f = toFloat32(raw, { ...info, begin: 0, end: raw.byteLength });
  return new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
}

/** The binary16 bytes of an F16 tensor, checked finite, never widened (copied out of a whole file: aligned). */
function storedHalf(file: Uint8Array | undefined, reader: RangeReader, info: TensorInfo, fileName: string): StoredHalf {
  const checked = (raw: Uint8Array): Uint8Array => {
    assertFinite(raw, info.dtype, info.name, fileName);
    return raw;
  };
  return {
    byteLength: info.end - info.begin,
    bytes: () => {
      if (!file)
        throw new Error(`${fileName}: "${info.name}" is streamed; emit the graph with emitModelAsync (read()).`);
      return checked(file.slice(info.begin, info.end));
    },
    read: async () => checked(await reader.read(info.begin, info.end)),
  };
}

export class WeightStore {
  /** Stored names a builder read (shared by a store and its views). */
  readonly used: Set<string>;
  private readonly header: SafetensorsHeader;
  private readonly reader: RangeReader;
  /** The whole file, when the store was built from memory (sync `bytes()` then works). */
  private readonly file: Uint8Array | undefined;
  private readonly alias: (name: string) => WeightAlias | undefined;

  constructor(
    file: Uint8Array | { readonly header: SafetensorsHeader; readonly reader: RangeReader },
    readonly fileName = 'weights.safetensors',
    alias?: (name: string) => WeightAlias | undefined,
    used?: Set<string>,
  ) {
    this.used = used ?? new Set();
    if (file instanceof Uint8Array) {
      this.file = file;
      this.header = parseSafetensors(file, fileName);
      this.reader = memoryReader(file);
    } else {
      this.file = undefined;
      this.header = file.header;
      this.reader = file.reader;
    }
    this.alias = alias ?? (() => undefined);
  }

  /** Reads and validates the header only (two range reads); tensors are read when a network is emitted. */
  static async open(reader: RangeReader, fileName: string): Promise<WeightStore> {
    let header: SafetensorsHeader;
    try {
      const n = readHeaderLength(await reader.read(0, Math.min(8, reader.size)), reader.size);
      header = parseHeader(await reader.read(8, 8 + n), reader.size);
    } catch (e) {
      throw e instanceof SafetensorsError ? e.inFile(fileName) : e;
    }
    return new WeightStore({ header, reader }, fileName);
  }

  /**
   * The same file under other names: `alias(name)` gives the stored name (and reshape) for a name a builder
   * asks for, or undefined to use the name as is. `used` is shared, under the stored names.
   */
  view(alias: (name: string) => WeightAlias | undefined): WeightStore {
    return new WeightStore(this.file ?? { header: this.header, reader: this.reader }, this.fileName, alias, this.used);
  }

  private entry(name: string): Entry | undefined {
    const a = this.alias(name);
    const info = this.header.tensors.get(a?.name ?? name);
    if (!info) return undefined;
    return { info, shape: a?.shape ? a.shape(info.shape) : info.shape };
  }

  has(name: string): boolean {
    return this.entry(name) !== undefined;
  }

  names(): string[] {
    return [...this.header.tensors.keys()];
  }

  shape(name: string): readonly number[] {
    return this.info(name).shape;
  }

  private info(name: string): Entry {
    const e = this.entry(name);
    if (!e)
      throw new WeightError(
        `${this.fileName} has no tensor "${name}": the checkpoint does not match its config.json.`,
        {
          file: this.fileName,
          tensor: name,
        },
      );
    return e;
  }

  /** The parameter as initializer data; `expected` (if given) must match its shape exactly. */
  get(name: string, expected?: readonly number[]): TensorData {
    const { info, shape } = this.info(name);
    if (expected && (expected.length !== shape.length || expected.some((d, i) => d !== shape[i])))
      throw new WeightError(
        `${this.fileName}: "${name}" has shape [${shape.join(', ')}], the config implies [${expected.join(', ')}].`,
        { file: this.fileName, tensor: name },
      );
    if (!FLOAT_DTYPES.includes(info.dtype))
      throw new WeightError(`${this.fileName}: "${name}" is ${info.dtype}; weights must be F32, F16 or BF16.`, {
        file: this.fileName,
        tensor: name,
      });
    this.used.add(info.name);
    const { file, reader, fileName } = this;
    const elements = shape.reduce((a, d) => a * d, 1);
    return {
      dtype: 'float32',
      shape,
      byteLength: elements * 4,
      isWeight: true,
      bytes: () => {
        if (!file)
          throw new Error(`${fileName}: "${info.name}" is streamed; emit the graph with emitModelAsync (read()).`);
        return widen(file.subarray(info.begin, info.end), info, fileName);
      },
      read: async () => widen(await reader.read(info.begin, info.end), info, fileName),
      // F16 as stored (the CPU graphs keep it, ../graph/fp16-weights.ts); BF16 has no ORT CPU Cast path here.
      ...(info.dtype === 'F16' ? { half: storedHalf(file, reader, info, fileName) } : {}),
    };
  }

  /** Parameters present in the file that no builder read (a mapping mistake or an unsupported feature). */
  unused(): string[] {
    return this.names().filter((n) => !this.used.has(n));
  }
}
