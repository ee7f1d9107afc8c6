/**
 * Two lowerings of an IR graph (./ir.ts) to ONNX op graphs:
 *  - `lowerStandard`: every AttentionCore becomes Reshape/Transpose/MatMul/Softmax — one graph, one session
 *    (Node/CPU, text encoder, VAE, small sizes);
 *  - `partition`: the graph is cut at its cores; each run of ops between two cores is its own graph (session),
 *    the cores are left to an AttentionBackend. Ops that depend only on `perPromptInputs` (the text: the
 *    cross-attention K/V projections) go to a `prelude` graph that runs once per prompt instead of per step.
 * Ops that depend only on initializers (weight transposes/reshapes) are copied into every graph that uses them.
 */
import {
  float32Data,
  ints,
  int,
  type AttentionCore,
  type Graph,
  type OpNode,
  type TensorData,
  type ValueSpec,
} from './ir';
import type { OpGraph } from './onnx';

/** float32 min, the additive causal mask value transformers uses. */
const MASKED = -3.4028234663852886e38;

export function lowerCore(core: AttentionCore, addInit: (name: string, data: TensorData) => void): OpNode[] {
  const { heads: h, headDim: d, frames, queryTokens: n, keyTokens: nk, name } = core;
  const nodes: OpNode[] = [];
  let i = 0;
  const v = (tag: string) => `${name}/${tag}`;
  const node = (op: string, inputs: string[], output: string, attrs: OpNode['attrs'] = {}) => {
    nodes.push({ kind: 'op', name: `${name}/core${i++}_${op}`, op, inputs, outputs: [output], attrs });
    return output;
  };
  const shape = (tag: string, dims: number[]) => {
    addInit(v(tag), { ...int64(dims) });
    return v(tag);
  };
  const kvTokens = core.attention === 'self' ? frames * nk : nk;
  const qShape = shape('q_shape', [-1, frames * n, h, d]);
  const kvShape = shape('kv_shape', [-1, kvTokens, h, d]);
  const q = node('Transpose', [node('Reshape', [core.q, qShape], v('q4'))], v('qt'), { perm: ints([0, 2, 1, 3]) });
  const k = node('Transpose', [node('Reshape', [core.k, kvShape], v('k4'))], v('kt'), { perm: ints([0, 2, 3, 1]) });
  const vv = node('Transpose', [node('Reshape', [core.v, kvShape], v('v4'))], v('vt'), { perm: ints([0, 2, 1, 3]) });
  addInit(v('scale'), float32Data([1 / Math.sqrt(d)], []));
  let s = node('Mul', [node('MatMul', [q, k], v('qk')), v('scale')], v('scores'));
  if (core.causal) {
    const len = frames * n;
    const mask = new Float32Array(len * kvTokens);
    for (let r = 0; r < len; r++) for (let c = r + 1; c < kvTokens; c++) mask[r * kvTokens + c] = MASKED;
    addInit(v('causal_mask'), float32Data(mask, [len, kvTokens]));
    s = node('Add', [s, v('causal_mask')], v('masked'));
  }
  const p = node('Softmax', [s], v('probs'), { axis: int(-1) });
  const o = node('Transpose', [node('MatMul', [p, vv], v('pv'))], v('o4'), { perm: ints([0, 2, 1, 3]) });
  node('Reshape', [o, shape('out_shape', [-1, n, h * d])], core.output);
  return nodes;
}

function int64(dims: number[]): TensorData {
  const arr = BigInt64Array.from(dims, (x) => BigInt(x));
  return { dtype: 'int64', shape: [dims.length], byteLength: arr.byteLength, bytes: () => new Uint8Array(arr.buffer) };
}

/** One graph with every core as standard ops. */
export function lowerStandard(graph: Graph): OpGraph {
  const initializers = new Map(graph.initializers);
  const nodes: OpNode[] = [];
  for (const n of graph.nodes) {
    if (n.kind === 'op') nodes.push(n);
    else nodes.push(...lowerCore(n, (name, data) => initializers.set(name, data)));
  }
  return { name: graph.name, inputs: graph.inputs, outputs: graph.outputs, nodes, initializers };
}

export type PartitionStep =
  { readonly kind: 'session'; readonly graph: OpGraph } | { readonly kind: 'attention'; readonly core: AttentionCore };

export interface PartitionPlan {
  /** Graph of the per-prompt ops (absent when there are none); its outputs feed later steps. */
  readonly prelude?: OpGraph;
  readonly steps: readonly PartitionStep[];
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
}

export function partition(graph: Graph, perPromptInputs: readonly string[] = []): PartitionPlan {
  const isInit = (v: string) => graph.initializers.has(v);
  // Values computable from initializers alone, and the op producing each.
  const constant = new Set<string>();
  const producer = new Map<string, OpNode>();
  const perPrompt = new Set(perPromptInputs);
  const preludeNodes: OpNode[] = [];
  const mainRuns: OpNode[][] = [[]];
  const cores: AttentionCore[] = [];
  for (const n of graph.nodes) {
    if (n.kind === 'attention') {
      cores.push(n);
      mainRuns.push([]);
      continue;
    }
    for (const o of n.outputs) producer.set(o, n);
    const known = (i: string) => i === '' || isInit(i) || constant.has(i);
    if (n.inputs.every(known)) {
      n.outputs.forEach((o) => constant.add(o));
    } else if (n.inputs.every((i) => known(i) || perPrompt.has(i))) {
      n.outputs.forEach((o) => perPrompt.add(o));
      preludeNodes.push(n);
    } else {
      mainRuns[mainRuns.length - 1]!.push(n);
    }
  }

  // Who consumes each value, by step position (prelude = -1, run r = 2r, core c = 2c+1, graph output = ∞).
  const consumers = new Map<string, number[]>();
  const use = (v: string, pos: number) => {
    const list = consumers.get(v) ?? [];
    list.push(pos);
    consumers.set(v, list);
  };
  preludeNodes.forEach((n) => n.inputs.forEach((i) => use(i, -1)));
  mainRuns.forEach((run, r) => run.forEach((n) => n.inputs.forEach((i) => use(i, 2 * r))));
  cores.forEach((c, i) => [c.q, c.k, c.v].forEach((x) => use(x, 2 * i + 1)));
  graph.outputs.forEach((o) => use(o.name, Number.POSITIVE_INFINITY));

  const dtype = (v: string): ValueSpec['dtype'] => (graph.int64Values.has(v) ? 'int64' : 'float32');
  const makeGraph = (name: string, nodes: OpNode[], pos: number): OpGraph | undefined => {
    if (nodes.length === 0) return undefined;
    const produced = new Set(nodes.flatMap((n) => n.outputs));
    const inputs = new Set<string>();
    const needed = new Set<string>();
    const initializers = new Map<string, TensorData>();
    const visitConst = (v: string) => {
      if (needed.has(v)) return;
      needed.add(v);
      if (isInit(v)) initializers.set(v, graph.initializers.get(v)!);
      else
        producer
          .get(v)!
          .inputs.filter((i) => i !== '')
          .forEach(visitConst);
    };
    for (const n of nodes)
      for (const i of n.inputs) {
        if (i === '') continue; // an omitted optional input
        if (isInit(i) || constant.has(i)) visitConst(i);
        else if (!produced.has(i)) inputs.add(i);
      }
    const constNodes = graph.nodes.filter(
      (n): n is OpNode => n.kind === 'op' && n.outputs.some((o) => constant.has(o) && needed.has(o)),
    );
    const outputs = [...produced].filter((v) => (consumers.get(v) ?? []).some((p) => p !== pos));
    const spec = (v: string): ValueSpec => graph.inputs.find((i) => i.name === v) ?? { name: v, dtype: dtype(v) };
    return {
      name,
      inputs: [...inputs].map(spec),
      outputs: outputs.map((v) => graph.outputs.find((o) => o.name === v) ?? { name: v, dtype: dtype(v) }),
      nodes: [...constNodes, ...nodes],
      initializers,
    };
  };

  const steps: PartitionStep[] = [];
  mainRuns.forEach((run, r) => {
    const g = makeGraph(`${graph.name}/segment${r}`, run, 2 * r);
    if (g) steps.push({ kind: 'session', graph: g });
    const core = cores[r];
    if (core) steps.push({ kind: 'attention', core });
  });
  const prelude = makeGraph(`${graph.name}/prelude`, preludeNodes, -1);
  return { ...(prelude ? { prelude } : {}), steps, inputs: graph.inputs, outputs: graph.outputs };
}
