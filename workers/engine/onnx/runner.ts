/**
 * Runs an IR graph with onnxruntime-web — wasm CPU backend, or WebGPU on the engine's device with outputs
 * kept on the GPU — in one of two lowerings (../graph/lower.ts):
 *  - whole: one session with the attention cores as standard ops;
 *  - partitioned: one session per segment between cores, the cores run by an AttentionBackend outside ORT;
 *    the per-prompt prelude (cross-attention K/V) runs once per `encodePrompt` and is reused across steps.
 * Runs on one network are serialized; every session is released by `release()` (also when compiling fails).
 * Inputs may be host arrays or device tensors (../tensors/device-tensor.ts); `runOnDevice` hands the outputs back
 * where ORT left them (GPU buffers on WebGPU), `run` downloads them.
 */
import type { AttentionShape, Modulation } from '../../../src/core/attention/types';
import type { AttentionCore, Graph } from '../graph/ir';
import type { FlowKeys } from '../kernels/flow/keys';
import type { FlowAttentionShape } from '../kernels/flow/reference';
import { lowerStandard, partition, type PartitionPlan } from '../graph/lower';
import { initializerBytes, keepFp16Weights } from '../graph/fp16-weights';
import { emulateFp16 } from '../graph/precision';
import { toFp16 } from '../graph/fp16-graph';
import { emitModelAsync, type OpGraph, type WeightPlacement } from '../graph/onnx';
import { splitByWeight } from '../graph/split';
import { sessionChain, type RunnableSession } from './session-chain';
import { cpuTensor, gpuTensor, type DeviceTensor, type TransferCounter } from '../tensors/device-tensor';
import {
  createSession,
  downloadTensor,
  float32Tensor,
  gpuFloat32Tensor,
  int64Tensor,
  tensorGpuBuffer,
  type ExecutionTarget,
  type OrtSession,
  type OrtTensor,
} from './ort';

export interface HostTensor {
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array;
}

/** What a network takes: host arrays (ids, scalars) or device tensors (activations). */
export type NetworkInput = HostTensor | DeviceTensor;

export interface AttentionInput {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/** Runs one attention core on the CPU: Q [B, N, H·d], K/V [Bk, Nk, H·d] → out [B, N, H·d] (see AttentionCore). */
export interface AttentionBackend {
  run(
    core: AttentionCore,
    q: AttentionInput,
    k: AttentionInput,
    v: AttentionInput,
    modulation?: Modulation,
  ): Promise<Float32Array> | Float32Array;
  /** FLATTEN flow attention (DESIGN §3.6) on a self-attention core's output; see `FlowAttention`. */
  runFlow?(
    core: AttentionCore,
    shape: FlowAttentionShape,
    flow: FlowAttention,
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
  ): Float32Array;
  /** Frees what the backend holds (kernels, cached buffers); optional. */
  release?(): void;
}

/**
 * FLATTEN flow attention after one self-attention core (DESIGN §3.6): V = the core's output; Q, K = the
 * core's Q/K inputs (the to_q/to_k projections) when `oldQk`, else its output. The result replaces the core's
 * output (before to_out). `keys` holds the level's trajectory keys, shared by every CFG half of the call.
 */
export interface FlowAttention {
  readonly keys: FlowKeys;
  readonly oldQk: boolean;
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

/**
 * The flow attention's shape after a self-attention core with Q dims [B, N, C]: B / F groups (CFG halves) of
 * F·N tokens; the key table must be of that core's level.
 */
export function flowShape(core: AttentionCore, qDims: readonly number[], flow: FlowAttention): FlowAttentionShape {
  const [b, n] = qDims as [number, number];
  const { frames, height, width } = flow.keys;
  if (core.attention !== 'self' || core.frames !== frames || n !== height * width || b % frames)
    throw new Error(
      `flow attention of ${frames} frames × ${height}×${width} does not fit core ${core.name} ([${qDims.join(', ')}], ${core.frames} frames)`,
    );
  return { groups: b / frames, heads: core.heads, headDim: core.headDim };
}

/**
 * Runs one attention core on GPU buffers of the engine's device (the WGSL kernels); the returned output buffer
 * is owned by the runner, which destroys it when the run ends.
 */
export interface GpuAttentionBackend {
  readonly location: 'gpu-buffer';
  run(
    core: AttentionCore,
    shape: AttentionShape,
    q: GPUBuffer,
    k: GPUBuffer,
    v: GPUBuffer,
    modulation?: Modulation,
  ): GPUBuffer;
  /** Flow attention (see `FlowAttention`) on buffers of its device; returns a new buffer the runner owns. */
  runFlow?(
    core: AttentionCore,
    shape: FlowAttentionShape,
    flow: FlowAttention,
    q: GPUBuffer,
    k: GPUBuffer,
    v: GPUBuffer,
  ): GPUBuffer;
  /** Copies the first `elements` float32 values of a buffer of its device to the CPU (attention probes). */
  download(buffer: GPUBuffer, elements: number): Promise<Float32Array>;
  /** Destroys every buffer and kernel the backend holds (cached modulation maps included). */
  release(): void;
}

/** Reads attention inputs out of a partitioned run: Q and K of each wanted core, on the CPU. */
export interface AttentionProbeHook {
  wants(core: AttentionCore): boolean;
  capture(core: AttentionCore, q: AttentionInput, k: AttentionInput): void;
}

export interface RunOptions {
  /** Modulation per core (ST-Layout attention); partitioned lowering only. */
  readonly modulation?: (core: AttentionCore) => Modulation | undefined;
  /** Q/K capture per core; partitioned lowering only (a whole network has no cores to read). */
  readonly probe?: AttentionProbeHook;
  /** FLATTEN flow attention after the self-attention cores it returns one for; partitioned lowering only. */
  readonly flow?: (core: AttentionCore) => FlowAttention | undefined;
}

/** Per-prompt values (cross-attention K/V); `release()` frees them (GPU tensors). */
export interface PromptCache {
  readonly values: ReadonlyMap<string, OrtTensor>;
  release(): void;
}

export interface CompileOptions {
  /** Default: embedded for sessions with ≤ 256 MiB of weights, external data above. */
  readonly placement?: WeightPlacement;
  readonly target?: ExecutionTarget;
  /** Counts host inputs ORT uploads and probe readbacks (WebGPU target). */
  readonly transfers?: TransferCounter;
  /**
   * 'fp16-emulated': every session rounds to binary16 where the fp16 path stores values (../graph/precision.ts),
   * to measure that path's error without fp16 hardware. 'fp16': binary16 tensors and weights as stored, with fp32
   * islands (../graph/fp16-graph.ts) — for WebGPU devices with shader-f16 (ORT wasm runs it too, casting per op).
   * Default fp32.
   */
  readonly precision?: 'fp32' | 'fp16-emulated' | 'fp16';
  /**
   * Weights from fp16 files: 'as-stored' keeps them binary16 in the session, widened by Casts at run time
   * (../graph/fp16-weights.ts: half the wasm heap, same values); 'widened' makes them float32 initializers.
   * Default: 'as-stored' on the CPU target (one 4 GiB wasm heap), 'widened' on WebGPU.
   */
  readonly weights?: 'widened' | 'as-stored';
  /**
   * Weight bytes per ORT session: a step over it runs as a chain of sessions (../graph/split.ts). Default
   * `WEBGPU_SESSION_WEIGHT_BYTES` on WebGPU, no limit on the CPU target.
   */
  readonly maxSessionWeightBytes?: number;
}

export interface CompiledNetwork {
  readonly lowering: 'whole' | 'partitioned';
  /** Runs and downloads every output (tools, tests). */
  run(
    inputs: Readonly<Record<string, NetworkInput>>,
    options?: RunOptions & { prompt?: PromptCache },
  ): Promise<Map<string, HostTensor>>;
  /** Runs and hands the outputs over where they are (GPU buffers on WebGPU); the caller disposes them. */
  runOnDevice(
    inputs: Readonly<Record<string, NetworkInput>>,
    options?: RunOptions & { prompt?: PromptCache },
  ): Promise<Map<string, DeviceTensor>>;
  /** Partitioned: runs the per-prompt prelude once (inputs: the per-prompt graph inputs). */
  encodePrompt(inputs: Readonly<Record<string, NetworkInput>>): Promise<PromptCache>;
  /** Number of ORT sessions held. */
  readonly sessions: number;
  release(): Promise<void>;
}

const isDevice = (t: NetworkInput): t is DeviceTensor => 'location' in t;

/** An ORT view of an input (device tensors are not copied; GPU ones stay their owner's). */
function toOrt(t: NetworkInput, o: CompileOptions): OrtTensor {
  if (isDevice(t)) return t.location === 'cpu' ? float32Tensor(t.data, t.dims) : gpuFloat32Tensor(t.buffer, t.dims);
  if (o.target?.kind === 'webgpu') o.transfers?.countUpload(t.data.byteLength);
  return t.data instanceof BigInt64Array ? int64Tensor(t.data, t.dims) : float32Tensor(t.data, t.dims);
}

/** Hands an ORT output over as a device tensor; disposing it disposes the ORT tensor (its GPU buffer). */
function toDevice(t: OrtTensor): DeviceTensor {
  const buffer = tensorGpuBuffer(t);
  if (buffer) return gpuTensor(buffer, t.dims, () => t.dispose());
  if (t.type !== 'float32') throw new Error(`expected a float32 output, got ${t.type}`);
  return cpuTensor(t.data as Float32Array, t.dims);
}

/** The named outputs, handed over to the caller (who disposes them). */
function pick(names: Iterable<string>, values: ReadonlyMap<string, OrtTensor>): Map<string, OrtTensor> {
  const result = new Map<string, OrtTensor>();
  for (const name of names) {
    const t = values.get(name);
    if (!t) throw new Error(`output "${name}" was not produced`);
    result.set(name, t);
  }
  return result;
}

/** `run`: downloads every output ORT produced (its tensors know how), then frees the device copies. */
async function downloadOutputs(
  outputs: Promise<Map<string, OrtTensor>>,
  o: CompileOptions,
): Promise<Map<string, HostTensor>> {
  const out = await outputs;
  try {
    const result = new Map<string, HostTensor>();
    for (const [name, t] of out) {
      const onGpu = t.location === 'gpu-buffer';
      const data = (await downloadTensor(t)) as Float32Array;
      if (onGpu) o.transfers?.countReadback(data.byteLength);
      result.set(name, { dims: [...t.dims], data });
    }
    return result;
  } finally {
    disposeAll(out.values());
  }
}

const onDevice = async (outputs: Promise<Map<string, OrtTensor>>): Promise<Map<string, DeviceTensor>> =>
  new Map([...(await outputs)].map(([name, t]) => [name, toDevice(t)]));

/** On the CPU target, weights above this go to external data (protobuf caps a model at 2 GiB). */
const EMBED_LIMIT_BYTES = 256 * 1024 * 1024;

/**
 * Where a session's weights go. WebGPU: always external data. onnxruntime-web (1.30) uploads a WebGPU session's
 * external-data initializers from the mounted JS bytes straight into their GPU buffers, while embedded ones are
 * copied into its wasm heap (model bytes, then the parsed model) first; that heap never shrinks, so embedding
 * would leave the page holding a multiple of the largest session's weights after loading.
 */
function placementFor(graph: OpGraph, o: CompileOptions): WeightPlacement {
  if (o.placement) return o.placement;
  const external = o.target?.kind === 'webgpu' || initializerBytes(graph) > EMBED_LIMIT_BYTES;
  return external
    ? { kind: 'external', location: `${graph.name.replace(/[^A-Za-z0-9_.-]/g, '_')}.bin` }
    : { kind: 'embedded' };
}

/** The graph a session runs at the asked precision; `widensAtRun` when fp16 weights are widened by Casts. */
function sessionGraph(lowered: OpGraph, o: CompileOptions): { graph: OpGraph; widensAtRun: boolean } {
  // fp16 compute uses the stored binary16 weights directly: nothing to widen.
  if (o.precision === 'fp16') return { graph: toFp16(lowered), widensAtRun: false };
  const computed = o.precision === 'fp16-emulated' ? emulateFp16(lowered) : lowered;
  const asStored = (o.weights ?? (o.target?.kind === 'webgpu' ? 'widened' : 'as-stored')) === 'as-stored';
  const graph = asStored ? keepFp16Weights(computed) : computed;
  return { graph, widensAtRun: graph !== computed };
}

async function oneSession(lowered: OpGraph, o: CompileOptions): Promise<OrtSession> {
  const { graph, widensAtRun } = sessionGraph(lowered, o);
  // Streamed weights are read tensor by tensor into this session's own external data, dropped once it exists.
  const emitted = await emitModelAsync(graph, placementFor(graph, o));
  return createSession(
    { model: emitted.model, ...(emitted.external ? { external: [emitted.external] } : {}) },
    o.target,
    { noConstantFolding: widensAtRun },
  );
}

/**
 * Per-session weight budget on WebGPU: onnxruntime-web stages a session's weights in its wasm heap (which never
 * shrinks) before uploading them, so the page's memory while loading follows the largest session. The CPU target
 * keeps every session inside that heap anyway, so it is not cut there.
 */
export const WEBGPU_SESSION_WEIGHT_BYTES = 256 * 1024 * 1024;

/** A step's graph as one session, or a chain of sessions each within the weight budget (../graph/split.ts). */
function session(lowered: OpGraph, o: CompileOptions, ir: Graph): Promise<RunnableSession> {
  const budget =
    o.maxSessionWeightBytes ?? (o.target?.kind === 'webgpu' ? WEBGPU_SESSION_WEIGHT_BYTES : Number.POSITIVE_INFINITY);
  const parts = Number.isFinite(budget)
    ? splitByWeight(lowered, budget, (v) => (ir.int64Values.has(v) ? 'int64' : 'float32'))
    : [lowered];
  return sessionChain(
    parts,
    lowered.outputs.map((x) => x.name),
    (part) => oneSession(part, o),
  );
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

async function feed(s: RunnableSession, values: ReadonlyMap<string, OrtTensor>): Promise<Record<string, OrtTensor>> {
  const feeds: Record<string, OrtTensor> = {};
  for (const name of s.inputNames) {
    const v = values.get(name);
    if (!v) throw new Error(`graph input "${name}" was not given`);
    feeds[name] = v;
  }
  return s.run(feeds);
}

/**
 * Disposes tensors created during a run: GPU buffers go back to ORT / are destroyed. Also after a download
 * (which turns the tensor's location to 'cpu' but keeps its GPU disposer); host arrays already handed out stay valid.
 */
function disposeAll(tensors: Iterable<OrtTensor>): void {
  for (const t of tensors) t.dispose();
}

/** One run with the outputs as ORT tensors, owned by the caller. */
type RunOrt = (
  inputs: Readonly<Record<string, NetworkInput>>,
  options?: RunOptions & { prompt?: PromptCache },
) => Promise<Map<string, OrtTensor>>;

const emptyPrompt: PromptCache = { values: new Map(), release: () => undefined };

export async function compileWhole(graph: Graph, options: CompileOptions = {}): Promise<CompiledNetwork> {
  const s = await session(lowerStandard(graph), options, graph);
  const serial = serializer();
  const runOrt: RunOrt = (inputs, runOptions = {}) =>
    serial(async () => {
      if (runOptions.modulation || runOptions.probe || runOptions.flow)
        throw new Error('modulation, probes and flow attention need the partitioned lowering (compilePartitioned)');
      const values = new Map(Object.entries(inputs).map(([k, v]) => [k, toOrt(v, options)]));
      return new Map(Object.entries(await feed(s, values)));
    });
  return {
    lowering: 'whole',
    sessions: s.parts ?? 1,
    encodePrompt: () => Promise.resolve(emptyPrompt),
    runOnDevice: (inputs, runOptions) => onDevice(runOrt(inputs, runOptions)),
    run: (inputs, runOptions) => downloadOutputs(runOrt(inputs, runOptions), options),
    release: () => s.release(),
  };
}

export async function compilePartitioned(
  graph: Graph,
  backend: AttentionBackend | GpuAttentionBackend,
  options: CompileOptions & { readonly perPromptInputs?: readonly string[] } = {},
): Promise<CompiledNetwork> {
  const gpuBackend = 'location' in backend ? backend : undefined;
  if (gpuBackend && options.target?.kind !== 'webgpu')
    throw new Error('a GPU attention backend needs sessions on the WebGPU target');
  const plan: PartitionPlan = partition(graph, options.perPromptInputs ?? ['encoder_hidden_states']);
  const sessions: RunnableSession[] = [];
  const releaseAll = () => Promise.all(sessions.map((s) => s.release())).then(() => undefined);
  let prelude: RunnableSession | undefined;
  const stepSessions = new Map<number, RunnableSession>();
  try {
    if (plan.prelude) sessions.push((prelude = await session(plan.prelude, options, graph)));
    for (const [i, step] of plan.steps.entries())
      if (step.kind === 'session') {
        const s = await session(step.graph, options, graph);
        sessions.push(s);
        stepSessions.set(i, s);
      }
  } catch (e) {
    await releaseAll();
    throw e;
  }
  const serial = serializer();
  const outputNames = plan.outputs.map((o) => o.name);
  // Step index of each value's last reader: intermediates are freed as soon as no later step needs them.
  const lastUse = new Map<string, number>();
  plan.steps.forEach((step, i) => {
    const reads =
      step.kind === 'session' ? step.graph.inputs.map((x) => x.name) : [step.core.q, step.core.k, step.core.v];
    for (const name of reads) lastUse.set(name, i);
  });
  for (const name of outputNames) lastUse.set(name, Number.POSITIVE_INFINITY);

  const encode = async (inputs: Readonly<Record<string, NetworkInput>>): Promise<PromptCache> => {
    if (!prelude) return emptyPrompt;
    const values = new Map(Object.entries(inputs).map(([k, v]) => [k, toOrt(v, options)]));
    const out = new Map(Object.entries(await feed(prelude, values)));
    return { values: out, release: () => disposeAll(out.values()) };
  };

  // Reads a tensor without touching it: ORT's getData() would move a GPU tensor to the CPU for good.
  const readInput = async (t: OrtTensor): Promise<AttentionInput> => {
    const elements = t.dims.reduce((a, b) => a * b, 1);
    const buffer = tensorGpuBuffer(t);
    const data =
      buffer && gpuBackend
        ? await gpuBackend.download(buffer, elements)
        : ((await downloadTensor(t)) as Float32Array).slice(0, elements);
    if (buffer) options.transfers?.countReadback(elements * 4);
    return { data, dims: [...t.dims] };
  };

  const runCore = async (
    core: AttentionCore,
    values: Map<string, OrtTensor>,
    modulation?: Modulation,
    probe?: AttentionProbeHook,
    flow?: FlowAttention,
  ): Promise<OrtTensor> => {
    const get = (name: string): OrtTensor => {
      const t = values.get(name);
      if (!t) throw new Error(`attention core ${core.name}: input "${name}" missing`);
      return t;
    };
    const [q, k, v] = [get(core.q), get(core.k), get(core.v)];
    if (probe?.wants(core)) probe.capture(core, await readInput(q), await readInput(k));
    if (gpuBackend) {
      const buffers = [q, k, v].map(tensorGpuBuffer);
      if (buffers.some((b) => !b)) throw new Error(`attention core ${core.name}: inputs are not on the GPU`);
      const out = gpuBackend.run(
        core,
        coreShape(core, q.dims, k.dims),
        buffers[0]!,
        buffers[1]!,
        buffers[2]!,
        modulation,
      );
      if (!flow) return gpuFloat32Tensor(out, q.dims, () => out.destroy());
      if (!gpuBackend.runFlow) throw new Error('this GPU attention backend has no flow attention');
      const [fq, fk] = flow.oldQk ? [buffers[0]!, buffers[1]!] : [out, out];
      const flowed = gpuBackend.runFlow(core, flowShape(core, q.dims, flow), flow, fq, fk, out);
      // Work already submitted that reads `out` still completes (WebGPU defers destruction past pending work).
      out.destroy();
      return gpuFloat32Tensor(flowed, q.dims, () => flowed.destroy());
    }
    const host = async (t: OrtTensor): Promise<AttentionInput> => ({
      data: (await downloadTensor(t)) as Float32Array,
      dims: t.dims,
    });
    const cpu = backend as AttentionBackend;
    const hq = await host(q);
    const hk = await host(k);
    const out = await cpu.run(core, hq, hk, await host(v), modulation);
    if (!flow) return float32Tensor(out, q.dims);
    if (!cpu.runFlow) throw new Error('this attention backend has no flow attention');
    const [fq, fk] = flow.oldQk ? [hq.data, hk.data] : [out, out];
    return float32Tensor(cpu.runFlow(core, flowShape(core, q.dims, flow), flow, fq, fk, out), q.dims);
  };

  const runOrt: RunOrt = (inputs, runOptions = {}) =>
    serial(async () => {
      const ownPrompt = runOptions.prompt ? undefined : await encode(inputs);
      const prompt = runOptions.prompt ?? ownPrompt!;
      const values = new Map<string, OrtTensor>(prompt.values);
      const created = new Map<string, OrtTensor>();
      const produce = (name: string, t: OrtTensor) => {
        values.set(name, t);
        created.set(name, t);
      };
      try {
        for (const [k, v] of Object.entries(inputs)) values.set(k, toOrt(v, options));
        for (const [i, step] of plan.steps.entries()) {
          if (step.kind === 'session') {
            const out = await feed(stepSessions.get(i)!, values);
            for (const [k, v] of Object.entries(out)) produce(k, v);
          } else {
            produce(
              step.core.output,
              await runCore(
                step.core,
                values,
                runOptions.modulation?.(step.core),
                runOptions.probe,
                runOptions.flow?.(step.core),
              ),
            );
          }
          for (const [name, t] of created)
            if ((lastUse.get(name) ?? -1) <= i) {
              t.dispose();
              created.delete(name);
              values.delete(name);
            }
        }
        const outputs = pick(outputNames, values);
        // Handed over: the caller disposes them.
        for (const name of outputNames) created.delete(name);
        return outputs;
      } finally {
        disposeAll(created.values());
        ownPrompt?.release();
      }
    });

  return {
    lowering: 'partitioned',
    sessions: sessions.reduce((n, x) => n + (x.parts ?? 1), 0),
    encodePrompt: (inputs) => serial(() => encode(inputs)),
    runOnDevice: (inputs, runOptions) => onDevice(runOrt(inputs, runOptions)),
    run: (inputs, runOptions) => downloadOutputs(runOrt(inputs, runOptions), options),
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
