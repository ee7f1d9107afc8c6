/**
 * Turns ../shared/golden/expected/st_layout_attention.safetensors (see its README) into the inputs of our
 * attention API: head-major [B, H, N, d] tensors → [B, N, H·d], region bits built from the `masks` tensor.
 * Pure (no GPU, no Node APIs): used by the Node reference test and by the in-browser kernel test.
 */
import { readAllFloat32, type HostTensor } from '../../src/core/tensors/safetensors';
import {
  crossModulationMaps,
  selfModulationMaps,
  type AttentionShape,
  type Modulation,
} from '../../src/core/attention/types';

export const GOLDEN_ATTENTION_FILE = 'golden/expected/st_layout_attention.safetensors';

export interface GoldenCase {
  readonly shape: AttentionShape;
  readonly q: Float32Array;
  readonly k: Float32Array;
  readonly v: Float32Array;
  readonly modulation: Modulation;
  /** Expected outputs in [B, N, H·d]. */
  readonly expected: Float32Array;
  readonly expectedUnmodulated: Float32Array;
}

export interface GoldenAttention {
  readonly self: GoldenCase;
  readonly selfFhw: GoldenCase;
  readonly cross: GoldenCase;
}

/** [B, H, N, d] → [B, N, H·d] (channel = head·d + j). */
export function headMajorToInterleaved(t: HostTensor): Float32Array {
  const [b, h, n, d] = t.shape as [number, number, number, number];
  const out = new Float32Array(b * n * h * d);
  for (let bi = 0; bi < b; bi++)
    for (let hi = 0; hi < h; hi++)
      for (let ni = 0; ni < n; ni++)
        for (let j = 0; j < d; j++) out[(bi * n + ni) * h * d + hi * d + j] = t.data[((bi * h + hi) * n + ni) * d + j]!;
  return out;
}

function get(tensors: Map<string, HostTensor>, name: string): HostTensor {
  const t = tensors.get(name);
  if (!t) throw new Error(`golden tensor ${name} missing`);
  return t;
}

export function loadGoldenAttention(file: Uint8Array): GoldenAttention {
  const t = readAllFloat32(file);
  const masks = get(t, 'masks'); // [F, regions, h, w]
  const [frames, regions, h, w] = masks.shape as [number, number, number, number];
  const hw = h * w;
  // Token n = f·hw + y·w + x (frame-major); bit s set when region s covers it.
  const regionBits = new Uint32Array(frames * hw);
  for (let f = 0; f < frames; f++)
    for (let s = 0; s < regions; s++)
      for (let p = 0; p < hw; p++) if (masks.data[(f * regions + s) * hw + p]! > 0.5) regionBits[f * hw + p]! |= 1 << s;
  const tokenRegion = get(t, 'cross.token_region'); // [regions, 77]
  const textTokens = tokenRegion.shape[1]!;
  const textBits = new Uint32Array(textTokens);
  for (let s = 0; s < regions; s++)
    for (let k = 0; k < textTokens; k++) if (tokenRegion.data[s * textTokens + k]! > 0.5) textBits[k]! |= 1 << s;
  const strengthOf = (wName: string): number => get(t, wName).data[0]! * get(t, 'treg').data[0]!;

  const selfQ = get(t, 'self.Q');
  const [, heads, n, d] = selfQ.shape as [number, number, number, number];
  const selfShape: AttentionShape = { batch: 1, kvBatch: 1, queries: n, keys: n, heads, headDim: d };
  const selfCase = (sizeRegName: string, outName: string): GoldenCase => ({
    shape: selfShape,
    q: headMajorToInterleaved(selfQ),
    k: headMajorToInterleaved(get(t, 'self.K')),
    v: headMajorToInterleaved(get(t, 'self.V')),
    modulation: {
      maps: selfModulationMaps(regionBits, get(t, sizeRegName).data),
      itemStrength: new Float32Array([strengthOf('w_self')]),
    },
    expected: headMajorToInterleaved(get(t, outName)),
    expectedUnmodulated: headMajorToInterleaved(get(t, 'self.out_unmodulated')),
  });

  const crossQ = get(t, 'cross.Q'); // [F, H, hw, d], batch index = frame
  const cross: GoldenCase = {
    shape: { batch: frames, kvBatch: 1, queries: hw, keys: textTokens, heads, headDim: crossQ.shape[3]! },
    q: headMajorToInterleaved(crossQ),
    k: headMajorToInterleaved(get(t, 'cross.K')),
    v: headMajorToInterleaved(get(t, 'cross.V')),
    modulation: {
      maps: crossModulationMaps(frames, regionBits, get(t, 'cross.size_reg_c').data, textBits),
      itemStrength: new Float32Array(frames).fill(strengthOf('w_cross')),
    },
    expected: headMajorToInterleaved(get(t, 'cross.out')),
    expectedUnmodulated: headMajorToInterleaved(get(t, 'cross.out_unmodulated')),
  };
  return { self: selfCase('self.size_reg', 'self.out'), selfFhw: selfCase('self.size_reg_fhw', 'self.out_fhw'), cross };
}

/** Largest |a − b|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
