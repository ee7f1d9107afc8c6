/**
 * Reads the config.json fields the graph builders depend on. Untrusted JSON: every field is checked, and a
 * value the builders do not implement is refused with the field named (DESIGN §4), as a typed error.
 */
import { AppError } from '../../../src/core/protocol/errors.ts';

export type ConfigErrorCode = 'MODEL_ARCHITECTURE' | 'MODEL_CONFIG_INVALID';

export class ModelConfigError extends AppError<ConfigErrorCode> {
  constructor(code: ConfigErrorCode, message: string, details: Readonly<Record<string, string | number | boolean>>) {
    super(code, message, details);
    this.name = 'ModelConfigError';
  }
}

export type Json = Readonly<Record<string, unknown>>;

export class ConfigReader {
  readonly json: Json;
  constructor(
    json: unknown,
    readonly file: string,
  ) {
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw new ModelConfigError('MODEL_CONFIG_INVALID', `${file} is not a JSON object.`, { file });
    this.json = json as Json;
  }

  private value(field: string, fallback: unknown): unknown {
    return field in this.json && this.json[field] !== undefined ? this.json[field] : fallback;
  }

  invalid(field: string, why: string): never {
    throw new ModelConfigError('MODEL_CONFIG_INVALID', `${this.file}: "${field}" ${why}.`, { file: this.file, field });
  }

  unsupported(field: string, value: unknown, supported: string): never {
    throw new ModelConfigError(
      'MODEL_ARCHITECTURE',
      `${this.file}: "${field}" = ${JSON.stringify(value)} is not supported (supported: ${supported}); only Stable Diffusion 1.5-family models can be built.`,
      { file: this.file, field },
    );
  }

  int(field: string, fallback?: number): number {
    const v = this.value(field, fallback);
    if (!Number.isSafeInteger(v)) this.invalid(field, `must be an integer (got ${JSON.stringify(v)})`);
    return v as number;
  }

  positive(field: string, fallback?: number): number {
    const v = this.int(field, fallback);
    if (v <= 0) this.invalid(field, `must be positive (got ${v})`);
    return v;
  }

  number(field: string, fallback?: number): number {
    const v = this.value(field, fallback);
    if (typeof v !== 'number' || !Number.isFinite(v))
      this.invalid(field, `must be a number (got ${JSON.stringify(v)})`);
    return v;
  }

  bool(field: string, fallback?: boolean): boolean {
    const v = this.value(field, fallback);
    if (typeof v !== 'boolean') this.invalid(field, `must be true or false (got ${JSON.stringify(v)})`);
    return v;
  }

  string(field: string, fallback?: string): string {
    const v = this.value(field, fallback);
    if (typeof v !== 'string') this.invalid(field, `must be a string (got ${JSON.stringify(v)})`);
    return v;
  }

  positiveList(field: string, fallback?: number[]): number[] {
    const v = this.value(field, fallback);
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => Number.isSafeInteger(x) && x > 0))
      this.invalid(field, 'must be a non-empty list of positive integers');
    return v as number[];
  }

  stringList(field: string, fallback?: string[]): string[] {
    const v = this.value(field, fallback);
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string'))
      this.invalid(field, 'must be a non-empty list of strings');
    return v as string[];
  }

  /** An int, or a list whose entries are all equal to one int (per-block lists are allowed when uniform). */
  uniformInt(field: string, fallback: number): number {
    const v = this.value(field, fallback);
    if (Array.isArray(v)) {
      if (v.length === 0 || !v.every((x) => x === v[0])) this.unsupported(field, v, 'one value for every block');
      return new ConfigReader({ [field]: v[0] }, this.file).positive(field);
    }
    return this.positive(field, fallback);
  }

  /** Refuses any value other than the allowed ones (absent fields take `fallback`). */
  only(field: string, allowed: readonly unknown[], fallback: unknown = allowed[0]): void {
    const v = this.value(field, fallback);
    if (!allowed.some((a) => a === v)) this.unsupported(field, v, allowed.map((a) => JSON.stringify(a)).join(', '));
  }
}
