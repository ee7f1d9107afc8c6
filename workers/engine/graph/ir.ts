/**
 * The graph IR the model builders write and the ONNX emitter / partitioner read.
 *
 * A graph is a topologically ordered list of standard ONNX operator nodes plus `AttentionCore` nodes: the
 * softmax(QKᵀ/√d)·V of one attention module, kept as a first-class node so that it can be lowered either to
 * standard ops (one ONNX graph) or left as a partition point that an `AttentionBackend` runs (DESIGN §4).
 *
 * Tensor layout at a core: Q [B, N, H·d], K/V [Bk, Nk, H·d], heads interleaved in the channel axis
 * (channel = head·d + j). `frames` consecutive batch items of Q form one sequence: self-attention regroups
 * Q, K and V to [B/frames, frames·N, H·d] (all tokens of all frames, frame-major — a free reshape of the same
 * memory); cross-attention reads K/V item b·Bk/B, so K/V computed once per prompt ([B/frames, 77, H·d]) serve
 * every frame.
 */

export type ElemType = 'float32' | 'float16' | 'int64';

/** Initializer bytes, produced on demand (little-endian float32 or int64, row-major). */
export interface TensorData {
  readonly dtype: ElemType;
  readonly shape: readonly number[];
  readonly byteLength: number;
  /** Checkpoint parameters may live in external data; builder constants (shapes, scales) stay embedded. */
  readonly isWeight?: boolean;
  bytes(): Uint8Array;
  /** Streamed checkpoint parameters: reads (and widens) this tensor's byte range; emitModelAsync prefers it. */
  read?(): Promise<Uint8Array>;
  /**
   * A float32 weight stored as binary16 in its file: the stored bytes, unwidened (half the size). The CPU graphs
   * keep them as float16 initializers with a Cast at their use (./fp16-weights.ts).
   */
  readonly half?: StoredHalf;
}

/** A weight's binary16 bytes as its file stores them (little-endian, row-major; `byteLength` = elements × 2). */
export interface StoredHalf {
  readonly byteLength: number;
  bytes(): Uint8Array;
  read(): Promise<Uint8Array>;
}

export type AttrValue =
  | { readonly int: number }
  | { readonly float: number }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | { readonly string: string };

export interface OpNode {
  readonly kind: 'op';
  readonly name: string;
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Readonly<Record<string, AttrValue>>;
}

export interface AttentionCore {
  readonly kind: 'attention';
  /** The diffusers module path, e.g. `down_blocks.0.attentions.0.transformer_blocks.0.attn1`. */
  readonly name: string;
  readonly attention: 'self' | 'cross';
  readonly heads: number;
  readonly headDim: number;
  /** Batch items of Q that form one token sequence (self: Q/K/V regrouped; cross: Q items per K/V item). */
  readonly frames: number;
  /** Tokens per batch item of Q (h·w or 77). */
  readonly queryTokens: number;
  /** Tokens per batch item of K/V. */
  readonly keyTokens: number;
  /** Causal mask (CLIP). */
  readonly causal: boolean;
  readonly q: string;
  readonly k: string;
  readonly v: string;
  readonly output: string;
}

export type GraphNode = OpNode | AttentionCore;

export interface ValueSpec {
  readonly name: string;
  readonly dtype: ElemType;
  /** Static shape where known; omitted for values crossing a partition (ORT reads it from the tensor). */
  readonly shape?: readonly number[];
}

export interface Graph {
  readonly name: string;
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  readonly nodes: readonly GraphNode[];
  readonly initializers: ReadonlyMap<string, TensorData>;
  /** Element type of every non-float32 value (default float32). */
  readonly int64Values: ReadonlySet<string>;
}

export const int = (v: number): AttrValue => ({ int: v });
export const float = (v: number): AttrValue => ({ float: v });
export const ints = (v: readonly number[]): AttrValue => ({ ints: v });

export function float32Data(values: Float32Array | readonly number[], shape: readonly number[]): TensorData {
  const arr = values instanceof Float32Array ? values : Float32Array.from(values);
  return {
    dtype: 'float32',
    shape,
    byteLength: arr.byteLength,
    bytes: () => new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength),
  };
}

export function int64Data(values: readonly number[], shape: readonly number[]): TensorData {
  const arr = BigInt64Array.from(values, (v) => BigInt(v));
  return { dtype: 'int64', shape, byteLength: arr.byteLength, bytes: () => new Uint8Array(arr.buffer) };
}

/** Accumulates nodes with unique value names; the builders call it in execution order. */
export class GraphBuilder {
  private readonly nodes: GraphNode[] = [];
  private readonly initializers = new Map<string, TensorData>();
  private readonly inputs: ValueSpec[] = [];
  private readonly outputs: ValueSpec[] = [];
  private readonly int64Values = new Set<string>();
  private readonly constants = new Map<string, string>();
  private counter = 0;
  /** Names of values the builder tagged with a module path (debug taps). */
  readonly taps = new Map<string, string>();

  constructor(readonly name: string) {}

  input(name: string, dtype: ElemType, shape: readonly number[]): string {
    this.inputs.push({ name, dtype, shape });
    if (dtype === 'int64') this.int64Values.add(name);
    return name;
  }

  output(value: string, name: string, shape?: readonly number[]): void {
    const final = this.op('Identity', [value], {}, name);
    this.outputs.push({
      name: final,
      dtype: this.int64Values.has(value) ? 'int64' : 'float32',
      ...(shape ? { shape } : {}),
    });
  }

  /** Adds an initializer (weights are added once by name; repeated adds return the same name). */
  initializer(name: string, data: TensorData): string {
    if (!this.initializers.has(name)) this.initializers.set(name, data);
    if (data.dtype === 'int64') this.int64Values.add(name);
    return name;
  }

  /** A float32 scalar or small constant, deduplicated by value. */
  constF32(values: readonly number[], shape: readonly number[] = []): string {
    const key = `f32:${shape.join('x')}:${values.join(',')}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.initializer(`const_${this.constants.size}`, float32Data(values, shape));
      this.constants.set(key, name);
    }
    return name;
  }

  constI64(values: readonly number[]): string {
    const key = `i64:${values.join(',')}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.initializer(`const_${this.constants.size}`, int64Data(values, [values.length]));
      this.constants.set(key, name);
    }
    return name;
  }

  op(op: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, outputName?: string): string {
    const out = outputName ?? `${op}_${this.counter}`;
    this.nodes.push({ kind: 'op', name: `n${this.counter++}_${op}`, op, inputs, outputs: [out], attrs });
    if (
      (op === 'Cast' && (attrs.to as { int: number } | undefined)?.int === 7) ||
      (op === 'Identity' && this.int64Values.has(inputs[0]!))
    )
      this.int64Values.add(out);
    return out;
  }

  attention(core: Omit<AttentionCore, 'kind' | 'output'>): string {
    const output = `${core.name}/core_out`;
    this.nodes.push({ kind: 'attention', ...core, output });
    return output;
  }

  /** Records `value` as the output of the diffusers module `path` (exposed as a graph output in debug builds). */
  tap(path: string, value: string): string {
    this.taps.set(path, value);
    return value;
  }

  build(): Graph {
    return {
      name: this.name,
      inputs: this.inputs,
      outputs: this.outputs,
      nodes: this.nodes,
      initializers: this.initializers,
      int64Values: this.int64Values,
    };
  }
}
