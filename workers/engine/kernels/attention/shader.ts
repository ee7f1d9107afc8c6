/**
 * Builds the WGSL of the attention kernel variants from attention.wgsl: the constants (head dim, tile sizes),
 * the element type and the Params struct are generated here, so TS and WGSL share one definition.
 * `//#if NAME` / `//#else` / `//#endif` lines in the .wgsl select variant code.
 */
import attentionWgsl from './attention.wgsl?raw';

export type StorageType = 'f32' | 'f16';

/** Params of one dispatch chunk, in struct order (all u32 except `scale`). */
export const PARAM_FIELDS = [
  'nq',
  'nk',
  'channels',
  'groups',
  'itemsPerKv',
  'b0',
  'q0',
  'qRows',
  'qOffset',
  'kvOffset',
  'kb0',
  'scale',
] as const;
export type ParamName = (typeof PARAM_FIELDS)[number];
const FLOAT_PARAMS: ReadonlySet<ParamName> = new Set(['scale']);
/** Bytes of the Params struct (rounded to 16 as uniform buffers need). */
export const PARAMS_BYTES = Math.ceil((PARAM_FIELDS.length * 4) / 16) * 16;

export interface AttentionVariant {
  readonly headDim: number;
  readonly storage: StorageType;
  readonly modulated: boolean;
  readonly blockQ: number;
  readonly blockK: number;
}

/** Most keys per tile: the per-thread score array is BLOCK_K long. */
export const MAX_BLOCK_K = 32;
export const DEFAULT_BLOCK_Q = 64;

/** Tile sizes that fit the device's workgroup memory (K and V tiles of BLOCK_K × d f32 + the bits tile). */
export function chooseTiles(
  headDim: number,
  maxWorkgroupStorageBytes: number,
  maxInvocationsPerWorkgroup: number,
): { blockQ: number; blockK: number } {
  const spare = maxWorkgroupStorageBytes - (MAX_BLOCK_K * 4 + 16);
  const blockK = Math.min(MAX_BLOCK_K, Math.floor(spare / (2 * 4 * headDim)));
  return { blockQ: Math.min(DEFAULT_BLOCK_Q, maxInvocationsPerWorkgroup), blockK };
}

/** Applies `//#if FLAG` / `//#else` / `//#endif` (nestable) for the given flags. */
export function preprocess(source: string, flags: Readonly<Record<string, boolean>>): string {
  const keep: boolean[] = [];
  const out: string[] = [];
  for (const line of source.split('\n')) {
    const directive = /^\s*\/\/#(if|else|endif)\s*(\w*)/.exec(line);
    if (directive) {
      const [, kind, name] = directive;
      if (kind === 'if') {
        if (!name || !(name in flags)) throw new Error(`WGSL preprocessor: unknown flag "${name}"`);
        keep.push(flags[name]!);
      } else if (kind === 'else') keep.push(!keep.pop());
      else keep.pop();
      continue;
    }
    if (keep.every(Boolean)) out.push(line);
  }
  if (keep.length !== 0) throw new Error('WGSL preprocessor: unbalanced //#if');
  return out.join('\n');
}

export function paramsStructWgsl(): string {
  const fields = PARAM_FIELDS.map((f) => `  ${f}: ${FLOAT_PARAMS.has(f) ? 'f32' : 'u32'},`);
  return `struct Params {\n${fields.join('\n')}\n}`;
}

/** Packs one chunk's params as the uniform buffer expects them. */
export function packParams(values: Readonly<Record<ParamName, number>>): ArrayBuffer {
  const buffer = new ArrayBuffer(PARAMS_BYTES);
  const u32 = new Uint32Array(buffer);
  const f32 = new Float32Array(buffer);
  PARAM_FIELDS.forEach((f, i) => {
    if (FLOAT_PARAMS.has(f)) f32[i] = values[f];
    else u32[i] = values[f];
  });
  return buffer;
}

export function attentionShaderSource(v: AttentionVariant): string {
  if (v.blockK < 1) throw new Error(`head dim ${v.headDim} does not fit the device's workgroup memory`);
  const prelude = [
    v.storage === 'f16' ? 'enable f16;' : '',
    `alias Elem = ${v.storage};`,
    `const HEAD_DIM: u32 = ${v.headDim}u;`,
    `const BLOCK_Q: u32 = ${v.blockQ}u;`,
    `const BLOCK_K: u32 = ${v.blockK}u;`,
    paramsStructWgsl(),
  ].join('\n');
  return `${prelude}\n${preprocess(attentionWgsl, { MODULATED: v.modulated })}`;
}
