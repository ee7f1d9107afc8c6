/**
 * FLATTEN flow attention (DESIGN §3.6): the CPU oracle (workers/engine/kernels/flow/reference.ts) on cases
 * worked out by hand, and the key table (keys.ts) from trajectories of a known flow (the official gather:
 * position 0 and the last F − 1 positions of each token's padded sequence).
 */
import { describe, expect, it } from 'vitest';
import { sampleTrajectories } from '../../src/core/flow/trajectories';
import { flowKeys, INVALID_KEY, type FlowKeys } from '../../workers/engine/kernels/flow/keys';
import { flowAttentionReference } from '../../workers/engine/kernels/flow/reference';

const X = INVALID_KEY;

describe('flow attention oracle', () => {
  // 2 frames of 1×2 tokens: token (t, x) = 2t + x. Key lists by hand.
  const keys: FlowKeys = {
    frames: 2,
    height: 1,
    width: 2,
    keysPerToken: 2,
    index: Uint32Array.of(0, 2, 1, X, 2, 0, 3, X),
  };

  it('softmax over the gathered keys, 1/√d scale, masked keys ignored (1 head, d = 1)', () => {
    // Token 0: s = [1·0, 1·ln 3] → p = [1/4, 3/4] → 0.25·4 + 0.75·8 = 7.
    const q = Float32Array.of(1, 5, 1, 5);
    const k = Float32Array.of(0, 9, Math.log(3), 9);
    const v = Float32Array.of(4, 10, 8, 20);
    const out = flowAttentionReference({ groups: 1, heads: 1, headDim: 1 }, keys, q, k, v);
    expect(out[0]).toBeCloseTo(7, 5);
    // Tokens 1 and 3 have only themselves: out = their V.
    expect(out[1]).toBeCloseTo(10, 6);
    expect(out[3]).toBeCloseTo(20, 6);
    // Token 2: s = [1·ln 3, 1·0] → p = [3/4, 1/4] over V [8, 4] → 7.
    expect(out[2]).toBeCloseTo(7, 5);
  });

  it('heads are independent column blocks with scale 1/√(head dim); groups read their own rows', () => {
    // 2 heads of d = 2 (C = 4), 2 groups (CFG halves) sharing the key table.
    const c = 4;
    const tokens = 4;
    const q = new Float32Array(2 * tokens * c);
    const k = new Float32Array(2 * tokens * c);
    const v = new Float32Array(2 * tokens * c);
    // Group 1, token 0, head 1: q = (1, 1); key 0 = (0, 0), key 2 = (√2·ln 5 / 2)·(1, 1) → s = [0, ln 5].
    const row = (g: number, t: number) => (g * tokens + t) * c;
    q.set([9, 9, 1, 1], row(1, 0));
    k.set([0, 0, 0, 0], row(1, 0));
    const a = (Math.SQRT2 * Math.log(5)) / 2;
    k.set([0, 0, a, a], row(1, 2));
    v.set([1, 2, 10, 100], row(1, 0));
    v.set([3, 4, 20, 200], row(1, 2));
    const out = flowAttentionReference({ groups: 2, heads: 2, headDim: 2 }, keys, q, k, v);
    // Head 1: p = [1/6, 5/6] → (10/6 + 100/6, 100/6 + 1000/6).
    expect(out[row(1, 0) + 2]).toBeCloseTo(110 / 6, 4);
    expect(out[row(1, 0) + 3]).toBeCloseTo(1100 / 6, 3);
    // Head 0 of the same token: q·k = 0 for both keys → the mean of V rows (1, 2) and (3, 4).
    expect(out[row(1, 0)]).toBeCloseTo(2, 6);
    expect(out[row(1, 0) + 1]).toBeCloseTo(3, 6);
    // Group 0 is all zeros: outputs zero, untouched by group 1.
    expect(Array.from(out.subarray(0, tokens * c)).every((x) => x === 0)).toBe(true);
  });
});

describe('flow attention keys from trajectories', () => {
  it('uniform translation: each token attends to itself and its partner in the other frame', () => {
    // 2 frames of 64×64 moving right by 8 px: at the H/8 level (8×8) every point moves one token right.
    const S = 64;
    const data = new Float32Array(2 * S * S);
    data.fill(8, 0, S * S);
    const levels = sampleTrajectories({ pairs: 1, height: S, width: S, data });
    const level = levels[0]!;
    expect([level.height, level.width, level.window]).toEqual([8, 8, 2]);
    const keys = flowKeys(level);
    expect(keys.keysPerToken).toBe(2);
    const at = (t: number, y: number, x: number) => (t * 8 + y) * 8 + x;
    for (let y = 0; y < 8; y++)
      for (let x = 0; x < 8; x++) {
        const n0 = at(0, y, x);
        // Frame 0: (0, y, x) → (1, y, x + 1) inside the frame; the last column leaves it (no partner).
        expect(keys.index[n0 * 2]).toBe(n0);
        expect(keys.index[n0 * 2 + 1]).toBe(x < 7 ? at(1, y, x + 1) : X);
        const n1 = at(1, y, x);
        expect(keys.index[n1 * 2]).toBe(n1);
        expect(keys.index[n1 * 2 + 1]).toBe(x > 0 ? at(0, y, x - 1) : X);
      }
  });

  it('the official slice: 1 + min(F − 1, L) keys, position 0 and the last F − 1 sequence positions', () => {
    // Zero flow, 3 frames at 64×64: the H/64 level (1×1, window 1) has L = 9 + 3 − 1 = 11.
    const S = 64;
    const levels = sampleTrajectories({ pairs: 2, height: S, width: S, data: new Float32Array(2 * 2 * S * S) });
    const level = levels[3]!;
    expect([level.height, level.width, level.length]).toEqual([1, 1, 11]);
    const keys = flowKeys(level);
    expect(keys.keysPerToken).toBe(3);
    // Token (t, 0, 0): itself, then its trajectory's other two points in time order.
    expect(Array.from(keys.index)).toEqual([0, 1, 2, 1, 0, 2, 2, 0, 1]);
  });
});
