/**
 * Serializes an op-only graph (after lowering, see ./lower.ts) to an onnx.ModelProto.
 * Field numbers from onnx/onnx.proto (IR version 8, opset 17):
 *   ModelProto: ir_version 1, producer_name 2, graph 7, opset_import 8 (OperatorSetIdProto: domain 1, version 2)
 *   GraphProto: node 1, name 2, initializer 5, input 11, output 12
 *   NodeProto: input 1, output 2, name 3, op_type 4, attribute 5
 *   AttributeProto: name 1, f 2, i 3, s 4, floats 7, ints 8, type 20 (FLOAT 1, INT 2, STRING 3, FLOATS 6, INTS 7)
 *   TensorProto: dims 1, data_type 2 (FLOAT 1, INT64 7, FLOAT16 10), name 8, raw_data 9, external_data 13
 *     (StringStringEntryProto: key 1, value 2), data_location 14 (EXTERNAL 1)
 *   ValueInfoProto: name 1, type 2; TypeProto: tensor_type 1; TypeProto.Tensor: elem_type 1, shape 2;
 *   TensorShapeProto: dim 1; Dimension: dim_value 1
 *
 * Weights: `embedded` puts each initializer's bytes in raw_data (Node tests, small graphs); `external` writes
 * data_location EXTERNAL entries pointing into one blob per session (`location`, offset, length) that the
 * caller hands to onnxruntime-web through the `externalData` session option — the browser path, which keeps
 * models over protobuf's 2 GiB limit loadable and lets a session take exactly the weights it uses.
 * `emitModelAsync` reads streamed weights (`TensorData.read`) one tensor at a time straight into that blob.
 */
import type { AttrValue, ElemType, OpNode, TensorData, ValueSpec } from './ir';
import { ProtoMessage } from './protobuf';

export const OPSET = 17;
const IR_VERSION = 8;
const DATA_TYPE: Record<ElemType, number> = { float32: 1, float16: 10, int64: 7 };

export interface OpGraph {
  readonly name: string;
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  readonly nodes: readonly OpNode[];
  readonly initializers: ReadonlyMap<string, TensorData>;
}

export type WeightPlacement = { readonly kind: 'embedded' } | { readonly kind: 'external'; readonly location: string };

export interface EmittedModel {
  readonly model: Uint8Array;
  /** Present for `external` placement: the bytes `location` refers to. */
  readonly external?: { readonly path: string; readonly data: Uint8Array };
}

function attribute(name: string, value: AttrValue): ProtoMessage {
  const m = new ProtoMessage().string(1, name);
  if ('int' in value) return m.varint(3, value.int).varint(20, 2);
  if ('float' in value) return m.float(2, value.float).varint(20, 1);
  if ('string' in value) return m.string(4, value.string).varint(20, 3);
  if ('ints' in value) {
    for (const v of value.ints) m.varint(8, v);
    return m.varint(20, 7);
  }
  for (const v of value.floats) m.float(7, v);
  return m.varint(20, 6);
}

function valueInfo(spec: ValueSpec): ProtoMessage {
  const tensorType = new ProtoMessage().varint(1, DATA_TYPE[spec.dtype]);
  if (spec.shape) {
    const shape = new ProtoMessage();
    for (const d of spec.shape) shape.message(1, new ProtoMessage().varint(1, d));
    tensorType.message(2, shape);
  }
  return new ProtoMessage().string(1, spec.name).message(2, new ProtoMessage().message(1, tensorType));
}

/** Byte placement of the external initializers: 8-byte aligned offsets in one blob per session. */
function externalLayout(graph: OpGraph, placement: WeightPlacement): { offsets: Map<string, number>; size: number } {
  const offsets = new Map<string, number>();
  let size = 0;
  if (placement.kind === 'embedded') return { offsets, size };
  for (const [name, data] of graph.initializers) {
    if (!data.isWeight) continue; // shape/scale constants must be embedded: ORT reads them during shape inference
    // ORT reads external data with the tensor's natural alignment; keep every offset 8-byte aligned.
    size = Math.ceil(size / 8) * 8;
    offsets.set(name, size);
    size += data.byteLength;
  }
  return { offsets, size };
}

function checkedLength(name: string, data: TensorData, bytes: Uint8Array): Uint8Array {
  if (bytes.byteLength !== data.byteLength)
    throw new Error(`initializer "${name}": ${bytes.byteLength} bytes read, ${data.byteLength} expected`);
  return bytes;
}

function encodeModel(
  graph: OpGraph,
  placement: WeightPlacement,
  embedded: (name: string, data: TensorData) => Uint8Array,
  offsets: ReadonlyMap<string, number>,
): Uint8Array {
  const g = new ProtoMessage();
  for (const node of graph.nodes) {
    const n = new ProtoMessage();
    for (const i of node.inputs) n.string(1, i);
    for (const o of node.outputs) n.string(2, o);
    n.string(3, node.name).string(4, node.op);
    for (const [k, v] of Object.entries(node.attrs)) n.message(5, attribute(k, v));
    g.message(1, n);
  }
  g.string(2, graph.name);
  for (const [name, data] of graph.initializers) {
    const t = new ProtoMessage();
    for (const d of data.shape) t.varint(1, d);
    t.varint(2, DATA_TYPE[data.dtype]).string(8, name);
    const offset = offsets.get(name);
    if (offset === undefined || placement.kind === 'embedded') {
      t.bytes(9, embedded(name, data));
    } else {
      const entry = (k: string, v: string) => new ProtoMessage().string(1, k).string(2, v);
      t.message(13, entry('location', placement.location));
      t.message(13, entry('offset', String(offset)));
      t.message(13, entry('length', String(data.byteLength)));
      t.varint(14, 1);
    }
    g.message(5, t);
  }
  for (const i of graph.inputs) g.message(11, valueInfo(i));
  for (const o of graph.outputs) g.message(12, valueInfo(o));
  return new ProtoMessage()
    .varint(1, IR_VERSION)
    .string(2, 'videograin')
    .message(7, g)
    .message(8, new ProtoMessage().string(1, '').varint(2, OPSET))
    .encode();
}

/** Emits a graph whose initializers are all in memory (`TensorData.bytes()`). */
export function emitModel(graph: OpGraph, placement: WeightPlacement = { kind: 'embedded' }): EmittedModel {
  const { offsets, size } = externalLayout(graph, placement);
  const model = encodeModel(graph, placement, (name, data) => checkedLength(name, data, data.bytes()), offsets);
  if (placement.kind === 'embedded') return { model };
  const blob = new Uint8Array(size);
  for (const [name, data] of graph.initializers) {
    const offset = offsets.get(name);
    if (offset !== undefined) blob.set(checkedLength(name, data, data.bytes()), offset);
  }
  return { model, external: { path: placement.location, data: blob } };
}

/**
 * Emits a graph whose weights may be streamed (`TensorData.read`, ../models/weights.ts): each tensor's range
 * is read in turn and copied to its place in the session's one external blob, so the peak is that blob plus
 * one tensor, never the weight files. Embedded initializers (constants, small sessions) are read first.
 */
export async function emitModelAsync(
  graph: OpGraph,
  placement: WeightPlacement = { kind: 'embedded' },
): Promise<EmittedModel> {
  const { offsets, size } = externalLayout(graph, placement);
  const embedded = new Map<string, Uint8Array>();
  for (const [name, data] of graph.initializers)
    if (!offsets.has(name)) embedded.set(name, checkedLength(name, data, data.read ? await data.read() : data.bytes()));
  const model = encodeModel(graph, placement, (name) => embedded.get(name)!, offsets);
  embedded.clear();
  if (placement.kind === 'embedded') return { model };
  const blob = new Uint8Array(size);
  for (const [name, data] of graph.initializers) {
    const offset = offsets.get(name);
    if (offset !== undefined) blob.set(checkedLength(name, data, data.read ? await data.read() : data.bytes()), offset);
  }
  return { model, external: { path: placement.location, data: blob } };
}
