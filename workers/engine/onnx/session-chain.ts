/**
 * One network step run as a chain of ORT sessions: the parts `splitByWeight` (../graph/split.ts) cut a graph
 * into so that no session holds more than the weight budget. The chain looks like one session to the runner
 * (`inputNames`, `run`, `release`). Parts are created one after another, so only one part's weights are in
 * flight through onnxruntime-web's wasm heap at a time; intermediates between parts stay where ORT put them (GPU
 * buffers on WebGPU) and are disposed after their last reader.
 */
import type { OpGraph } from '../graph/onnx';
import type { OrtSession, OrtTensor } from './ort';

export interface RunnableSession {
  readonly inputNames: readonly string[];
  /** ORT sessions behind it (absent: one). */
  readonly parts?: number;
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

/**
 * Sessions for `parts` in order (a failure releases those already made); `outputs` are the whole graph's (the
 * chain hands those over and frees every other intermediate). One part is its own session.
 */
export async function sessionChain(
  parts: readonly OpGraph[],
  outputs: readonly string[],
  make: (part: OpGraph) => Promise<OrtSession>,
): Promise<RunnableSession> {
  const sessions: OrtSession[] = [];
  try {
    for (const part of parts) sessions.push(await make(part));
  } catch (e) {
    await Promise.all(sessions.map((s) => s.release()));
    throw e;
  }
  if (sessions.length === 1) return sessions[0]!;

  const produced = new Set<string>();
  const inputNames: string[] = [];
  const lastReader = new Map<string, number>();
  parts.forEach((part, k) => {
    for (const i of part.inputs) {
      if (!produced.has(i.name) && !inputNames.includes(i.name)) inputNames.push(i.name);
      lastReader.set(i.name, k);
    }
    part.outputs.forEach((o) => produced.add(o.name));
  });
  const chainOutputs = new Set(outputs);

  return {
    inputNames,
    parts: sessions.length,
    async run(feeds) {
      const values = new Map(Object.entries(feeds));
      const created = new Map<string, OrtTensor>();
      try {
        for (const [k, s] of sessions.entries()) {
          const partFeeds: Record<string, OrtTensor> = {};
          for (const name of s.inputNames) {
            const t = values.get(name);
            if (!t) throw new Error(`${parts[k]!.name}: input "${name}" was not produced`);
            partFeeds[name] = t;
          }
          for (const [name, t] of Object.entries(await s.run(partFeeds))) {
            values.set(name, t);
            created.set(name, t);
          }
          for (const [name, t] of created)
            if (!chainOutputs.has(name) && (lastReader.get(name) ?? -1) <= k) {
              t.dispose();
              created.delete(name);
            }
        }
        const out: Record<string, OrtTensor> = {};
        for (const name of chainOutputs) {
          const t = created.get(name);
          if (!t) throw new Error(`output "${name}" was not produced`);
          out[name] = t;
          created.delete(name);
        }
        return out;
      } finally {
        for (const t of created.values()) t.dispose();
      }
    },
    release: () => Promise.all(sessions.map((s) => s.release())).then(() => undefined),
  };
}
