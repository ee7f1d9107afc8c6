/**
 * Weights by diffusers/transformers parameter name, read from a safetensors file already in memory.
 * The header is validated by src/core/tensors/safetensors.ts; here each initializer is a view of its own byte
 * range (float32: no copy; float16/bfloat16: widened to float32 when the graph is emitted, since the CPU
 * path computes in fp32). A missing or mis-shaped parameter is a typed error naming it.
 */
import { AppError } from '../../../src/core/protocol/errors.ts';
import {
  parseSafetensors,
  toFloat32,
  type SafetensorsHeader,
  type TensorInfo,
} from '../../../src/core/tensors/safetensors.ts';
import type { TensorData } from '../graph/ir.ts';

export class WeightError extends AppError<'MODEL_WEIGHTS_MISMATCH'> {
  constructor(message: string, details: Readonly<Record<string, string | number | boolean>>) {
    super('MODEL_WEIGHTS_MISMATCH', message, details);
    this.name = 'WeightError';
  }
}

export class WeightStore {
  private readonly header: SafetensorsHeader;
  readonly used = new Set<string>();

  constructor(
    private readonly file: Uint8Array,
    readonly fileName = 'weights.safetensors',
  ) {
    this.header = parseSafetensors(file);
  }

  has(name: string): boolean {
    return this.header.tensors.has(name);
  }

  names(): string[] {
    return [...this.header.tensors.keys()];
  }

  shape(name: string): readonly number[] {
    return this.info(name).shape;
  }

  private info(name: string): TensorInfo {
    const info = this.header.tensors.get(name);
    if (!info)
      throw new WeightError(
        `${this.fileName} has no tensor "${name}": the checkpoint does not match its config.json.`,
        {
          file: this.fileName,
          tensor: name,
        },
      );
    return info;
  }

  /** The parameter as initializer data; `expected` (if given) must match its shape exactly. */
  get(name: string, expected?: readonly number[]): TensorData {
    const info = this.info(name);
    if (expected && (expected.length !== info.shape.length || expected.some((d, i) => d !== info.shape[i])))
      throw new WeightError(
        `${this.fileName}: "${name}" has shape [${info.shape.join(', ')}], the config implies [${expected.join(', ')}].`,
        { file: this.fileName, tensor: name },
      );
    if (!['F32', 'F16', 'BF16'].includes(info.dtype))
      throw new WeightError(`${this.fileName}: "${name}" is ${info.dtype}; weights must be F32, F16 or BF16.`, {
        file: this.fileName,
        tensor: name,
      });
    this.used.add(name);
    const file = this.file;
    const elements = info.shape.reduce((a, d) => a * d, 1);
    return {
      dtype: 'float32',
      shape: info.shape,
      byteLength: elements * 4,
      isWeight: true,
      bytes: () => {
        if (info.dtype === 'F32' && info.begin % 4 === 0) return file.subarray(info.begin, info.end);
        const f = toFloat32(file, info);
        return new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
      },
    };
  }

  /** Parameters present in the file that no builder read (a mapping mistake or an unsupported feature). */
  unused(): string[] {
    return this.names().filter((n) => !this.used.has(n));
  }
}
