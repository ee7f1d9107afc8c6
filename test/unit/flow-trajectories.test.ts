/**
 * FLATTEN trajectories (src/core/flow/trajectories.ts, DESIGN §3.6) on synthetic flows with known answers,
 * invariants on a real-like flow, and agreement with a line-by-line Python port of the official
 * `sample_trajectories_new` loop (dict order, `random.randint` conflicts, the `x // H, x % H` pixel set).
 */
import { describe, expect, it } from 'vitest';
import {
  philoxRandint,
  pythonRandint,
  roundedFlow,
  sampleTrajectories,
  trajectoriesFromRoundedFlow,
  type FlowField,
  type RandInt,
  type TrajectoryLevel,
} from '../../src/core/flow/trajectories';

/** Integer flow [T−1, 2, h, w] from a per-point function giving (dx, dy). */
function intFlow(
  T: number,
  h: number,
  w: number,
  f: (t: number, y: number, x: number) => [number, number],
): Int32Array {
  const out = new Int32Array((T - 1) * 2 * h * w);
  for (let t = 0; t < T - 1; t++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const [dx, dy] = f(t, y, x);
        out[(t * 2 * h + y) * w + x] = dx;
        out[((t * 2 + 1) * h + y) * w + x] = dy;
      }
    }
  }
  return out;
}

const noRandom: RandInt = () => {
  throw new Error('randint must not be called without conflicts');
};

/** (t, y, x) of a flat point index. */
const tyx = (lv: TrajectoryLevel, p: number): [number, number, number] => {
  const hw = lv.height * lv.width;
  const t = Math.floor(p / hw);
  return [t, Math.floor((p - t * hw) / lv.width), (p - t * hw) % lv.width];
};

/** The L×3 sequence and L mask of one token. */
function tokenSeq(lv: TrajectoryLevel, t: number, y: number, x: number): { seq: number[][]; mask: number[] } {
  const token = (t * lv.height + y) * lv.width + x;
  const seq: number[][] = [];
  const mask: number[] = [];
  for (let s = 0; s < lv.length; s++) {
    const o = (token * lv.length + s) * 3;
    seq.push([lv.traj[o]!, lv.traj[o + 1]!, lv.traj[o + 2]!]);
    mask.push(lv.mask[token * lv.length + s]!);
  }
  return { seq, mask };
}

/** Every point in exactly one trajectory; consecutive points one frame apart and following the flow. */
function checkInvariants(lv: TrajectoryLevel, flow: Int32Array): void {
  const { height: h, width: w, frames: T } = lv;
  const seen = new Uint8Array(T * h * w);
  for (const tr of lv.trajectories) {
    for (let i = 0; i < tr.length; i++) {
      const p = tr[i]!;
      expect(seen[p]).toBe(0);
      seen[p] = 1;
      if (i === 0) continue;
      const [t0, y0, x0] = tyx(lv, tr[i - 1]!);
      const [t1, y1, x1] = tyx(lv, p);
      expect(t1).toBe(t0 + 1);
      expect(y1).toBe(y0 + flow[((t0 * 2 + 1) * h + y0) * w + x0]!);
      expect(x1).toBe(x0 + flow[(t0 * 2 * h + y0) * w + x0]!);
    }
  }
  expect(seen.every((v) => v === 1)).toBe(true);
  // Slot 0 of every token is the token itself; the mask covers exactly its trajectory's other points.
  const head = (2 * lv.window + 1) ** 2;
  for (const tr of lv.trajectories) {
    for (const p of tr) {
      const [t, y, x] = tyx(lv, p);
      const { seq, mask } = tokenSeq(lv, t, y, x);
      expect(seq[0]).toEqual([t, y, x]);
      expect(mask.slice(head).reduce((a, b) => a + b, 0)).toBe(tr.length - 1);
      const rest = tr.filter((q) => q !== p).map((q) => tyx(lv, q));
      expect(seq.slice(head, head + rest.length)).toEqual(rest);
    }
  }
}

/** FNV-1a over the traj values (as u32) then the mask values, as the Python port computes it. */
function checksum(lv: TrajectoryLevel): number {
  let hsh = 0x811c9dc5;
  for (const v of lv.traj) hsh = Math.imul(hsh ^ (v >>> 0), 0x01000193) >>> 0;
  for (const v of lv.mask) hsh = Math.imul(hsh ^ v, 0x01000193) >>> 0;
  return hsh;
}

/** The Python port's integer flow: a 32-bit LCG, values in [−amp, amp], [T−1][2][H][W] order. */
function lcgFlow(T: number, h: number, w: number, seed: number, amp: number): Int32Array {
  const out = new Int32Array((T - 1) * 2 * h * w);
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s >>> 16) % (2 * amp + 1)) - amp;
  }
  return out;
}

describe('FLATTEN trajectories on synthetic flows', () => {
  it('uniform translation: straight lines, no conflicts', () => {
    const T = 4;
    const flow = intFlow(T, 6, 6, () => [1, 0]);
    const lv = trajectoriesFromRoundedFlow(flow, T, 6, 6, 2, noRandom);
    expect(lv.conflictTargets).toBe(0);
    expect(lv.droppedLinks).toBe(0);
    expect(lv.longest).toBe(4);
    expect(lv.length).toBe(25 + 3);
    checkInvariants(lv, flow);
    // (1, 2, 2) lies on the chain started at (0, 2, 1): the other points follow in time order.
    const { seq, mask } = tokenSeq(lv, 1, 2, 2);
    expect(seq.slice(25)).toEqual([
      [0, 2, 1],
      [2, 2, 3],
      [3, 2, 4],
    ]);
    expect(mask.slice(25)).toEqual([1, 1, 1]);
    // Neighbours: the 24 in-frame points of the 5×5 window, raster order, no padding (interior point).
    expect(seq[1]).toEqual([1, 0, 0]);
    expect(seq[24]).toEqual([1, 4, 4]);
    expect(mask.slice(0, 25).every((m) => m === 1)).toBe(true);
    // Every trajectory is a straight line: x grows by one per frame, y stays.
    for (const tr of lv.trajectories) {
      const pts = tr.map((p) => tyx(lv, p));
      pts.forEach(([t, y, x], i) => expect([t - pts[0]![0], y, x - pts[0]![2]]).toEqual([i, pts[0]![1], i]));
    }
  });

  it('converging flow: every row collapses onto column 0, one randint per target', () => {
    const T = 2;
    const flow = intFlow(T, 4, 4, (_t, _y, x) => [-x, 0]);
    const calls: [number, number][] = [];
    const picks = [0, 1, 2, 3];
    const lv = trajectoriesFromRoundedFlow(flow, T, 4, 4, 1, (a, b) => {
      calls.push([a, b]);
      return picks[calls.length - 1]!;
    });
    // 4 targets (1, y, 0), 4 sources each → 4 randint(0, 3) calls in row order, 12 links padded.
    expect(calls).toEqual([
      [0, 3],
      [0, 3],
      [0, 3],
      [0, 3],
    ]);
    expect(lv.conflictTargets).toBe(4);
    expect(lv.droppedLinks).toBe(12);
    // Row y keeps source x = picks[y].
    const chains = lv.trajectories.filter((tr) => tr.length === 2).map((tr) => tr.map((p) => tyx(lv, p)));
    expect(chains).toEqual(
      [0, 1, 2, 3].map((y) => [
        [0, y, picks[y]!],
        [1, y, 0],
      ]),
    );
    expect(lv.trajectories.length).toBe(4 + 12 + 12);
    checkInvariants(lv, flow);
    // A losing source has no trajectory entries: its mask is zero past the window.
    const { mask } = tokenSeq(lv, 0, 0, 1);
    expect(mask.slice(9)).toEqual([0]);
  });

  it('zero flow: one trajectory per pixel through all frames', () => {
    const T = 5;
    const flow = intFlow(T, 4, 4, () => [0, 0]);
    const lv = trajectoriesFromRoundedFlow(flow, T, 4, 4, 1, noRandom);
    expect(lv.conflictTargets).toBe(0);
    expect(lv.trajectories.length).toBe(16);
    expect(lv.trajectories.every((tr) => tr.length === T)).toBe(true);
    expect(lv.length).toBe(9 + 4);
    checkInvariants(lv, flow);
    // Corner (2, 0, 0): 3 neighbours then padding (zeros, masked out), then frames 0, 1, 3, 4 of its pixel.
    const { seq, mask } = tokenSeq(lv, 2, 0, 0);
    expect(seq.slice(0, 4)).toEqual([
      [2, 0, 0],
      [2, 0, 1],
      [2, 1, 0],
      [2, 1, 1],
    ]);
    expect(seq.slice(4, 9).every((p) => p.every((v) => v === 0))).toBe(true);
    expect(mask.slice(0, 9)).toEqual([1, 1, 1, 1, 0, 0, 0, 0, 0]);
    expect(seq.slice(9)).toEqual([
      [0, 0, 0],
      [1, 0, 0],
      [3, 0, 0],
      [4, 0, 0],
    ]);
    expect(mask.slice(9)).toEqual([1, 1, 1, 1]);
  });

  it('keeps the x // H, x % H pixel-set quirk: non-square zero flow leaves columns ≥ H as one-point trajectories', () => {
    // h = 3, w = 4: the official pixel set is {(t, x // 3, x % 3)}, so chains start only in columns 0..2;
    // column 3 is never a start and never reached: 3 points × 5 frames of one-point trajectories.
    const T = 5;
    const flow = intFlow(T, 3, 4, () => [0, 0]);
    const lv = trajectoriesFromRoundedFlow(flow, T, 3, 4, 1, noRandom);
    expect(lv.trajectories.filter((tr) => tr.length === T).length).toBe(9);
    expect(lv.trajectories.filter((tr) => tr.length === 1).length).toBe(15);
    expect(lv.trajectories.filter((tr) => tr.length === 1).every((tr) => tyx(lv, tr[0]!)[2] === 3)).toBe(true);
    checkInvariants(lv, flow);
  });

  it('flow leaving the frame: no links, one-point trajectories, partial exits keep in-frame links', () => {
    const T = 3;
    const out = intFlow(T, 4, 4, () => [4, 0]);
    const lv = trajectoriesFromRoundedFlow(out, T, 4, 4, 1, noRandom);
    expect(lv.trajectories.length).toBe(T * 16);
    expect(lv.longest).toBe(1);
    expect(lv.length).toBe(9);
    checkInvariants(lv, out);

    // dx = +2 on a width of 3: only column 0 links (to column 2), columns 1 and 2 leave the frame.
    const part = intFlow(T, 2, 3, () => [2, 0]);
    const lp = trajectoriesFromRoundedFlow(part, T, 2, 3, 1, noRandom);
    const chains = lp.trajectories.filter((tr) => tr.length > 1).map((tr) => tr.map((p) => tyx(lp, p)));
    expect(chains).toEqual([
      [
        [0, 0, 0],
        [1, 0, 2],
      ],
      [
        [0, 1, 0],
        [1, 1, 2],
      ],
      [
        [1, 0, 0],
        [2, 0, 2],
      ],
      [
        [1, 1, 0],
        [2, 1, 2],
      ],
    ]);
    expect(lp.longest).toBe(2);
    checkInvariants(lp, part);
  });

  it('matches a line-by-line Python port of the official loop (random.seed(n), the x // H, x % H pixel set)', () => {
    // Values printed by the Python port (CPython 3: dicts in insertion order, random.randint). The two
    // non-square cases give different checksums when the pixel set is built with x // W, x % W instead.
    const cases = [
      { T: 4, h: 5, w: 5, win: 1, fseed: 7, amp: 1, rseed: 0, conflicts: 12, dropped: 14, longest: 4, sum: 1397317749 },
      { T: 3, h: 4, w: 6, win: 1, fseed: 11, amp: 1, rseed: 3, conflicts: 8, dropped: 9, longest: 3, sum: 3340840216 },
      { T: 3, h: 6, w: 4, win: 2, fseed: 13, amp: 2, rseed: 5, conflicts: 8, dropped: 11, longest: 3, sum: 1796567706 },
    ];
    for (const c of cases) {
      const flow = lcgFlow(c.T, c.h, c.w, c.fseed, c.amp);
      const lv = trajectoriesFromRoundedFlow(flow, c.T, c.h, c.w, c.win, pythonRandint(c.rseed));
      expect([lv.conflictTargets, lv.droppedLinks, lv.longest]).toEqual([c.conflicts, c.dropped, c.longest]);
      expect(lv.length).toBe((2 * c.win + 1) ** 2 + c.longest - 1);
      checkInvariants(lv, flow);
      expect(checksum(lv)).toBe(c.sum);
    }
    // Token 7 of the first case, as printed by the port.
    const lv = trajectoriesFromRoundedFlow(lcgFlow(4, 5, 5, 7, 1), 4, 5, 5, 1, pythonRandint(0));
    const { seq, mask } = tokenSeq(lv, 0, 1, 2);
    expect(seq.slice(9)).toEqual([
      [1, 2, 1],
      [2, 2, 0],
      [0, 0, 0],
    ]);
    expect(mask).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
  });
});

describe('FLATTEN trajectories from a pixel flow at the edit size', () => {
  /** A smooth rotating, contracting and wobbling flow in pixels, [F−1, 2, H, W]. */
  function realLike(pairs: number, H: number, W: number): FlowField {
    const data = new Float32Array(pairs * 2 * H * W);
    for (let t = 0; t < pairs; t++) {
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const cx = x - W / 2;
          const cy = y - H / 2;
          data[(t * 2 * H + y) * W + x] = -0.6 * cy - 0.3 * cx + 3 * Math.sin((t + y) / 9);
          data[((t * 2 + 1) * H + y) * W + x] = 0.6 * cx - 0.3 * cy + 2 * Math.cos((t + x) / 7);
        }
      }
    }
    return { pairs, height: H, width: W, data };
  }

  it('rounds max(h, w) · flow / max(H, W) half to even at each level', () => {
    // 128×128 edit size, level 16×16: value v px → round(16 · v / 128) = round(v / 8).
    const data = new Float32Array(2 * 128 * 128);
    data[0] = 4; // 0.5 → 0 (half to even)
    data[8] = 12; // 1.5 → 2 (column 1 of the level samples column 8)
    data[16] = -4; // −0.5 → −0 → 0
    data[24] = 11.9; // 1.4875 → 1
    const r = roundedFlow({ pairs: 1, height: 128, width: 128, data }, 16, 16);
    expect([r.height, r.width]).toEqual([16, 16]);
    expect(Array.from(r.data.slice(0, 4))).toEqual([0, 2, 0, 1]);
  });

  it('four levels with the official keys, windows and invariants; deterministic per seed', () => {
    const flow = realLike(3, 128, 192);
    const levels = sampleTrajectories(flow, pythonRandint(1));
    expect(levels.map((l) => [l.key, l.height, l.width, l.window])).toEqual([
      [16, 16, 24, 2],
      [8, 8, 12, 1],
      [4, 4, 6, 1],
      [2, 2, 3, 1],
    ]);
    for (const lv of levels) {
      const r = roundedFlow(flow, lv.height, lv.width);
      checkInvariants(lv, r.data);
      expect(lv.traj.length).toBe(4 * lv.height * lv.width * lv.length * 3);
      expect(lv.mask.length).toBe(4 * lv.height * lv.width * lv.length);
    }
    expect(levels[0]!.conflictTargets).toBeGreaterThan(0);
    const again = sampleTrajectories(flow, pythonRandint(1));
    expect(checksum(again[0]!)).toBe(checksum(levels[0]!));
    const philoxA = sampleTrajectories(flow, philoxRandint(9));
    const philoxB = sampleTrajectories(flow, philoxRandint(9));
    expect(checksum(philoxA[0]!)).toBe(checksum(philoxB[0]!));
  });

  it('refuses an edit size below 64 and a flow of the wrong length', () => {
    expect(() => sampleTrajectories({ pairs: 1, height: 32, width: 64, data: new Float32Array(2 * 32 * 64) })).toThrow(
      /at least 64/,
    );
    expect(() => roundedFlow({ pairs: 1, height: 64, width: 64, data: new Float32Array(10) }, 8, 8)).toThrow(/needs/);
    // 98 · (1 / 98) < 1 in doubles: PyTorch's resize gives no row at H/64, so the size is refused.
    expect(() =>
      sampleTrajectories({ pairs: 1, height: 98, width: 128, data: new Float32Array(2 * 98 * 128) }),
    ).toThrow(/multiple of 8/);
  });
});
