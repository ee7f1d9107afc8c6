/**
 * splitByWeight (workers/engine/graph/split.ts): a graph cut into parts under a weight budget. Checked on a
 * chain of MatMuls with known weight sizes and a shared weight reshape: every part within the budget (an op over
 * it alone), every part's inputs produced by an earlier part or the graph, the graph outputs produced, shared
 * constant ops copied into each part that needs them, and the parts run through ORT equal the whole graph.
 */
import { describe, expect, it } from 'vitest';
import { float32Data, ints, type OpNode, type TensorData } from '../../workers/engine/graph/ir';
import type { OpGraph } from '../../workers/engine/graph/onnx';
import { splitByWeight } from '../../workers/engine/graph/split';
import { createSession } from '../../workers/engine/onnx/ort';
import { emitModelAsync } from '../../workers/engine/graph/onnx';
import { sessionChain } from '../../workers/engine/onnx/session-chain';
import { float32Tensor, tensorFloat32 } from '../../workers/engine/onnx/ort';

const D = 8;
const weight = (seed: number): TensorData =>
  float32Data(
    Float32Array.from({ length: D * D }, (_, i) => Math.sin(seed * 7.1 + i * 0.37) / D),
    [D, D],
  );
const op = (name: string, type: string, inputs: string[], output: string, attrs: OpNode['attrs'] = {}): OpNode => ({
  kind: 'op',
  name,
  op: type,
  inputs,
  outputs: [output],
  attrs,
});

/** x → 6 MatMuls (w0..w5, 256 B each); w5 is also used through a Transpose (a constant op) by a skip branch. */
function chain(): OpGraph {
  const initializers = new Map<string, TensorData>();
  const nodes: OpNode[] = [op('tw', 'Transpose', ['w5'], 'w5t', { perm: ints([1, 0]) })];
  let x = 'x';
  for (let i = 0; i < 6; i++) {
    initializers.set(`w${i}`, weight(i));
    nodes.push(op(`mm${i}`, 'MatMul', [x, `w${i}`], `h${i}`));
    x = `h${i}`;
  }
  nodes.push(op('skip', 'MatMul', ['h1', 'w5t'], 's'));
  nodes.push(op('sum', 'Add', ['h5', 's'], 'y'));
  return {
    name: 'chain',
    inputs: [{ name: 'x', dtype: 'float32', shape: [2, D] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [2, D] }],
    nodes,
    initializers,
  };
}

const weightBytes = (g: OpGraph) => [...g.initializers.values()].reduce((n, t) => n + t.byteLength, 0);

describe('splitByWeight', () => {
  it('fits: the graph itself', () => {
    const g = chain();
    expect(splitByWeight(g, 1 << 20, () => 'float32')).toEqual([g]);
  });

  it('cuts under the budget, wires the values across, copies shared constant ops', () => {
    const parts = splitByWeight(chain(), 2 * D * D * 4, () => 'float32');
    expect(parts.length).toBe(3);
    const known = new Set(['x']);
    for (const p of parts) {
      expect(weightBytes(p)).toBeLessThanOrEqual(2 * D * D * 4);
      for (const i of p.inputs) expect(known.has(i.name), `${p.name} reads ${i.name}`).toBe(true);
      p.outputs.forEach((o) => known.add(o.name));
    }
    expect(known.has('y')).toBe(true);
    // h1 feeds the next part and the skip branch in the last part: an output of its part, an input of both.
    expect(parts[0]!.outputs.map((o) => o.name)).toEqual(['h1']);
    expect(parts[2]!.inputs.map((i) => i.name).sort()).toEqual(['h1', 'h3']);
    // The Transpose of w5 rides with w5 into the part that uses it.
    expect(parts[2]!.nodes.some((n) => n.name === 'tw')).toBe(true);
    expect(parts[0]!.nodes.some((n) => n.name === 'tw')).toBe(false);
  });

  it('an op over the budget gets a part of its own', () => {
    const parts = splitByWeight(chain(), 10, () => 'float32');
    // mm0..mm4 alone; mm5, the skip MatMul (both w5) and the Add share the last part.
    expect(parts.map((p) => p.nodes.filter((n) => n.name !== 'tw').map((n) => n.name))).toEqual([
      ['mm0'],
      ['mm1'],
      ['mm2'],
      ['mm3'],
      ['mm4'],
      ['mm5', 'skip', 'sum'],
    ]);
  });

  it('run as a chain of ORT sessions, equals the whole graph', async () => {
    const x = Float32Array.from({ length: 2 * D }, (_, i) => Math.cos(i));
    const run = async (parts: OpGraph[]) => {
      const s = await sessionChain(parts, ['y'], async (p) =>
        createSession({ model: (await emitModelAsync(p, { kind: 'embedded' })).model }),
      );
      try {
        const out = await s.run({ x: float32Tensor(x, [2, D]) });
        return tensorFloat32(out.y!);
      } finally {
        await s.release();
      }
    };
    const whole = await run([chain()]);
    const cut = await run(splitByWeight(chain(), 2 * D * D * 4, () => 'float32'));
    expect([...cut]).toEqual([...whole]);
  });
});
