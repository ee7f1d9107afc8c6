/**
 * Signed distance fields and shape interpolation between keyframes.
 * Distances: exact Euclidean distance transform of Felzenszwalb & Huttenlocher ("Distance Transforms of
 * Sampled Functions", Theory of Computing 2012): a 1-D lower envelope of parabolas per column, then per row.
 * sdf(p) = −(d_out(p) − ½) inside, +(d_in(p) − ½) outside, where d_out / d_in are distances to the nearest
 * pixel outside / inside; so inside ≤ −½ and outside ≥ ½, and thresholding at 0 gives back the mask.
 * Interpolation at t ∈ [0, 1]: pixel on ⇔ (1 − t)·sdfA(p − t·Δ) + t·sdfB(p + (1 − t)·Δ) < 0, with Δ the
 * shift between the two shapes' centroids. A plain blend of the fields would make a moving object fade out
 * and back in when the two shapes do not overlap; aligning the centroids moves it while the fields morph it.
 */
import type { MaskSize } from './raster';

const INF = 1e20;

function edt1d(f: Float64Array, n: number, d: Float64Array, v: Int32Array, z: Float64Array): void {
  let k = 0;
  v[0] = 0;
  z[0] = -INF;
  z[1] = INF;
  for (let q = 1; q < n; q++) {
    let s = (f[q]! + q * q - (f[v[k]!]! + v[k]! * v[k]!)) / (2 * q - 2 * v[k]!);
    while (s <= z[k]!) {
      k--;
      s = (f[q]! + q * q - (f[v[k]!]! + v[k]! * v[k]!)) / (2 * q - 2 * v[k]!);
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = INF;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1]! < q) k++;
    const dq = q - v[k]!;
    d[q] = dq * dq + f[v[k]!]!;
  }
}

/** Squared distance from every pixel to the nearest pixel where `mask === feature`. */
export function squaredDistance(mask: Uint8Array, size: MaskSize, feature: 0 | 1): Float64Array {
  const { width: w, height: h } = size;
  const out = new Float64Array(w * h);
  for (let i = 0; i < out.length; i++) out[i] = mask[i] === feature ? 0 : INF;
  const n = Math.max(w, h);
  const f = new Float64Array(n);
  const d = new Float64Array(n);
  const v = new Int32Array(n);
  const z = new Float64Array(n + 1);
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) f[y] = out[y * w + x]!;
    edt1d(f, h, d, v, z);
    for (let y = 0; y < h; y++) out[y * w + x] = d[y]!;
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) f[x] = out[y * w + x]!;
    edt1d(f, w, d, v, z);
    for (let x = 0; x < w; x++) out[y * w + x] = d[x]!;
  }
  return out;
}

/** Signed distance field; an empty mask is "far away everywhere" (+(w + h)), a full one −(w + h). */
export function signedDistance(mask: Uint8Array, size: MaskSize): Float32Array {
  const sdf = new Float32Array(mask.length);
  const far = size.width + size.height;
  const toInside = squaredDistance(mask, size, 1);
  const toOutside = squaredDistance(mask, size, 0);
  for (let i = 0; i < mask.length; i++) {
    if (mask[i]) sdf[i] = toOutside[i]! >= INF ? -far : -(Math.sqrt(toOutside[i]!) - 0.5);
    else sdf[i] = toInside[i]! >= INF ? far : Math.sqrt(toInside[i]!) - 0.5;
  }
  return sdf;
}

export function blendSdf(a: Float32Array, b: Float32Array, t: number): Uint8Array {
  const out = new Uint8Array(a.length);
  const s = 1 - t;
  for (let i = 0; i < a.length; i++) out[i] = s * a[i]! + t * b[i]! < 0 ? 1 : 0;
  return out;
}

function centroid(mask: Uint8Array, size: MaskSize): { x: number; y: number } | null {
  let sx = 0;
  let sy = 0;
  let n = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    sx += i % size.width;
    sy += Math.floor(i / size.width);
    n++;
  }
  return n > 0 ? { x: sx / n, y: sy / n } : null;
}

/** Blend of `a` sampled at p − da and `b` sampled at p − db (integer shifts; outside the frame is "far"). */
function blendShifted(
  a: Float32Array,
  b: Float32Array,
  size: MaskSize,
  t: number,
  da: readonly [number, number],
  db: readonly [number, number],
): Uint8Array {
  const { width: w, height: h } = size;
  const far = w + h;
  const out = new Uint8Array(w * h);
  const s = 1 - t;
  for (let y = 0; y < h; y++) {
    const ya = y - da[1];
    const yb = y - db[1];
    for (let x = 0; x < w; x++) {
      const xa = x - da[0];
      const xb = x - db[0];
      const va = xa >= 0 && xa < w && ya >= 0 && ya < h ? a[ya * w + xa]! : far;
      const vb = xb >= 0 && xb < w && yb >= 0 && yb < h ? b[yb * w + xb]! : far;
      out[y * w + x] = s * va + t * vb < 0 ? 1 : 0;
    }
  }
  return out;
}

/** The in-between shapes of two masks at each t in `ts` (centroid-aligned SDF blend, see above). */
export function interpolateMasks(a: Uint8Array, b: Uint8Array, size: MaskSize, ts: readonly number[]): Uint8Array[] {
  const sa = signedDistance(a, size);
  const sb = signedDistance(b, size);
  const ca = centroid(a, size);
  const cb = centroid(b, size);
  if (!ca || !cb) return ts.map((t) => blendSdf(sa, sb, t));
  const dx = cb.x - ca.x;
  const dy = cb.y - ca.y;
  return ts.map((t) =>
    blendShifted(
      sa,
      sb,
      size,
      t,
      [Math.round(t * dx), Math.round(t * dy)],
      [Math.round(-(1 - t) * dx), Math.round(-(1 - t) * dy)],
    ),
  );
}
