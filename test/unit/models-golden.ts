/** Helpers shared by the model golden tests: golden tensors, model files, comparison statistics. */
import { readAllFloat32, parseSafetensors, type HostTensor as GoldenTensor } from '../../src/core/tensors/safetensors';
import { WeightStore } from '../../workers/engine/models/weights';
import type { HostTensor } from '../../workers/engine/onnx/runner';
import { readShared } from '../helpers/node/shared';

const cache = new Map<string, Map<string, GoldenTensor>>();

export function golden(file: string): Map<string, GoldenTensor> {
  let m = cache.get(file);
  if (!m) cache.set(file, (m = readAllFloat32(readShared(`golden/expected/${file}`))));
  return m;
}

export function goldenTensor(file: string, name: string): GoldenTensor {
  const t = golden(file).get(name);
  if (!t) throw new Error(`${file} has no tensor ${name}`);
  return t;
}

/** An int64 golden tensor as BigInt64Array (token ids). */
export function goldenInt64(file: string, name: string): { dims: number[]; data: BigInt64Array } {
  const bytes = readShared(`golden/expected/${file}`);
  const info = parseSafetensors(bytes).tensors.get(name)!;
  return { dims: [...info.shape], data: new BigInt64Array(bytes.slice(info.begin, info.end).buffer) };
}

export const asInput = (t: GoldenTensor): HostTensor => ({ dims: [...t.shape], data: t.data });

export function weights(rel: string): WeightStore {
  return new WeightStore(readShared(`golden/${rel}`), rel);
}

export function config(rel: string): unknown {
  return JSON.parse(new TextDecoder().decode(readShared(`golden/${rel}`)));
}

export interface Diff {
  readonly maxAbs: number;
  readonly meanAbs: number;
  readonly refMaxAbs: number;
}

export function diff(actual: HostTensor | undefined, expected: GoldenTensor): Diff {
  if (!actual) throw new Error('missing output');
  if (actual.dims.join() !== expected.shape.join())
    throw new Error(`shape [${actual.dims.join(', ')}] != expected [${expected.shape.join(', ')}]`);
  const a = actual.data as Float32Array;
  let maxAbs = 0;
  let sum = 0;
  let refMaxAbs = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - expected.data[i]!);
    if (!(d <= maxAbs)) maxAbs = Number.isNaN(d) ? Infinity : d;
    sum += d;
    refMaxAbs = Math.max(refMaxAbs, Math.abs(expected.data[i]!));
  }
  return { maxAbs, meanAbs: sum / a.length, refMaxAbs };
}

export const scalarInput = (v: number): HostTensor => ({ dims: [1], data: Float32Array.of(v) });
