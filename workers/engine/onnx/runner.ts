/**
 * Runs an IR graph with onnxruntime-web's CPU (wasm) backend, in one of two lowerings (../graph/lower.ts):
 *  - whole: one session with the attention cores as standard ops;
 *  - partitioned: one session per segment between cores, the cores run by an AttentionBackend outside ORT;
 *    the per-prompt prelude (cross-attention K/V) runs once per `encodePrompt` and is reused across steps.
 * Runs on one network are serialized; every session is released by `release()` (also when compiling fails).
 */
import type { AttentionShape, Modulation } from '../../../src/core/attention/types.ts';
import type { AttentionCore, Graph } from '../graph/ir.ts';
import { lowerStandard, partition, type PartitionPlan } from '../graph/lower.ts';
import { emitModel, type OpGraph, type WeightPlacement } from '../graph/onnx.ts';
import { createCpuSession, float32Tensor, int64Tensor, tensorFloat32, type OrtSession, type OrtTensor } from './ort.ts';

export interface HostTensor {
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array;
}

export interface AttentionInput {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/** Runs one attention core: Q [B, N, H·d], K/V [Bk, Nk, H·d] → out [B, N, H·d] (see AttentionCore). */
export interface AttentionBackend {
  run(
    core: AttentionCore,
    q: AttentionInput,
    k: AttentionInput,
    v: AttentionInput,
    modulation?: Modulation,
  ): Promise<Float32Array> | Float32Array;
}

/**
 * The AttentionShape of a core for given Q and K dims. Self-attention: Q/K/V regrouped to F-frame sequences
 * ([B/F, F·N, C]); cross-attention: per-frame items (B, N) reading K/V item b·Bk/B (the layout the ST-Layout
 * cross maps use).
 */
export function coreShape(core: AttentionCore, qDims: readonly number[], kDims: readonly number[]): AttentionShape {
  const [b, n] = qDims as [number, number];
  const [bk, nk] = kDims as [number, number];
  const f = core.frames;
  if (core.attention === 'self')
    return { batch: b / f, kvBatch: bk / f, queries: f * n, keys: f * nk, heads: core.heads, headDim: core.headDim };
  return { batch: b, kvBatch: bk, queries: n, keys: nk, heads: core.heads, headDim: core.headDim };
}

export interface RunOptions {
  /** Modulation per core (ST-Layout attention); partitioned lowering only. */
  readonly modulation?: (core: AttentionCore) => Modulation | undefined;
}

export interface PromptCache {
  readonly values: ReadonlyMap<string, OrtTensor>;
}

export interface CompiledNetwork {
  readonly lowering: 'whole' | 'partitioned';
  run(
    inputs: Readonly<Record<string, HostTensor>>,
    options?: RunOptions & { prompt?: PromptCache },
  ): Promise<Map<string, HostTensor>>;
  /** Partitioned: runs the per-prompt prelude once (inputs: the per-prompt graph inputs). */
  encodePrompt(inputs: Readonly<Record<string, HostTensor>>): Promise<PromptCache>;
  /** Number of ORT sessions held. */
  readonly sessions: number;
  release(): Promise<void>;
}

function toOrt(t: HostTensor): OrtTensor {
  return t.data instanceof BigInt64Array ? int64Tensor(t.data, t.dims) : float32Tensor(t.data, t.dims);
}

function toHost(t: OrtTensor): HostTensor {
  return { dims: [...t.dims], data: t.type === 'int64' ? (t.data as BigInt64Array) : tensorFloat32(t) };
}

async function session(graph: OpGraph, placement: WeightPlacement): Promise<OrtSession> {
  const emitted = emitModel(graph, placement);
  return createCpuSession({ model: emitted.model, ...(emitted.external ? { external: [emitted.external] } : {}) });
}

/** A queue that runs one task at a time. */
function serializer() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const next = tail.then(task, task);
    tail = next.catch(() => undefined);
    return next;
  };
}

async function feed(s: OrtSession, values: ReadonlyMap<string, OrtTensor>): Promise<Record<string, OrtTensor>> {
  const feeds: Record<string, OrtTensor> = {};
  for (const name of s.inputNames) {
    const v = values.get(name);
    if (!v) throw new Error(`graph input "${name}" was not given`);
    feeds[name] = v;
  }
  return s.run(feeds);
}

export async function compileWhole(
  graph: Graph,
  placement: WeightPlacement = { kind: 'embedded' },
): Promise<CompiledNetwork> {
  const s = await session(lowerStandard(graph), placement);
  const serial = serializer();
  return {
    lowering: 'whole',
    sessions: 1,
    encodePrompt: () => Promise.resolve({ values: new Map() }),
    run: (inputs) =>
      serial(async () => {
        const values = new Map(Object.entries(inputs).map(([k, v]) => [k, toOrt(v)]));
        const out = await feed(s, values);
        return new Map(Object.entries(out).map(([k, v]) => [k, toHost(v)]));
      }),
    release: () => s.release(),
  };
}

export async function compilePartitioned(
  graph: Graph,
  backend: AttentionBackend,
  perPromptInputs: readonly string[] = ['encoder_hidden_states'],
  placement: WeightPlacement = { kind: 'embedded' },
): Promise<CompiledNetwork> {
  const plan: PartitionPlan = partition(graph, perPromptInputs);
  const sessions: OrtSession[] = [];
  const releaseAll = () => Promise.all(sessions.map((s) => s.release())).then(() => undefined);
  let prelude: OrtSession | undefined;
  const stepSessions = new Map<number, OrtSession>();
  try {
    if (plan.prelude) sessions.push((prelude = await session(plan.prelude, placement)));
    for (const [i, step] of plan.steps.entries())
      if (step.kind === 'session') {
        const s = await session(step.graph, placement);
        sessions.push(s);
        stepSessions.set(i, s);
      }
  } catch (e) {
    await releaseAll();
    throw e;
  }
  const serial = serializer();
  const outputNames = new Set(plan.outputs.map((o) => o.name));

  const encode = async (inputs: Readonly<Record<string, HostTensor>>): Promise<PromptCache> => {
    if (!prelude) return { values: new Map() };
    const values = new Map(Object.entries(inputs).map(([k, v]) => [k, toOrt(v)]));
    return { values: new Map(Object.entries(await feed(prelude, values))) };
  };

  return {
    lowering: 'partitioned',
    sessions: sessions.length,
    encodePrompt: (inputs) => serial(() => encode(inputs)),
    run: (inputs, options = {}) =>
      serial(async () => {
        const prompt = options.prompt ?? (await encode(inputs));
        const values = new Map<string, OrtTensor>(prompt.values);
        for (const [k, v] of Object.entries(inputs)) values.set(k, toOrt(v));
        for (const [i, step] of plan.steps.entries()) {
          if (step.kind === 'session') {
            const out = await feed(stepSessions.get(i)!, values);
            for (const [k, v] of Object.entries(out)) values.set(k, v);
          } else {
            const c = step.core;
            const get = (name: string): AttentionInput => {
              const t = values.get(name);
              if (!t) throw new Error(`attention core ${c.name}: input "${name}" missing`);
              return { data: tensorFloat32(t), dims: t.dims };
            };
            const q = get(c.q);
            const out = await backend.run(c, q, get(c.k), get(c.v), options.modulation?.(c));
            values.set(c.output, float32Tensor(out, q.dims));
          }
        }
        const result = new Map<string, HostTensor>();
        for (const name of outputNames) result.set(name, toHost(values.get(name)!));
        return result;
      }),
    release: releaseAll,
  };
}

/** Compiles, runs once and releases (CLI, one-off runs). */
export async function runOnce(
  graph: Graph,
  inputs: Readonly<Record<string, HostTensor>>,
  lowering: { kind: 'whole' } | { kind: 'partitioned'; backend: AttentionBackend } = { kind: 'whole' },
): Promise<Map<string, HostTensor>> {
  const net = lowering.kind === 'whole' ? await compileWhole(graph) : await compilePartitioned(graph, lowering.backend);
  try {
    return await net.run(inputs);
  } finally {
    await net.release();
  }
}
