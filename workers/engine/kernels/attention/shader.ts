/// <reference types="vite/client" />
/**
 * Builds the WGSL of the attention kernel variants from attention.wgsl: the constants (head dim, tile sizes
 * from tiles.ts), the element types, the `enable` lines and the Params struct are generated here, so TS and
 * WGSL share one definition.
 * `//#if NAME` / `//#else` / `//#endif` lines in the .wgsl select variant code.
 */
import attentionWgsl from './attention.wgsl?raw';
import { ROW_SUBGROUP, rowKernelSource, rowSubgroupsFit } from './rows';
import { deriveTiles, isRowKernel, type AttentionFeatures, type AttentionTiles, type StorageType } from './tiles';

export type { StorageType } from './tiles';

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
  readonly tiles: AttentionTiles;
  readonly features: AttentionFeatures;
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
  const t = v.tiles;
  if (isRowKernel(t, v.headDim))
    return rowKernelSource({
      headDim: v.headDim,
      storage: v.storage,
      modulated: v.modulated,
      tq: t.tq,
      rq: t.rq,
      rk: t.rk,
      loopD: t.dk !== v.headDim,
      // Tiles the K/V broadcast does not fit run without it (AttentionCore reports the same).
      subgroups: v.features.subgroups && rowSubgroupsFit(t, ROW_SUBGROUP),
      paramsStruct: paramsStructWgsl(),
    });
  const d = deriveTiles(t, v.headDim, v.storage, v.features, v.modulated);
  const prelude = [
    v.storage === 'f16' ? 'enable f16;' : '',
    v.features.subgroups ? 'enable subgroups;' : '',
    `alias Elem = ${v.storage};`,
    // Tiles in the storage type (f16 halves workgroup memory and staging traffic); all math in f32.
    `alias TileElem = ${v.storage};`,
    `const HEAD_DIM: u32 = ${v.headDim}u;`,
    `const TQ: u32 = ${t.tq}u;`,
    `const TK: u32 = ${t.tk}u;`,
    `const RQ: u32 = ${t.rq}u;`,
    `const RK: u32 = ${t.rk}u;`,
    `const DK: u32 = ${t.dk}u;`,
    `const DC: u32 = ${d.dc}u;`,
    `const DP: u32 = ${d.dp}u;`,
    `const BQ: u32 = ${d.blockQ}u;`,
    `const BK: u32 = ${d.blockK}u;`,
    `const THREADS: u32 = ${d.threads}u;`,
    paramsStructWgsl(),
  ]
    .filter(Boolean)
    .join('\n');
  const body = preprocess(attentionWgsl, {
    MODULATED: v.modulated,
    SUBGROUPS: v.features.subgroups,
    Q_RESIDENT: d.qResident,
    SPLIT_ROWS: t.tk > 1,
  });
  return `${prelude}\n${body}`;
}
