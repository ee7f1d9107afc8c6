/**
 * CPU oracle of the FLATTEN flow attention (./flow-attention.wgsl; DESIGN §3.6): per group g (CFG half),
 * token t and head h,
 *   s_j = Σ_e Q[g,t,h,e]·K[g,key_j,h,e] / √d  over the valid keys j of t (./keys.ts),
 *   out[g,t,h,:] = Σ_j softmax(s)_j · V[g,key_j,h,:].
 * Rows are [G·T, H·d] (the UNet's [B, N, C] with B = G·F frame-major). The scale is 1/√d with d the head dim,
 * as the official code divides by query_tempo.size(−1) after splitting heads. Float64 accumulation.
 */
import { INVALID_KEY, type FlowKeys } from './keys';

export interface FlowAttentionShape {
  /** CFG halves (groups of F frames) in the call. */
  readonly groups: number;
  readonly heads: number;
  readonly headDim: number;
}

export function flowAttentionReference(
  shape: FlowAttentionShape,
  keys: FlowKeys,
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
): Float32Array {
  const { groups, heads, headDim: d } = shape;
  const tokens = keys.frames * keys.height * keys.width;
  const c = heads * d;
  const kpt = keys.keysPerToken;
  if (q.length !== groups * tokens * c || k.length !== q.length || v.length !== q.length)
    throw new RangeError(`flow attention: Q/K/V must hold ${groups}·${tokens}·${c} values`);
  const out = new Float32Array(q.length);
  const scale = 1 / Math.sqrt(d);
  const s = new Float64Array(kpt);
  for (let g = 0; g < groups; g++)
    for (let t = 0; t < tokens; t++)
      for (let h = 0; h < heads; h++) {
        const qb = (g * tokens + t) * c + h * d;
        let m = -Infinity;
        for (let j = 0; j < kpt; j++) {
          const key = keys.index[t * kpt + j]!;
          if (key === INVALID_KEY) {
            s[j] = -Infinity;
            continue;
          }
          const kb = (g * tokens + key) * c + h * d;
          let dot = 0;
          for (let e = 0; e < d; e++) dot += q[qb + e]! * k[kb + e]!;
          s[j] = dot * scale;
          m = Math.max(m, s[j]!);
        }
        let sum = 0;
        for (let j = 0; j < kpt; j++) {
          s[j] = s[j] === -Infinity ? 0 : Math.exp(s[j]! - m);
          sum += s[j]!;
        }
        for (let e = 0; e < d; e++) {
          let acc = 0;
          for (let j = 0; j < kpt; j++) {
            const key = keys.index[t * kpt + j]!;
            if (key !== INVALID_KEY) acc += s[j]! * v[(g * tokens + key) * c + h * d + e]!;
          }
          out[qb + e] = acc / sum;
        }
      }
  return out;
}
