/**
 * FLATTEN trajectories (Cong et al., ICLR 2024) from forward optical flow, in the official tensor layout
 * (DESIGN §3.6; knightyxp/VideoGrain `video_diffusion/common/image_util.py` `sample_trajectories_new`).
 *
 * Input: forward flow [F−1, 2, H, W] in pixels at the edit size H×W (channel 0 = horizontal, 1 = vertical,
 * as RAFT gives it). For each latent resolution (H/8, H/16, H/32, H/64 with windows 2, 1, 1, 1):
 *
 *   flow_r = round(max(h, w) · nearest-resize(flow / max(H, W)))            (float32, round half to even)
 *   link   (t, y, x) → (t+1, y + trunc(flow_r[1]), x + trunc(flow_r[0]))   when inside the h×w frame
 *   conflicts: targets with several sources, in order of first appearance (sources in raster order), keep
 *              the source at `randint(0, n − 1)`; the others link to the padding (−1, −1, −1)
 *   chains:    frame by frame, every active chain follows its last point's link; the points of the
 *              `x // H, x % H` pixel set (the official quirk: a W×H grid for non-square sizes) that no chain
 *              reached start new chains; chains of one point are dropped, a trailing padding is stripped;
 *              every point left over becomes a one-point trajectory.
 *   sequence of token (t, y, x), length L = (2w+1)² + longest − 1:
 *              itself, its in-frame spatial neighbours (dy, dx) in raster order, (0, 0, 0) padding up to
 *              (2w+1)², then the other points of its trajectory in time order, (0, 0, 0) padding to the end;
 *              mask = 1 on the real entries.
 *
 * Output per level: `traj{h}` [T·h·w, L, 3] (t, y, x) and `mask{h}` [T·h·w, L] (0/1), tokens in (t, y, x)
 * raster order. Pure and deterministic given `randint`, which must behave like Python's
 * `random.randint(a, b)` (both ends inclusive): `pythonRandint(seed)` reproduces CPython's stream,
 * `philoxRandint(seed)` is the default seeded choice.
 */
import { AppError } from '../protocol/errors';
import { philox4x32 } from '../random/philox';
import { PythonRandom } from '../random/python-random';

/** Forward flow between consecutive frames, [frames − 1, 2, height, width], pixels at the edit size. */
export interface FlowField {
  /** Number of frame pairs, F − 1 (≥ 1). */
  readonly pairs: number;
  readonly height: number;
  readonly width: number;
  /** Channel 0: horizontal displacement (x, along the width); channel 1: vertical (y, along the height). */
  readonly data: Float32Array;
}

/** Python `random.randint(a, b)`: an integer in [a, b], both inclusive. */
export type RandInt = (a: number, b: number) => number;

export interface TrajectoryLevelSpec {
  /** The official key suffix: `traj{key}` / `mask{key}` with key = H // divisor. */
  readonly key: number;
  readonly height: number;
  readonly width: number;
  /** Spatial window radius w: (2w+1)² − 1 neighbours. */
  readonly window: number;
}

export interface TrajectoryLevel extends TrajectoryLevelSpec {
  /** Frames T = pairs + 1. */
  readonly frames: number;
  /** Sequence length L = (2w+1)² + longest − 1. */
  readonly length: number;
  /** The longest trajectory, in points. */
  readonly longest: number;
  /** [T·h·w, L, 3] as (t, y, x), padded with (0, 0, 0). */
  readonly traj: Int32Array;
  /** [T·h·w, L], 1 where the entry is real. */
  readonly mask: Uint8Array;
  /** Every trajectory as flat point indices ((t·h + y)·w + x), in time order; each point in exactly one. */
  readonly trajectories: readonly (readonly number[])[];
  /** Targets reached by more than one source (one `randint` call each). */
  readonly conflictTargets: number;
  /** Links replaced by the (−1, −1, −1) padding because another source won the target. */
  readonly droppedLinks: number;
}

/** Divisors and windows of the four latent resolutions, in the official processing (and `randint`) order. */
export const FLATTEN_LEVELS: readonly { readonly divisor: number; readonly window: number }[] = [
  { divisor: 8, window: 2 },
  { divisor: 16, window: 1 },
  { divisor: 32, window: 1 },
  { divisor: 64, window: 1 },
];

const NO_LINK = -1;
const PAD_LINK = -2;

/** Python `random.randint` on CPython's MT19937 after `random.seed(seed)`. */
export function pythonRandint(seed: number | bigint): RandInt {
  const r = new PythonRandom(seed);
  return (a, b) => r.randint(a, b);
}

/**
 * The default seeded choice: Philox4x32-10 words (key = seed, counter = call index) with the same
 * bit-length rejection as CPython's randbelow, so it is unbiased and identical everywhere.
 */
export function philoxRandint(seed: number): RandInt {
  const out = new Uint32Array(4);
  let counter = 0;
  const k0 = seed >>> 0;
  const k1 = Math.floor(seed / 4294967296) >>> 0;
  const word = (): number => philox4x32(counter++ >>> 0, 0x46_4c_41_54 /* "FLAT" */, 0, 0, k0, k1, out)[0]!;
  return (a, b) => {
    const n = b - a + 1;
    if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) throw new RangeError(`randint: bad range (${a}, ${b})`);
    const k = 32 - Math.clz32(n);
    let r = word() >>> (32 - k);
    while (r >= n) r = word() >>> (32 - k);
    return a + r;
  };
}

/** torch.round: round half to even. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * `torch.nn.functional.interpolate(..., scale_factor=out/in, mode='nearest')` along one axis: the output size
 * is floor(in · (out / in)) in doubles; the source index is floor(i · float32(1 / scale)), with PyTorch's exact
 * shortcuts for equal and doubled sizes.
 */
function nearestIndices(inSize: number, target: number): Int32Array {
  const factor = target / inSize;
  const outSize = Math.floor(inSize * factor);
  const idx = new Int32Array(outSize);
  const scale = Math.fround(1 / factor);
  for (let i = 0; i < outSize; i++) {
    if (outSize === inSize) idx[i] = i;
    else if (outSize === 2 * inSize) idx[i] = i >> 1;
    else idx[i] = Math.min(Math.floor(Math.fround(i * scale)), inSize - 1);
  }
  return idx;
}

/** The four level specs for an H×W edit size (H and W ≥ 64). */
export function trajectoryLevelSpecs(height: number, width: number): TrajectoryLevelSpec[] {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 64 || width < 64) {
    throw new AppError(
      'EDIT_INPUT_INVALID',
      `Flow trajectories need an edit size of at least 64×64 (one token at H/64); got ${height}×${width}.`,
    );
  }
  return FLATTEN_LEVELS.map(({ divisor, window }) => ({
    key: Math.floor(height / divisor),
    height: Math.floor(height / divisor),
    width: Math.floor(width / divisor),
    window,
  }));
}

/**
 * The rounded flow at one latent resolution, [pairs, 2, h, w] as integers. Refused where PyTorch's
 * nearest-resize output size is not h×w. The division by max(H, W) is a multiply by
 * its float32 reciprocal, as PyTorch's CUDA kernel does for a scalar divisor (the official code runs on CUDA).
 */
export function roundedFlow(
  flow: FlowField,
  levelHeight: number,
  levelWidth: number,
): { data: Int32Array; height: number; width: number } {
  checkFlow(flow);
  const rows = nearestIndices(flow.height, levelHeight);
  const cols = nearestIndices(flow.width, levelWidth);
  const h = rows.length;
  const w = cols.length;
  if (h !== levelHeight || w !== levelWidth) {
    // floor(H · (h / H)) < h in doubles for a few sizes (98, 103, 107, 161, 187, 561, 569 at H/64, none a
    // multiple of 8): the official resize then yields a grid that does not match the UNet's latent.
    throw new AppError(
      'EDIT_INPUT_INVALID',
      `The flow at ${flow.width}×${flow.height} resizes to ${w}×${h} instead of ${levelWidth}×${levelHeight} ` +
        '(as PyTorch does); use an edit size that is a multiple of 8.',
    );
  }
  const inv = Math.fround(1 / Math.max(flow.height, flow.width));
  const scale = Math.fround(Math.max(levelHeight, levelWidth));
  const out = new Int32Array(flow.pairs * 2 * h * w);
  const plane = flow.height * flow.width;
  for (let pc = 0; pc < flow.pairs * 2; pc++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = flow.data[pc * plane + rows[y]! * flow.width + cols[x]!]!;
        // | 0 is Python's int() on an already-rounded value (and turns −0 into 0).
        out[(pc * h + y) * w + x] = roundHalfEven(Math.fround(scale * Math.fround(v * inv))) | 0;
      }
    }
  }
  return { data: out, height: h, width: w };
}

function checkFlow(flow: FlowField): void {
  const { pairs, height, width, data } = flow;
  if (!Number.isInteger(pairs) || pairs < 1 || !Number.isInteger(height) || !Number.isInteger(width)) {
    throw new AppError(
      'EDIT_INPUT_INVALID',
      `Flow must be [F−1 ≥ 1, 2, H, W]; got pairs=${pairs}, ${height}×${width}.`,
    );
  }
  if (data.length !== pairs * 2 * height * width) {
    throw new AppError(
      'EDIT_INPUT_INVALID',
      `Flow data has ${data.length} values; [${pairs}, 2, ${height}, ${width}] needs ${pairs * 2 * height * width}.`,
    );
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      throw new AppError('EDIT_INPUT_INVALID', `Flow value ${i} is not finite (${data[i]}); recompute the flow.`);
    }
  }
}

/**
 * Trajectories and sequences at one resolution from integer flow [T−1, 2, h, w] (already rounded and scaled).
 * `randint` is called once per conflicting target, in the official order.
 */
export function trajectoriesFromRoundedFlow(
  rounded: Int32Array,
  frames: number,
  h: number,
  w: number,
  window: number,
  randint: RandInt,
  key: number = h,
): TrajectoryLevel {
  const T = frames;
  const hw = h * w;
  const total = T * hw;
  if (rounded.length !== (T - 1) * 2 * hw) {
    throw new AppError(
      'EDIT_INPUT_INVALID',
      `Rounded flow has ${rounded.length} values, expected ${(T - 1) * 2 * hw}.`,
    );
  }

  // Links from every point of frames 0..T−2 (each is "not yet activated" in the official loop).
  const next = new Int32Array(total).fill(NO_LINK);
  const sourcesOf = new Map<number, number[]>(); // insertion order = first appearance, as keys_with_same_value
  for (let t = 0; t < T - 1; t++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const ty = y + rounded[((t * 2 + 1) * h + y) * w + x]!;
        const tx = x + rounded[(t * 2 * h + y) * w + x]!;
        if (ty < 0 || ty >= h || tx < 0 || tx >= w) continue;
        const p = (t * h + y) * w + x;
        const target = ((t + 1) * h + ty) * w + tx;
        next[p] = target;
        const list = sourcesOf.get(target);
        if (list) list.push(p);
        else sourcesOf.set(target, [p]);
      }
    }
  }
  let conflictTargets = 0;
  let droppedLinks = 0;
  for (const sources of sourcesOf.values()) {
    if (sources.length < 2) continue;
    conflictTargets++;
    const keep = randint(0, sources.length - 1);
    if (!Number.isInteger(keep) || keep < 0 || keep >= sources.length) {
      throw new RangeError(`randint(0, ${sources.length - 1}) returned ${keep}`);
    }
    sources.forEach((p, i) => {
      if (i !== keep) {
        next[p] = PAD_LINK;
        droppedLinks++;
      }
    });
  }

  // Chains, frame by frame. A chain's last point is a link source ("in trajectories") unless it is the
  // padding, in the last frame, or its link left the frame.
  const finished: number[][] = [];
  let active: number[][] = [];
  const reached = new Uint8Array(hw);
  for (let t = 0; t < T; t++) {
    reached.fill(0);
    const kept: number[][] = [];
    for (const chain of active) {
      const last = chain[chain.length - 1]!;
      const v = last >= 0 ? next[last]! : NO_LINK;
      if (v === NO_LINK) {
        finished.push(chain);
        continue;
      }
      chain.push(v);
      if (v >= 0) reached[v - t * hw] = 1;
      kept.push(chain);
    }
    active = kept;
    // The official pixel set {(t, x // H, x % H) for x in range(H·W)}: (row, col) over a W×H grid; points
    // outside the h×w frame only ever form dropped one-point chains, so they are skipped here.
    for (let i = 0; i < hw; i++) {
      const row = Math.floor(i / h);
      const col = i % h;
      if (row >= h || col >= w) continue;
      const local = row * w + col;
      if (!reached[local]) active.push([t * hw + local]);
    }
  }
  finished.push(...active);

  const trajectories: number[][] = [];
  const owner = new Int32Array(total).fill(-1);
  for (const chain of finished) {
    if (chain.length < 2) continue;
    if (chain[chain.length - 1] === PAD_LINK) chain.pop();
    const id = trajectories.length;
    for (const p of chain) {
      if (owner[p] !== -1) throw new Error(`trajectory invariant broken: point ${p} in two trajectories`);
      owner[p] = id;
    }
    trajectories.push(chain);
  }
  for (let p = 0; p < total; p++) {
    if (owner[p] === -1) {
      owner[p] = trajectories.length;
      trajectories.push([p]);
    }
  }

  let longest = 1;
  for (const tr of trajectories) longest = Math.max(longest, tr.length);
  const side = 2 * window + 1;
  const head = side * side;
  const L = head + longest - 1;
  const traj = new Int32Array(total * L * 3);
  const mask = new Uint8Array(total * L);
  const put = (token: number, slot: number, p: number): void => {
    const t = Math.floor(p / hw);
    const r = p - t * hw;
    const o = (token * L + slot) * 3;
    traj[o] = t;
    traj[o + 1] = Math.floor(r / w);
    traj[o + 2] = r % w;
    mask[token * L + slot] = 1;
  };
  for (let t = 0; t < T; t++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const p = (t * h + y) * w + x;
        put(p, 0, p);
        let slot = 1;
        for (let dy = -window; dy <= window; dy++) {
          for (let dx = -window; dx <= window; dx++) {
            if (dy === 0 && dx === 0) continue;
            const ny = y + dy;
            const nx = x + dx;
            if (ny < 0 || ny >= h || nx < 0 || nx >= w) continue;
            put(p, slot++, (t * h + ny) * w + nx);
          }
        }
        slot = head;
        for (const q of trajectories[owner[p]!]!) if (q !== p) put(p, slot++, q);
      }
    }
  }
  return {
    key,
    height: h,
    width: w,
    window,
    frames: T,
    length: L,
    longest,
    traj,
    mask,
    trajectories,
    conflictTargets,
    droppedLinks,
  };
}

/**
 * All four levels from a flow at the edit size, in the official order (H/8, H/16, H/32, H/64), sharing one
 * `randint` stream across levels as the official code shares Python's global `random`.
 */
export function sampleTrajectories(flow: FlowField, randint: RandInt = philoxRandint(0)): TrajectoryLevel[] {
  return trajectoryLevelSpecs(flow.height, flow.width).map((spec) => {
    const r = roundedFlow(flow, spec.height, spec.width);
    return trajectoriesFromRoundedFlow(r.data, flow.pairs + 1, r.height, r.width, spec.window, randint, spec.key);
  });
}
