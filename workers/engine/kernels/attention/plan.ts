/**
 * Dispatch and memory plan of one attention call (pure: no GPU objects). Splits a call into chunks so that
 * no dispatch exceeds maxComputeWorkgroupsPerDimension and no binding exceeds maxStorageBufferBindingSize
 * (bindings start at aligned offsets; the leftover is an element offset in Params). Memory is linear in the
 * tokens: the kernel allocates its output, the per-call params/strengths and the modulation maps, never Nq×Nk.
 */
import { AppError } from '../../../../src/core/protocol/errors';
import { AttentionInputError, validateAttention, type AttentionShape } from '../../../../src/core/attention/types';
import { PARAMS_BYTES, type StorageType } from './shader';
import { keyOrderWords } from './key-order';

export interface AttentionLimits {
  readonly maxStorageBufferBindingSize: number;
  readonly maxBufferSize: number;
  readonly maxComputeWorkgroupsPerDimension: number;
  readonly minStorageBufferOffsetAlignment: number;
  readonly minUniformBufferOffsetAlignment: number;
}

export interface AttentionChunk {
  /** Items [b0, b1) and query rows [q0, q1) (full rows when b1 − b0 > 1). */
  readonly b0: number;
  readonly b1: number;
  readonly q0: number;
  readonly q1: number;
  /**
   * Whether the chunk's items run modulated. With `splitByStrength` (the row and tiled kernels) items with strength 0
   * are in chunks of their own, dispatched to the plain kernel; the subgroup-matrix kernel branches per item and
   * takes every item here.
   */
  readonly modulated: boolean;
  /** K/V items [kb0, kb1). */
  readonly kb0: number;
  readonly kb1: number;
  /** Byte ranges bound for Q/O and K/V (offset aligned, size a multiple of 4) and the element offsets left over. */
  readonly qBinding: { readonly offset: number; readonly size: number };
  readonly kvBinding: { readonly offset: number; readonly size: number };
  readonly qOffset: number;
  readonly kvOffset: number;
  readonly workgroups: readonly [number, number, number];
}

export interface AttentionPlan {
  readonly chunks: readonly AttentionChunk[];
  /** Q + K + V bytes (the caller's tensors). */
  readonly inputBytes: number;
  /** The output tensor, allocated by the wrapper unless the caller passes one. */
  readonly outputBytes: number;
  /** Modulation maps (query bits + size_reg + key bits + key order), uploaded once per resolution. */
  readonly mapsBytes: number;
  /** Params of every chunk + per-item strengths, allocated per call. */
  readonly scratchBytes: number;
  /** Everything the wrapper allocates for the call: output + maps + scratch. */
  readonly allocatedBytes: number;
  /** inputs + allocated: the call's peak. */
  readonly peakBytes: number;
}

export class AttentionTooLargeError extends AppError<'ATTENTION_TOO_LARGE'> {
  constructor(message: string) {
    super('ATTENTION_TOO_LARGE', message);
    this.name = 'AttentionTooLargeError';
  }
}

const roundUp = (x: number, m: number): number => Math.ceil(x / m) * m;

export function planAttention(
  shape: AttentionShape,
  opts: {
    storage: StorageType;
    blockQ: number;
    modulated: boolean;
    groups?: number;
    /** Chunks never mix modulated items and items of strength 0 (the row and tiled kernels run the latter plain). */
    splitByStrength?: boolean;
    /** Per item, whether its strength is ≠ 0 (default: all; row-kernel calls split chunks where it changes). */
    modulatedItems?: readonly boolean[];
    /** Runs of the maps' key order (key-order.ts); default Nk, the most there can be. */
    keyRuns?: number;
  },
  limits: AttentionLimits,
): AttentionPlan {
  validateAttention(shape);
  const { batch, kvBatch, queries: nq, keys: nk, heads, headDim } = shape;
  const elem = opts.storage === 'f16' ? 2 : 4;
  const rowBytes = heads * headDim * elem;
  const align = limits.minStorageBufferOffsetAlignment;
  // A binding starts up to `align − 1` bytes before its data and ends on a 4-byte boundary.
  const usable = Math.floor((limits.maxStorageBufferBindingSize - align - 4) / 4) * 4;
  const maxGroups = limits.maxComputeWorkgroupsPerDimension;
  const itemsPerKv = batch / kvBatch;
  const qBytes = batch * nq * rowBytes;
  const kvBytes = kvBatch * nk * rowBytes;
  const what = `attention [B ${batch}, Nq ${nq}, Nk ${nk}, ${heads}×${headDim} ${opts.storage}]`;
  if (roundUp(Math.max(qBytes, kvBytes), 4) > limits.maxBufferSize)
    throw new AttentionTooLargeError(
      `${what}: a ${Math.max(qBytes, kvBytes)}-byte tensor exceeds this GPU's buffer limit (${limits.maxBufferSize} bytes). Use fewer frames or a smaller size.`,
    );
  if (nk * rowBytes > usable)
    throw new AttentionTooLargeError(
      `${what}: one item's K/V (${nk * rowBytes} bytes) cannot be bound on this GPU (binding limit ${limits.maxStorageBufferBindingSize} bytes). Use fewer frames or a smaller size.`,
    );
  if (heads > maxGroups)
    throw new AttentionTooLargeError(`${what}: ${heads} heads exceed ${maxGroups} workgroups per dimension`);

  const binding = (start: number, end: number): { offset: number; size: number; elemOffset: number } => {
    const offset = Math.floor(start / align) * align;
    return { offset, size: roundUp(end - offset, 4), elemOffset: (start - offset) / elem };
  };
  const split = opts.modulated && !!opts.splitByStrength;
  if (opts.modulatedItems && opts.modulatedItems.length !== batch)
    throw new AttentionInputError(`${what}: ${opts.modulatedItems.length} item flags for ${batch} items`);
  const itemModulated = (b: number): boolean => opts.modulated && (opts.modulatedItems?.[b] ?? true);
  const chunk = (b0: number, b1: number, q0: number, q1: number): AttentionChunk => {
    const kb0 = Math.floor(b0 / itemsPerKv);
    const kb1 = Math.floor((b1 - 1) / itemsPerKv) + 1;
    const q = binding((b0 * nq + q0) * rowBytes, ((b1 - 1) * nq + q1) * rowBytes);
    const kv = binding(kb0 * nk * rowBytes, kb1 * nk * rowBytes);
    return {
      b0,
      b1,
      q0,
      q1,
      modulated: split ? itemModulated(b0) : opts.modulated,
      kb0,
      kb1,
      qBinding: { offset: q.offset, size: q.size },
      kvBinding: { offset: kv.offset, size: kv.size },
      qOffset: q.elemOffset,
      kvOffset: kv.elemOffset,
      workgroups: [Math.ceil((q1 - q0) / opts.blockQ), heads, b1 - b0],
    };
  };
  const fits = (c: AttentionChunk): boolean =>
    c.qBinding.size <= limits.maxStorageBufferBindingSize &&
    c.kvBinding.size <= limits.maxStorageBufferBindingSize &&
    c.workgroups[0] <= maxGroups &&
    c.workgroups[2] <= maxGroups;

  const chunks: AttentionChunk[] = [];
  // Rows per chunk when one item must be split.
  const rowsPerChunk = Math.max(1, Math.floor(Math.min(usable / rowBytes, maxGroups * opts.blockQ)));
  let b = 0;
  while (b < batch) {
    const whole = chunk(b, b + 1, 0, nq);
    if (!fits(whole)) {
      for (let q0 = 0; q0 < nq; q0 += rowsPerChunk) chunks.push(chunk(b, b + 1, q0, Math.min(nq, q0 + rowsPerChunk)));
      b += 1;
      continue;
    }
    let b1 = b + 1;
    const same = (x: number): boolean => !split || itemModulated(x) === itemModulated(b);
    while (b1 < batch && same(b1) && fits(chunk(b, b1 + 1, 0, nq))) b1 += 1;
    chunks.push(chunk(b, b1, 0, nq));
    b = b1;
  }

  const groups = opts.groups ?? 1;
  const outputBytes = roundUp(qBytes, 16);
  const keyOrderBytes = roundUp(keyOrderWords(nk, opts.keyRuns ?? nk) * 4, 16);
  const mapsBytes = opts.modulated ? roundUp(groups * nq * 4, 16) * 2 + roundUp(nk * 4, 16) + keyOrderBytes : 0;
  const paramsStride = roundUp(PARAMS_BYTES, limits.minUniformBufferOffsetAlignment);
  const scratchBytes = chunks.length * paramsStride + (opts.modulated ? roundUp(batch * 4, 16) : 0);
  const allocatedBytes = outputBytes + mapsBytes + scratchBytes;
  return {
    chunks,
    inputBytes: qBytes + 2 * kvBytes,
    outputBytes,
    mapsBytes,
    scratchBytes,
    allocatedBytes,
    peakBytes: qBytes + 2 * kvBytes + allocatedBytes,
  };
}
