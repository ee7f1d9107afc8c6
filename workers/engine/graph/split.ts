/**
 * Cuts one ONNX op graph into consecutive graphs whose weights each stay under a byte budget (issue 12,
 * DESIGN §4 "streamed weights").
 *
 * Why: onnxruntime-web copies every session's initializers (embedded or external data) through its wasm heap
 * before the WebGPU EP uploads them, and a wasm heap never shrinks. One session of SD1.5's UNet between two
 * attention cores holds up to ~1 GB of fp32 weights (the mid block + up_blocks.0), so loading would need that
 * much wasm heap plus the JS buffers it is copied from. With every session under the budget, the page's peak
 * while loading is bounded by the budget (times the copies ORT makes), not by the checkpoint.
 *
 * How: the ops are kept in their order (already topological) and cut greedily where the next op's new weights
 * would take the current part over `maxBytes`; an op alone over the budget gets a part of its own. Ops that
 * depend only on initializers (weight reshapes/transposes) are copied into each part that uses them, as the
 * partition at attention cores (./lower.ts) does. A value produced in one part and read by a later one becomes
 * an output of the first and an input of the second; the parts' outputs that the whole graph does not output
 * are intermediates the caller frees after their last reader.
 */
import type { ElemType, OpNode, TensorData, ValueSpec } from './ir';
import type { OpGraph } from './onnx';

/** Bytes a part would hold for this initializer (the caller decides, e.g. widened fp16 counts as fp32). */
export type WeightCost = (name: string, data: TensorData) => number;

const storedBytes: WeightCost = (_name, data) => data.byteLength;

/**
 * Parts of `graph` in run order, each with ≤ `maxBytes` of weights unless one op alone needs more. Returns
 * `[graph]` itself when it fits (or cannot be cut: a graph output that no op produces).
 * `dtypeOf` names the element type of values that cross a cut (the IR graph knows its int64 values).
 */
export function splitByWeight(
  graph: OpGraph,
  maxBytes: number,
  dtypeOf: (value: string) => ElemType,
  cost: WeightCost = storedBytes,
): OpGraph[] {
  const isInit = (v: string) => graph.initializers.has(v);
  const constant = new Set<string>();
  const constProducer = new Map<string, OpNode>();
  const main: OpNode[] = [];
  for (const n of graph.nodes) {
    if (n.inputs.every((i) => i === '' || isInit(i) || constant.has(i))) {
      for (const o of n.outputs) {
        constant.add(o);
        constProducer.set(o, n);
      }
    } else main.push(n);
  }

  // The initializers each constant value is computed from (memoized: shared weight reshapes).
  const reachMemo = new Map<string, readonly string[]>();
  const reach = (v: string): readonly string[] => {
    if (isInit(v)) return [v];
    const known = reachMemo.get(v);
    if (known) return known;
    const producer = constProducer.get(v);
    const out = producer ? [...new Set(producer.inputs.filter((i) => i !== '').flatMap(reach))] : [];
    reachMemo.set(v, out);
    return out;
  };
  const weightsOf = (n: OpNode): readonly string[] =>
    n.inputs.filter((i) => i !== '' && (isInit(i) || constant.has(i))).flatMap(reach);

  const parts: OpNode[][] = [[]];
  let held = new Set<string>();
  let bytes = 0;
  for (const n of main) {
    const fresh = [...new Set(weightsOf(n))].filter((w) => !held.has(w));
    const add = fresh.reduce((sum, w) => sum + cost(w, graph.initializers.get(w)!), 0);
    const current = parts[parts.length - 1]!;
    if (current.length > 0 && add > 0 && bytes + add > maxBytes) {
      parts.push([n]);
      held = new Set(weightsOf(n));
      bytes = [...held].reduce((sum, w) => sum + cost(w, graph.initializers.get(w)!), 0);
    } else {
      current.push(n);
      fresh.forEach((w) => held.add(w));
      bytes += add;
    }
  }
  if (parts.length === 1) return [graph];
  const producedBy = new Map<string, number>();
  parts.forEach((p, k) => p.forEach((n) => n.outputs.forEach((o) => producedBy.set(o, k))));
  if (graph.outputs.some((o) => !producedBy.has(o.name))) return [graph];

  // Last part reading each value (graph outputs: after every part).
  const lastReader = new Map<string, number>();
  parts.forEach((p, k) => p.forEach((n) => n.inputs.forEach((i) => lastReader.set(i, k))));
  for (const o of graph.outputs) lastReader.set(o.name, Number.POSITIVE_INFINITY);

  const spec = (v: string, among: readonly ValueSpec[]): ValueSpec =>
    among.find((s) => s.name === v) ?? { name: v, dtype: dtypeOf(v) };
  return parts.map((nodes, k) => {
    const produced = new Set(nodes.flatMap((n) => n.outputs));
    const needed = new Set<string>();
    const initializers = new Map<string, TensorData>();
    const inputs = new Set<string>();
    const visitConst = (v: string) => {
      if (needed.has(v)) return;
      needed.add(v);
      if (isInit(v)) initializers.set(v, graph.initializers.get(v)!);
      else
        constProducer
          .get(v)
          ?.inputs.filter((i) => i !== '')
          .forEach(visitConst);
    };
    for (const n of nodes)
      for (const i of n.inputs) {
        if (i === '') continue;
        if (isInit(i) || constant.has(i)) visitConst(i);
        else if (!produced.has(i)) inputs.add(i);
      }
    const constNodes = graph.nodes.filter((n) => n.outputs.some((o) => constProducer.get(o) === n && needed.has(o)));
    return {
      name: `${graph.name}/part${k}`,
      inputs: [...inputs].map((v) => spec(v, graph.inputs)),
      outputs: [...produced].filter((v) => (lastReader.get(v) ?? -1) > k).map((v) => spec(v, graph.outputs)),
      nodes: [...constNodes, ...nodes],
      initializers,
    };
  });
}
