/**
 * Per-region cross-attention maps of the last denoising step (DESIGN §1 step 5), DAAM-style:
 *
 *   for each probed cross-attention core at the chosen resolution h×w, each cond-half item b (frame f),
 *   each head, each query n:   p = softmax_t( q_n · k_t / √d )          (K item ⌊b·Bk/B⌋, 77 text tokens)
 *   A_r[f, n] += Σ_{t: bit r of textTokenBits[t]} p_t / heads
 *   A_r /= cores;  A_r ← (A_r − min A_r) / (max A_r − min A_r)   (per region over all frames; 0 when flat)
 *
 * The probe sees unmodulated logits (softmax(QKᵀ/√d)), i.e. what the prompt tokens attract, not the
 * ST-Layout-biased attention. Q [B, N, H·d] and K [Bk, Nk, H·d] with heads interleaved in channels
 * (channel = head·d + j); cross-attention items are (CFG half, frame), the cond half last: the last F items of
 * a call, whether it holds both halves or the cond half alone (sequential CFG).
 */
import type { RegionAttentionMap } from '../../../src/core/protocol/edit';
import type { AttentionCore } from '../graph/ir';
import type { AttentionProbe, ProbedTensor } from '../pipeline/components';

export interface AttentionMapSpec {
  readonly frames: number;
  /** Attention resolution probed (tokens per frame = height·width). */
  readonly height: number;
  readonly width: number;
  /** Uint32Array [77]: bit r ⇔ text token t belongs to region r (the layout's text-token bits). */
  readonly textTokenBits: Uint32Array;
  readonly regionCount: number;
}

export interface AttentionMapCollector {
  readonly probe: AttentionProbe;
  /** Cores captured so far. */
  cores(): number;
  maps(): RegionAttentionMap[];
}

export function collectAttentionMaps(spec: AttentionMapSpec): AttentionMapCollector {
  const { frames: F, height, width, textTokenBits, regionCount: R } = spec;
  const tokens = height * width;
  const acc = Array.from({ length: R }, () => new Float64Array(F * tokens));
  let cores = 0;

  function capture(core: AttentionCore, q: ProbedTensor, k: ProbedTensor): void {
    const [B, N, C] = q.dims as [number, number, number];
    const [Bk, Nk] = k.dims as [number, number];
    const { heads, headDim: d } = core;
    if (B % F !== 0 || N !== tokens || C !== heads * d)
      throw new Error(
        `attention probe: ${core.name} has Q [${q.dims.join(', ')}], expected [k·${F}, ${tokens}, ${heads * d}]`,
      );
    const scale = 1 / Math.sqrt(d);
    const logits = new Float64Array(Nk);
    for (let f = 0; f < F; f++) {
      const b = B - F + f;
      const kb = Math.floor((b * Bk) / B);
      for (let h = 0; h < heads; h++)
        for (let n = 0; n < N; n++) {
          const qOff = (b * N + n) * C + h * d;
          let max = -Infinity;
          for (let t = 0; t < Nk; t++) {
            const kOff = (kb * Nk + t) * C + h * d;
            let s = 0;
            for (let j = 0; j < d; j++) s += q.data[qOff + j]! * k.data[kOff + j]!;
            logits[t] = s * scale;
            if (logits[t]! > max) max = logits[t]!;
          }
          let sum = 0;
          for (let t = 0; t < Nk; t++) sum += logits[t] = Math.exp(logits[t]! - max);
          for (let r = 0; r < R; r++) {
            const bit = 1 << r;
            let owned = 0;
            for (let t = 0; t < Nk; t++) if ((textTokenBits[t]! & bit) !== 0) owned += logits[t]!;
            acc[r]![f * tokens + n]! += owned / sum / heads;
          }
        }
    }
    cores++;
  }

  return {
    probe: {
      wants: (core) => core.attention === 'cross' && core.queryTokens === tokens,
      capture,
    },
    cores: () => cores,
    maps: () =>
      acc.map((values, region) => {
        let min = Infinity;
        let max = -Infinity;
        for (const v of values) {
          if (v < min) min = v;
          if (v > max) max = v;
        }
        const range = max - min;
        const data = Float32Array.from(values, (v) => (range > 0 ? (v - min) / range : 0));
        return { region, frames: F, width, height, data };
      }),
  };
}
