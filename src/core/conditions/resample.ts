/**
 * Separable resampling of planar float images with the exact index/weight rules of the libraries the ControlNet
 * annotators call (DESIGN §3.7), so the depth maps are the annotators' maps:
 * - 'linear': PyTorch `interpolate(mode='bilinear', align_corners=False)` = OpenCV `INTER_LINEAR`
 *   (src = (dst + ½)·in/out − ½, clamped at 0, right neighbour clamped to the last pixel);
 * - 'linear-corners': PyTorch bilinear with `align_corners=True` (src = dst·(in − 1)/(out − 1));
 * - 'cubic': PyTorch `mode='bicubic', align_corners=False` (Keys kernel A = −0.75, taps clamped to the border);
 * - 'area': OpenCV `INTER_AREA` when shrinking (each output averages its input interval, fractional pixels
 *   weighted by their overlap); for enlarging it falls back to 'linear' (OpenCV's INTER_AREA does the same).
 * Weights are computed per output index once per axis; the image is resampled along x, then y.
 */

export type ResampleMode = 'linear' | 'linear-corners' | 'cubic' | 'area';

/** For each output index: `taps` input indices and weights (row-major, `taps` per output). */
interface AxisTable {
  readonly taps: number;
  readonly index: Int32Array;
  readonly weight: Float64Array;
}

const clampIndex = (i: number, n: number) => (i < 0 ? 0 : i >= n ? n - 1 : i);

/** PyTorch's cubic convolution weights (A = −0.75) for fractional offset t. */
function cubicWeights(t: number): [number, number, number, number] {
  const A = -0.75;
  const near = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1;
  const far = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  return [far(t + 1), near(t), near(1 - t), far(2 - t)];
}

function axisTable(inSize: number, outSize: number, mode: ResampleMode): AxisTable {
  if (mode === 'area' && outSize >= inSize) mode = 'linear';
  if (mode === 'area') {
    const scale = inSize / outSize;
    const taps = Math.ceil(scale) + 1;
    const index = new Int32Array(outSize * taps);
    const weight = new Float64Array(outSize * taps);
    for (let o = 0; o < outSize; o++) {
      const start = o * scale;
      const end = (o + 1) * scale;
      let k = 0;
      for (let i = Math.floor(start); i < end && k < taps; i++) {
        const overlap = Math.min(end, i + 1) - Math.max(start, i);
        if (overlap <= 1e-12) continue;
        index[o * taps + k] = clampIndex(i, inSize);
        weight[o * taps + k] = overlap / scale;
        k++;
      }
    }
    return { taps, index, weight };
  }
  if (mode === 'cubic') {
    const index = new Int32Array(outSize * 4);
    const weight = new Float64Array(outSize * 4);
    const scale = inSize / outSize;
    for (let o = 0; o < outSize; o++) {
      const src = (o + 0.5) * scale - 0.5;
      const i0 = Math.floor(src);
      const w = cubicWeights(src - i0);
      for (let k = 0; k < 4; k++) {
        index[o * 4 + k] = clampIndex(i0 - 1 + k, inSize);
        weight[o * 4 + k] = w[k]!;
      }
    }
    return { taps: 4, index, weight };
  }
  const index = new Int32Array(outSize * 2);
  const weight = new Float64Array(outSize * 2);
  for (let o = 0; o < outSize; o++) {
    let src: number;
    if (mode === 'linear-corners') src = outSize > 1 ? (o * (inSize - 1)) / (outSize - 1) : 0;
    else src = Math.max(0, (o + 0.5) * (inSize / outSize) - 0.5);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const t = src - i0;
    index[o * 2] = i0;
    index[o * 2 + 1] = Math.min(i0 + 1, inSize - 1);
    weight[o * 2] = 1 - t;
    weight[o * 2 + 1] = t;
  }
  return { taps: 2, index, weight };
}

/**
 * Resamples `channels` planes of `inH`×`inW` (planar, row-major) to `outH`×`outW`. Returns a new array;
 * the input is returned as a copy when the size is unchanged.
 */
export function resamplePlanes(
  src: Float32Array,
  channels: number,
  inH: number,
  inW: number,
  outH: number,
  outW: number,
  mode: ResampleMode,
): Float32Array {
  if (inH === outH && inW === outW) return src.slice();
  const tx = axisTable(inW, outW, mode);
  const ty = axisTable(inH, outH, mode);
  const mid = new Float32Array(channels * inH * outW);
  for (let c = 0; c < channels; c++)
    for (let y = 0; y < inH; y++) {
      const row = (c * inH + y) * inW;
      const orow = (c * inH + y) * outW;
      for (let x = 0; x < outW; x++) {
        let acc = 0;
        for (let k = 0; k < tx.taps; k++) acc += src[row + tx.index[x * tx.taps + k]!]! * tx.weight[x * tx.taps + k]!;
        mid[orow + x] = acc;
      }
    }
  const out = new Float32Array(channels * outH * outW);
  for (let c = 0; c < channels; c++)
    for (let y = 0; y < outH; y++) {
      const orow = (c * outH + y) * outW;
      for (let k = 0; k < ty.taps; k++) {
        const w = ty.weight[y * ty.taps + k]!;
        if (w === 0) continue;
        const irow = (c * inH + ty.index[y * ty.taps + k]!) * outW;
        for (let x = 0; x < outW; x++) out[orow + x]! += mid[irow + x]! * w;
      }
    }
  return out;
}
