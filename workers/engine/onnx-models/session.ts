/**
 * Sessions of an ONNX-shipped model (estimators, optical flow, segmenter; src/core/models/onnx-models.ts): one
 * onnxruntime session per file, on WebGPU with the engine's device (or the wasm backend for small models and in
 * Node), outputs returned on the CPU. Opening checks each graph's input and output names against the model's
 * spec, so a wrong or re-exported file is refused naming what it has and what was expected (MODEL_ARCHITECTURE),
 * not deep inside onnxruntime. Runs of all ONNX-shipped models are serialized (one at a time), like the
 * networks' runs.
 */
import { ModelError } from '../../../src/core/models/errors';
import { isOnnxModelKind, ONNX_MODELS } from '../../../src/core/models/onnx-models';
import type { OnnxFileSpec, OnnxModelSpec } from '../../../src/core/models/onnx/spec';
import type { ValidatedModel } from '../../../src/core/models/validate';
import {
  createSession,
  float32Tensor,
  int64Tensor,
  type ExecutionTarget,
  type OrtSession,
  type OrtTensor,
} from '../onnx/ort';

/** A tensor as plain data (row-major): float32 for images and features, int64 for labels and indices. */
export interface HostTensor {
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array;
}

export interface OnnxModelSessions {
  readonly spec: OnnxModelSpec;
  /** The graph's own input and output names of a file (for positional signatures). */
  names(role: string): { readonly inputs: readonly string[]; readonly outputs: readonly string[] };
  /** The static shape a graph declares for an input (symbolic axes as strings), or undefined when it has none. */
  inputShape(role: string, name: string): readonly (number | string)[] | undefined;
  /** Runs one file's graph (by role) on host tensors; returns its outputs on the host, by name. */
  run(role: string, feeds: Readonly<Record<string, HostTensor>>): Promise<Record<string, HostTensor>>;
  /** Releases every session (GPU memory back); the object is unusable afterwards. */
  release(): Promise<void>;
}

let tail: Promise<unknown> = Promise.resolve();
function serialized<T>(task: () => Promise<T>): Promise<T> {
  const next = tail.then(task, task);
  tail = next.catch(() => undefined);
  return next;
}

/** Refuses a graph whose inputs or outputs lack the spec's names. */
export function checkGraphNames(
  file: OnnxFileSpec,
  path: string,
  inputNames: readonly string[],
  outputNames: readonly string[],
): void {
  if (file.signature === 'positional') {
    if (inputNames.length === file.inputs.length && outputNames.length > 0) return;
    throw new ModelError(
      'MODEL_ARCHITECTURE',
      `${path} is not the expected ${file.role} model: it has ${inputNames.length} inputs [${inputNames.join(', ')}] ` +
        `and ${outputNames.length} outputs, but needs ${file.inputs.length} inputs (${file.inputs.join(', ')}) and an output. ` +
        `Use the export the Models panel names, or one with the same signature.`,
      { file: path },
    );
  }
  const missingIn = file.inputs.filter((n) => !inputNames.includes(n));
  const missingOut = file.outputs.filter((n) => !outputNames.includes(n));
  if (missingIn.length === 0 && missingOut.length === 0) return;
  throw new ModelError(
    'MODEL_ARCHITECTURE',
    `${path} is not the expected ${file.role} model: it has inputs [${inputNames.join(', ')}] and outputs ` +
      `[${outputNames.join(', ')}], but needs inputs [${file.inputs.join(', ')}] and outputs [${file.outputs.join(', ')}]. ` +
      `Use the export the Models panel names, or one with the same signature.`,
    { file: path },
  );
}

function toOrt(t: HostTensor): OrtTensor {
  return t.data instanceof BigInt64Array ? int64Tensor(t.data, t.dims) : float32Tensor(t.data, t.dims);
}

async function fromOrt(t: OrtTensor): Promise<HostTensor> {
  const data = t.location === 'cpu' ? t.data : await t.getData();
  if (data instanceof Float32Array || data instanceof BigInt64Array) return { dims: [...t.dims], data };
  if (data instanceof Uint8Array || data instanceof Int32Array)
    return { dims: [...t.dims], data: Float32Array.from(data as ArrayLike<number>) };
  throw new Error(`output of type ${t.type} is not supported`);
}

/**
 * Opens the sessions of a loaded ONNX-shipped model. `target` WebGPU runs on the engine's device; a spec whose
 * backend is 'wasm' always runs on the CPU backend.
 */
export async function openOnnxModel(model: ValidatedModel, target: ExecutionTarget): Promise<OnnxModelSessions> {
  if (!isOnnxModelKind(model.kind)) throw new Error(`${model.kind} is not an ONNX-shipped model`);
  const spec = ONNX_MODELS[model.kind];
  const where: ExecutionTarget = spec.backend === 'wasm' ? { kind: 'cpu' } : target;
  const sessions = new Map<string, OrtSession>();
  const releaseAll = () => Promise.all([...sessions.values()].map((s) => s.release())).then(() => undefined);
  try {
    for (const file of spec.files) {
      const resolved = model.files.get(file.role);
      if (!resolved) throw new ModelError('MODEL_FILE_NOT_FOUND', `${model.source.id} has no ${file.role} model.`);
      const bytes = await model.source.read(resolved.path);
      const session = await serialized(() => createSession({ model: bytes }, where, { outputLocation: 'cpu' }));
      sessions.set(file.role, session);
      checkGraphNames(file, resolved.path, session.inputNames, session.outputNames);
    }
  } catch (e) {
    await releaseAll();
    throw e;
  }
  let released = false;
  return {
    spec,
    names(role) {
      const session = sessions.get(role);
      if (!session) throw new Error(`no open session for "${role}"`);
      return { inputs: session.inputNames, outputs: session.outputNames };
    },
    inputShape(role, name) {
      const meta = sessions.get(role)?.inputMetadata?.find((m) => m.name === name);
      return meta?.isTensor && meta.shape.length > 0 ? meta.shape : undefined;
    },
    run(role, feeds) {
      const session = sessions.get(role);
      if (released || !session) throw new Error(`no open session for "${role}"`);
      return serialized(async () => {
        const inputs: Record<string, OrtTensor> = {};
        for (const name of session.inputNames) {
          const t = feeds[name];
          if (!t) throw new Error(`input "${name}" of ${role} was not given`);
          inputs[name] = toOrt(t);
        }
        const outputs = await session.run(inputs);
        const out: Record<string, HostTensor> = {};
        try {
          for (const [name, t] of Object.entries(outputs)) out[name] = await fromOrt(t);
        } finally {
          for (const t of Object.values(outputs)) t.dispose();
        }
        return out;
      });
    },
    async release() {
      if (released) return;
      released = true;
      await serialized(releaseAll);
    },
  };
}
