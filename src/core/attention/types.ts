/**
 * Shapes and ST-Layout modulation inputs shared by the CPU reference attention and the WGSL kernels
 * (DESIGN §3.4). Layout of every tensor is the one the projections produce: Q [B, Nq, H·d], K/V [Bkv, Nk, H·d],
 * heads interleaved in the channel axis (channel = head·d + j), tokens frame-major.
 */

export interface AttentionShape {
  /** B: batch items of Q and of the output. */
  readonly batch: number;
  /** Bkv: batch items of K/V; item b reads K/V item floor(b / (B / Bkv)). B must be a multiple of Bkv. */
  readonly kvBatch: number;
  /** Nq: query tokens per item. */
  readonly queries: number;
  /** Nk: key/value tokens per item. */
  readonly keys: number;
  readonly heads: number;
  readonly headDim: number;
}

/**
 * Per-token region maps, fixed for a resolution during a job.
 * Batch item b uses group g = b mod groups: its query q has bits queryBits[g·Nq + q] and size
 * sizeReg[g·Nq + q]; R[q, k] = (queryBits[g·Nq + q] & keyBits[k]) != 0.
 * Self-attention: groups 1, queryBits = keyBits = regionBits [F·h·w]. Cross-attention run per frame
 * (B = 2F, item b = (cfgHalf, frame)): groups F, queryBits = regionBits [F·h·w], keyBits = textTokenBits [77].
 */
export interface ModulationMaps {
  readonly groups: number;
  readonly queryBits: Uint32Array;
  readonly keyBits: Uint32Array;
  readonly sizeReg: Float32Array;
}

/**
 * Modulation of one call: the maps plus a per-item strength w·treg(t) (0 for an item that is not modulated,
 * which is how the classifier-free-guidance half switch is expressed). a[b, q] = itemStrength[b] · sizeReg[..].
 */
export interface Modulation {
  readonly maps: ModulationMaps;
  readonly itemStrength: Float32Array;
}

/** Which classifier-free-guidance half is modulated (DESIGN §3.4: `selfModulationBranch`). */
export type CfgBranch = 'uncond' | 'cond' | 'both' | 'none';

export class AttentionInputError extends Error {
  override readonly name = 'AttentionInputError';
  readonly code = 'ATTENTION_BAD_INPUT';
}

/** Self-attention maps from the layout compiler's arrays for one resolution ([F·h·w] each). */
export function selfModulationMaps(regionBits: Uint32Array, sizeReg: Float32Array): ModulationMaps {
  return { groups: 1, queryBits: regionBits, keyBits: regionBits, sizeReg };
}

/** Cross-attention maps: query bits/size per frame ([F·h·w]), text-token bits [77]. */
export function crossModulationMaps(
  frames: number,
  regionBits: Uint32Array,
  crossSizeReg: Float32Array,
  textTokenBits: Uint32Array,
): ModulationMaps {
  return { groups: frames, queryBits: regionBits, keyBits: textTokenBits, sizeReg: crossSizeReg };
}

/**
 * Per-item strengths for a CFG batch: items [0, B/2) are the unconditional half, [B/2, B) the conditional one.
 * `strength` is w·treg(t) (treg: src/core/schedule/policy.ts).
 */
export function cfgItemStrength(batch: number, branch: CfgBranch, strength: number): Float32Array {
  if (batch % 2 !== 0 && branch !== 'both' && branch !== 'none')
    throw new AttentionInputError(`a CFG half switch needs an even batch, got ${batch}`);
  const out = new Float32Array(batch);
  const half = batch / 2;
  for (let b = 0; b < batch; b++) {
    const on = branch === 'both' || (branch === 'uncond' && b < half) || (branch === 'cond' && b >= half);
    out[b] = on ? strength : 0;
  }
  return out;
}

/** Checks a shape and (optionally) a modulation against it; throws AttentionInputError naming the field. */
export function validateAttention(shape: AttentionShape, modulation?: Modulation): void {
  const { batch, kvBatch, queries, heads, headDim } = shape;
  for (const [name, v] of Object.entries(shape))
    if (!Number.isInteger(v) || v < 1)
      throw new AttentionInputError(`attention ${name} must be a positive integer, got ${v}`);
  if (batch % kvBatch !== 0)
    throw new AttentionInputError(`attention batch ${batch} is not a multiple of the K/V batch ${kvBatch}`);
  if (heads * headDim > 1 << 20) throw new AttentionInputError(`attention channels ${heads * headDim} are too many`);
  if (!modulation) return;
  const { maps, itemStrength } = modulation;
  const perGroup = maps.groups * queries;
  if (maps.queryBits.length !== perGroup)
    throw new AttentionInputError(
      `modulation queryBits has ${maps.queryBits.length} entries, expected groups·Nq = ${perGroup}`,
    );
  if (maps.sizeReg.length !== perGroup)
    throw new AttentionInputError(
      `modulation sizeReg has ${maps.sizeReg.length} entries, expected groups·Nq = ${perGroup}`,
    );
  validateModulationSizes(shape, { groups: maps.groups, queries, keys: maps.keyBits.length }, itemStrength);
}

/** Checks maps of `groups` × `queries` query entries and `keys` key entries (and per-item strengths) against a shape. */
export function validateModulationSizes(
  shape: AttentionShape,
  maps: { readonly groups: number; readonly queries: number; readonly keys: number },
  itemStrength: Float32Array,
): void {
  if (!Number.isInteger(maps.groups) || maps.groups < 1)
    throw new AttentionInputError(`modulation groups must be a positive integer, got ${maps.groups}`);
  if (maps.queries !== shape.queries)
    throw new AttentionInputError(
      `modulation maps are for ${maps.queries} queries per group, the call has Nq = ${shape.queries}`,
    );
  if (maps.keys !== shape.keys)
    throw new AttentionInputError(`modulation keyBits has ${maps.keys} entries, expected Nk = ${shape.keys}`);
  if (itemStrength.length !== shape.batch)
    throw new AttentionInputError(
      `modulation itemStrength has ${itemStrength.length} entries, expected B = ${shape.batch}`,
    );
}
