/**
 * CPU reference attention (the oracle of the WGSL kernels, and the CPU backend of Node-side UNet runs).
 * The UN-fused ST-Layout formula of DESIGN §3.4, one query row at a time (memory O(Nk), never Nq×Nk):
 *
 *   S  = q·Kᵀ/√d,  rowmax/rowmin over all keys of the row
 *   S' = S + R·a·(rowmax − S) − (1 − R)·a·(S − rowmin),   P = softmax(S'),   out = P·V
 *   a  = itemStrength[b] · sizeReg[g·Nq + q],  R[q,k] = (queryBits[g·Nq + q] & keyBits[k]) ≠ 0,  g = b mod groups
 *
 * Layout: Q [B, Nq, H·d], K/V [Bkv, Nk, H·d] (channel = head·d + j), output [B, Nq, H·d]. Item b reads K/V
 * item floor(b / (B / Bkv)). Without a modulation (or with a = 0) this is plain softmax(QKᵀ/√d)·V.
 */
import { AttentionInputError, validateAttention, type AttentionShape, type Modulation } from './types';

export function referenceAttention(
  shape: AttentionShape,
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  modulation?: Modulation,
): Float32Array {
  validateAttention(shape, modulation);
  const { batch, kvBatch, queries: nq, keys: nk, heads, headDim: d } = shape;
  const channels = heads * d;
  if (q.length !== batch * nq * channels) throw new AttentionInputError(`Q has ${q.length} values, expected B·Nq·H·d`);
  if (k.length !== kvBatch * nk * channels || v.length !== k.length)
    throw new AttentionInputError(`K/V have ${k.length}/${v.length} values, expected Bkv·Nk·H·d`);
  const out = new Float32Array(q.length);
  const scores = new Float64Array(nk);
  const acc = new Float64Array(d);
  const scale = 1 / Math.sqrt(d);
  const itemsPerKv = batch / kvBatch;

  for (let b = 0; b < batch; b++) {
    const kvItem = Math.floor(b / itemsPerKv);
    const group = modulation ? b % modulation.maps.groups : 0;
    for (let h = 0; h < heads; h++) {
      for (let qi = 0; qi < nq; qi++) {
        const qOff = (b * nq + qi) * channels + h * d;
        let rowMax = -Infinity;
        let rowMin = Infinity;
        for (let kk = 0; kk < nk; kk++) {
          const kOff = (kvItem * nk + kk) * channels + h * d;
          let dot = 0;
          for (let j = 0; j < d; j++) dot += q[qOff + j]! * k[kOff + j]!;
          const s = dot * scale;
          scores[kk] = s;
          if (s > rowMax) rowMax = s;
          if (s < rowMin) rowMin = s;
        }
        if (modulation) {
          const idx = group * nq + qi;
          const a = modulation.itemStrength[b]! * modulation.maps.sizeReg[idx]!;
          const qBits = modulation.maps.queryBits[idx]!;
          if (a !== 0) {
            for (let kk = 0; kk < nk; kk++) {
              const s = scores[kk]!;
              const related = (qBits & modulation.maps.keyBits[kk]!) !== 0;
              scores[kk] = related ? s + a * (rowMax - s) : s - a * (s - rowMin);
            }
          }
        }
        let max = -Infinity;
        for (let kk = 0; kk < nk; kk++) if (scores[kk]! > max) max = scores[kk]!;
        let sum = 0;
        acc.fill(0);
        for (let kk = 0; kk < nk; kk++) {
          const p = Math.exp(scores[kk]! - max);
          sum += p;
          const vOff = (kvItem * nk + kk) * channels + h * d;
          for (let j = 0; j < d; j++) acc[j] = acc[j]! + p * v[vOff + j]!;
        }
        for (let j = 0; j < d; j++) out[qOff + j] = acc[j]! / sum;
      }
    }
  }
  return out;
}
