/**
 * fp16 emulation (issue 12): an fp32 op graph that rounds to IEEE binary16 wherever the fp16 compute path would
 * store a value in fp16, so the fp16 path's numerics can be measured on machines without `shader-f16` (Node's
 * wasm backend, SwiftShader) against the fp32 goldens.
 *
 * What the fp16 path stores in fp16, and so what is rounded here (round to nearest even, overflow to ±∞):
 * - weights (fp16 checkpoints are used as stored) and the builders' float constants;
 * - every float tensor between ops: graph inputs, and each op's outputs (a Cast fp32→fp16→fp32 pair after it).
 * What stays fp32 (the fp32 islands): the arithmetic inside each op — accumulation in MatMul/Conv, the mean and
 * variance of InstanceNormalization (GroupNorm) and LayerNormalization, the softmax sums of the attention kernels
 * (they accumulate in f32 in their f16 variant too). The emulation therefore models fp16 storage with fp32
 * accumulation; a GPU kernel that accumulated in fp16 would be less exact than this.
 * One fp32 island spans ops: the sinusoidal timestep projection. diffusers computes `get_timestep_embedding` in
 * float32 whatever the model's dtype and casts only its result (`t_emb.to(dtype=sample.dtype)`): in fp16 the
 * arguments t·freq (up to ~1000 rad) would lose whole radians. So the `timestep` input and the ops fed only by it
 * and constants (up to the first op with a weight) stay fp32; their result is rounded where it leaves the island.
 * Integer tensors (shapes, ids, indices) are left alone.
 */
import type { OpNode, TensorData } from './ir';
import type { OpGraph } from './onnx';

const TO_FLOAT16 = 10;
const TO_FLOAT = 1;

function roundHalfEven(q: number): number {
  const f = Math.floor(q);
  const d = q - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** x rounded to the nearest binary16 value (ties to even), as a double; |x| ≥ 65520 → ±∞, NaN stays NaN. */
export function roundToHalf(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x);
  const sign = x < 0 ? -1 : 1;
  if (a >= 65520) return sign * Infinity;
  if (a < 2 ** -14) return sign * roundHalfEven(a / 2 ** -24) * 2 ** -24; // subnormals: a fixed step of 2⁻²⁴
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  const ulp = 2 ** (e - 10);
  return sign * roundHalfEven(a / ulp) * ulp;
}

/** Float32 values rounded to binary16 (a new array). */
export function roundArrayToHalf(values: Float32Array): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = roundToHalf(values[i]!);
  return out;
}

function roundedWeight(data: TensorData): TensorData {
  const round = (bytes: Uint8Array): Uint8Array => {
    const copy = bytes.slice();
    const f = new Float32Array(copy.buffer, 0, copy.byteLength / 4);
    for (let i = 0; i < f.length; i++) f[i] = roundToHalf(f[i]!);
    return copy;
  };
  const read = data.read;
  return {
    ...data,
    bytes: () => round(data.bytes()),
    ...(read ? { read: async () => round(await read.call(data)) } : {}),
  };
}

/** Which values of the graph hold integers (so are not rounded): int64 initializers and inputs, and what ops derive from them. */
export function integerValues(graph: OpGraph): Set<string> {
  const ints = new Set<string>();
  for (const [name, data] of graph.initializers) if (data.dtype === 'int64') ints.add(name);
  for (const i of graph.inputs) if (i.dtype === 'int64') ints.add(i.name);
  const passThrough = new Set([
    'Reshape',
    'Transpose',
    'Slice',
    'Concat',
    'Squeeze',
    'Unsqueeze',
    'Identity',
    'Gather',
  ]);
  for (const n of graph.nodes) {
    const to = n.op === 'Cast' ? (n.attrs.to as { int?: number } | undefined)?.int : undefined;
    const integer =
      n.op === 'Shape' ||
      (to !== undefined && to !== TO_FLOAT && to !== TO_FLOAT16) ||
      (passThrough.has(n.op) && ints.has(n.inputs[0]!));
    if (integer) for (const o of n.outputs) ints.add(o);
  }
  return ints;
}

/** Inputs whose dependent ops form an fp32 island (see the header). */
const FP32_ISLAND_INPUTS = ['timestep'];
/** Ops that apply weights: an island ends before them. */
const WEIGHT_OPS = new Set(['MatMul', 'Gemm', 'Conv']);

/** Values computed in the fp32 island: fed only by island inputs, other island values and initializers. */
export function islandValues(graph: OpGraph): Set<string> {
  const island = new Set(graph.inputs.map((i) => i.name).filter((n) => FP32_ISLAND_INPUTS.includes(n)));
  for (const n of graph.nodes) {
    if (WEIGHT_OPS.has(n.op)) continue;
    const fed = n.inputs.filter((i) => i !== '' && !graph.initializers.has(i));
    if (fed.length > 0 && fed.every((i) => island.has(i))) for (const o of n.outputs) island.add(o);
  }
  return island;
}

/** The graph with binary16 rounding at every point the fp16 path stores a float tensor (see the header). */
export function emulateFp16(graph: OpGraph): OpGraph {
  const ints = integerValues(graph);
  const island = islandValues(graph);
  const initializers = new Map<string, TensorData>();
  for (const [name, data] of graph.initializers)
    initializers.set(name, data.dtype === 'float32' ? roundedWeight(data) : data);
  const nodes: OpNode[] = [];
  const renamed = new Map<string, string>();
  let k = 0;
  // value → Cast(fp16) → Cast(fp32) → `rounded`; consumers read `rounded`.
  const roundTrip = (value: string, rounded: string) => {
    const half = `${rounded}/fp16`;
    nodes.push({
      kind: 'op',
      name: `fp16_emulation_${k++}`,
      op: 'Cast',
      inputs: [value],
      outputs: [half],
      attrs: { to: { int: TO_FLOAT16 } },
    });
    nodes.push({
      kind: 'op',
      name: `fp16_emulation_${k++}`,
      op: 'Cast',
      inputs: [half],
      outputs: [rounded],
      attrs: { to: { int: TO_FLOAT } },
    });
  };
  // Island values keep their fp32 name inside the island; ops outside read a rounded copy (made on first use).
  const leaving = new Map<string, string>();
  const readOutside = (value: string): string => {
    let rounded = leaving.get(value);
    if (!rounded) {
      rounded = `${value}/as_fp16`;
      roundTrip(value, rounded);
      leaving.set(value, rounded);
    }
    return rounded;
  };
  for (const input of graph.inputs)
    if (input.dtype === 'float32' && !island.has(input.name)) {
      const rounded = `${input.name}/as_fp16`;
      roundTrip(input.name, rounded);
      renamed.set(input.name, rounded);
    }
  for (const node of graph.nodes) {
    const inIsland = node.outputs.some((o) => island.has(o));
    const inputs = node.inputs.map((i) =>
      !inIsland && island.has(i) && !ints.has(i) ? readOutside(i) : (renamed.get(i) ?? i),
    );
    if (inIsland) {
      nodes.push({ ...node, inputs });
      continue;
    }
    const floatOutputs = node.outputs.filter((o) => !ints.has(o) && o !== '');
    // The op writes `<out>/fp32`; its consumers and the graph output keep the original name, now rounded.
    const outputs = node.outputs.map((o) => (floatOutputs.includes(o) ? `${o}/fp32` : o));
    nodes.push({ ...node, inputs, outputs });
    for (const o of floatOutputs) roundTrip(`${o}/fp32`, o);
  }
  return { ...graph, nodes, initializers };
}
