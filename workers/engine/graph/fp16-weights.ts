/**
 * fp16-stored weights (issue 12): an fp32 op graph whose weights from fp16 files stay binary16 initializers, each
 * widened by a Cast to float32 just before its first use, so a session's weights take half the bytes of the
 * widened graph in onnxruntime-web's wasm heap (capped at 4 GiB: SD1.5's UNet is 3.44 GB in fp32, 1.72 GB as
 * stored; with the ControlNet's 1.45 GB / 0.72 GB the fp32 denoiser does not fit the heap, the stored one does).
 *
 * The values are unchanged: binary16 → float32 is exact (IEEE 754 widening), so a graph lowered here computes
 * what the widened graph computes — the fp32 compute path with fp16 files — only the storage differs. The
 * compute stays fp32 (every op after the Cast); this is not the fp16 compute path (./precision.ts emulates that).
 *
 * The Casts depend only on initializers, so a constant-folding optimizer would fold them back into fp32
 * initializers at session creation; the runner turns ORT's constant folding off for sessions lowered here
 * (../onnx/runner.ts), and the Casts run at every call — a memory-bound pass over the weights, small beside the
 * convolutions that read them. ORT's memory planner frees each Cast's fp32 output after its last reader; placing
 * each Cast right before its first reader keeps few widened weights alive at once.
 * Which initializers: those with `half` (checkpoint parameters stored F16, ../models/weights.ts). Builder
 * constants and BF16/F32 weights are left as they are.
 */
import type { OpNode, TensorData } from './ir';
import type { OpGraph } from './onnx';

const TO_FLOAT = 1;

/** The suffix of the binary16 initializer behind a widened weight. */
export const FP16_WEIGHT_SUFFIX = '/fp16';

/** The graph with each fp16-stored weight as a float16 initializer and a Cast to float32 before its first reader. */
export function keepFp16Weights(graph: OpGraph): OpGraph {
  const initializers = new Map<string, TensorData>();
  const widened = new Set<string>();
  for (const [name, data] of graph.initializers) {
    const half = data.half;
    if (data.dtype !== 'float32' || !half) {
      initializers.set(name, data);
      continue;
    }
    initializers.set(`${name}${FP16_WEIGHT_SUFFIX}`, {
      dtype: 'float16',
      shape: data.shape,
      byteLength: half.byteLength,
      isWeight: true,
      bytes: () => half.bytes(),
      read: () => half.read(),
    });
    widened.add(name);
  }
  if (widened.size === 0) return graph;
  const nodes: OpNode[] = [];
  const cast = (name: string) =>
    nodes.push({
      kind: 'op',
      name: `fp16_weight_cast_${nodes.length}`,
      op: 'Cast',
      inputs: [`${name}${FP16_WEIGHT_SUFFIX}`],
      outputs: [name],
      attrs: { to: { int: TO_FLOAT } },
    });
  const pending = new Set(widened);
  for (const node of graph.nodes) {
    for (const i of node.inputs)
      if (pending.has(i)) {
        cast(i);
        pending.delete(i);
      }
    nodes.push(node);
  }
  // A weight no op reads but the graph outputs (none of the builders do): cast it at the end.
  for (const name of pending) if (graph.outputs.some((o) => o.name === name)) cast(name);
  for (const name of pending)
    if (!graph.outputs.some((o) => o.name === name)) initializers.delete(`${name}${FP16_WEIGHT_SUFFIX}`);
  return { ...graph, nodes, initializers };
}

/** Bytes of the graph's initializers as emitted (what its session puts in the wasm heap). */
export function initializerBytes(graph: OpGraph): number {
  let bytes = 0;
  for (const t of graph.initializers.values()) bytes += t.byteLength;
  return bytes;
}
