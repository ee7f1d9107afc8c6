/**
 * The fp16 compute lowering (issue 12, DESIGN §3.1): an op graph whose float tensors are binary16, for adapters
 * with `shader-f16`. It stores exactly what the fp16 emulation (./precision.ts) rounds, so that emulation measures
 * this graph's error on machines without fp16 hardware:
 * - weights as binary16: fp16 files' bytes as stored (`TensorData.half`, no widening), fp32 files narrowed
 *   (round to nearest even); the builders' float constants too;
 * - every float tensor between ops (each op reads and writes fp16).
 * fp32 islands, and why:
 * - InstanceNormalization (GroupNorm) and LayerNormalization: their mean and variance over thousands of values
 *   lose digits in fp16, and a GroupNorm over 64×64×40 values at activation scale ~10 overflows a fp16 sum of
 *   squares; the op reads an fp32 copy of its input, uses fp32 scale/bias and writes fp16.
 * - Softmax (CLIP's attention as standard ops): its sum accumulates in fp32 the same way.
 * - The sinusoidal timestep projection: diffusers computes `get_timestep_embedding` in fp32 whatever the model's
 *   dtype (t·freq up to ~1000 rad would lose whole radians in fp16); those ops stay fp32 and their result is
 *   narrowed where it leaves the island (./precision.ts `islandValues`).
 * - Resize's `roi`/`scales` inputs are float32 by the ONNX spec whatever the data type.
 * The graph's own inputs and outputs stay float32 (Casts at the edges): the engine's tensors between networks, and
 * the WGSL attention kernels between partitioned segments, keep their fp32 interfaces. The VAE decoder's up blocks
 * stay fp16 here: the emulation on the tiny VAE shows no overflow, and real weights have not been measured.
 */
import type { OpNode, TensorData } from './ir';
import type { OpGraph } from './onnx';
import { integerValues, islandValues, roundToHalf } from './precision';

const TO_FLOAT16 = 10;
const TO_FLOAT = 1;

/** Ops computed in fp32 (see the header). */
const FP32_OPS = new Set(['InstanceNormalization', 'LayerNormalization', 'Softmax']);
/** Float inputs that keep float32 whatever the op's type: Resize's roi and scales. */
const FLOAT32_INPUTS: Readonly<Record<string, readonly number[]>> = { Resize: [1, 2] };

/** IEEE binary16 bits of x (round to nearest even, ±∞ past 65504). */
export function halfBits(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const r = roundToHalf(x);
  const sign = r < 0 || Object.is(r, -0) ? 0x8000 : 0;
  const a = Math.abs(r);
  if (a === Infinity) return sign | 0x7c00;
  if (a === 0) return sign;
  if (a < 2 ** -14) return sign | Math.round(a / 2 ** -24);
  const e = Math.floor(Math.log2(a));
  return sign | ((e + 15) << 10) | Math.round((a / 2 ** e - 1) * 1024);
}

function narrowed(data: TensorData): TensorData {
  const half = data.half;
  if (half)
    return {
      dtype: 'float16',
      shape: data.shape,
      byteLength: half.byteLength,
      ...(data.isWeight ? { isWeight: true } : {}),
      bytes: () => half.bytes(),
      read: () => half.read(),
    };
  const convert = (bytes: Uint8Array): Uint8Array => {
    const f = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    const out = new Uint16Array(f.length);
    for (let i = 0; i < f.length; i++) out[i] = halfBits(f[i]!);
    return new Uint8Array(out.buffer);
  };
  const read = data.read;
  return {
    dtype: 'float16',
    shape: data.shape,
    byteLength: data.byteLength / 2,
    ...(data.isWeight ? { isWeight: true } : {}),
    bytes: () => convert(data.bytes()),
    ...(read ? { read: async () => convert(await read.call(data)) } : {}),
  };
}

/** The graph computing in binary16 with the fp32 islands of the header; same inputs, outputs and names. */
export function toFp16(graph: OpGraph): OpGraph {
  const ints = integerValues(graph);
  const island = islandValues(graph);
  const isFloatInit = (v: string) => graph.initializers.get(v)?.dtype === 'float32';
  const initializers = new Map<string, TensorData>();
  for (const [name, data] of graph.initializers) if (data.dtype !== 'float32') initializers.set(name, data);
  const nodes: OpNode[] = [];
  let k = 0;
  const cast = (from: string, to: string, type: number) =>
    nodes.push({
      kind: 'op',
      name: `fp16_cast_${k++}`,
      op: 'Cast',
      inputs: [from],
      outputs: [to],
      attrs: { to: { int: type } },
    });

  // A float initializer in the form an op needs: fp16 under its own name, fp32 under `<name>/fp32`.
  const initAs = (name: string, fp32: boolean): string => {
    const data = graph.initializers.get(name)!;
    const key = fp32 ? `${name}/fp32` : name;
    if (!initializers.has(key)) initializers.set(key, fp32 ? data : narrowed(data));
    return key;
  };
  // fp16 name of each float value (graph inputs are cast on entry; island values on leaving the island).
  const half = new Map<string, string>();
  // fp32 copies of fp16 values, made once, for fp32 ops.
  const widened = new Map<string, string>();
  const outputs = new Set(graph.outputs.filter((o) => o.dtype === 'float32').map((o) => o.name));
  for (const input of graph.inputs)
    if (input.dtype === 'float32' && !island.has(input.name)) {
      half.set(input.name, `${input.name}/fp16`);
      cast(input.name, `${input.name}/fp16`, TO_FLOAT16);
    }
  const asHalf = (v: string): string => {
    const known = half.get(v);
    if (known) return known;
    if (!island.has(v)) throw new Error(`fp16 lowering: "${v}" is read before it is written`);
    const name = `${v}/as_fp16`;
    cast(v, name, TO_FLOAT16);
    half.set(v, name);
    return name;
  };
  const asFloat = (v: string): string => {
    if (island.has(v)) return v;
    let name = widened.get(v);
    if (!name) {
      name = `${v}/as_fp32`;
      cast(asHalf(v), name, TO_FLOAT);
      widened.set(v, name);
    }
    return name;
  };

  for (const node of graph.nodes) {
    const inIsland = node.outputs.some((o) => island.has(o));
    const fp32Op = inIsland || FP32_OPS.has(node.op);
    const keep32 = FLOAT32_INPUTS[node.op] ?? [];
    const inputs = node.inputs.map((i, at) => {
      if (i === '' || ints.has(i)) return i;
      const fp32 = fp32Op || keep32.includes(at);
      if (isFloatInit(i)) return initAs(i, fp32);
      return fp32 ? asFloat(i) : asHalf(i);
    });
    if (inIsland) {
      nodes.push({ ...node, inputs });
      continue;
    }
    const floatOutputs = node.outputs.filter((o) => o !== '' && !ints.has(o));
    let attrs = node.attrs;
    if (node.op === 'Cast' && (attrs.to as { int?: number } | undefined)?.int === TO_FLOAT && !fp32Op)
      attrs = { ...attrs, to: { int: TO_FLOAT16 } };
    // fp16 values get `<out>/fp16`; an fp32 op writes `<out>/fp32` and is narrowed after it.
    const written = node.outputs.map((o) => (floatOutputs.includes(o) ? (fp32Op ? `${o}/fp32` : `${o}/fp16`) : o));
    nodes.push({ ...node, inputs, outputs: written, attrs });
    for (const o of floatOutputs) {
      if (fp32Op) cast(`${o}/fp32`, `${o}/fp16`, TO_FLOAT16);
      half.set(o, `${o}/fp16`);
      if (outputs.has(o)) cast(`${o}/fp16`, o, TO_FLOAT);
    }
  }
  // A float graph output computed in the timestep island is already fp32 under its name.
  return { ...graph, nodes, initializers };
}
