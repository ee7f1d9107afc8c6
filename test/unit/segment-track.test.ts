/**
 * Tracking by prompt chaining (src/core/segment/track.ts) against a fake segmenter on a synthetic 32-frame clip:
 * an ellipse that moves and deforms. The fake answers the true mask of the frame (with boundary noise) only when
 * the prompt's positive points and box hold the object — so the chaining itself is tested — and answers a
 * wrong mask on the dropout frames (low score, or a confident mask of the wrong thing).
 */
import { describe, expect, it } from 'vitest';
import type { TrackEvent } from '../../src/core/protocol/segment';
import { maskIou } from '../../src/core/segment/mask-ops';
import { trackMask, type TrackPrompt, type TrackSegmenter } from '../../src/core/segment/track';

const W = 96;
const H = 64;
const N = 32;

/** The object on frame f: an ellipse moving right and down, its axes breathing. */
function truth(f: number): Uint8Array {
  const cx = 20 + f * 1.8;
  const cy = 22 + 12 * Math.sin(f / 6);
  const rx = 11 + 3 * Math.sin(f / 4);
  const ry = 8 + 2 * Math.cos(f / 5);
  const m = new Uint8Array(W * H);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) if (((x + 0.5 - cx) / rx) ** 2 + ((y + 0.5 - cy) / ry) ** 2 <= 1) m[y * W + x] = 1;
  return m;
}

/** A distractor region next to the object (the "other region" for negative points). */
function other(f: number): Uint8Array {
  const m = new Uint8Array(W * H);
  const x0 = Math.min(W - 8, Math.round(36 + f * 1.8));
  for (let y = 40; y < 60; y++) for (let x = x0; x < x0 + 8; x++) m[y * W + x] = 1;
  return m;
}

function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1664525 + 1013904223) >>> 0;
    return x / 0x100000000;
  };
}

/** Flips a tenth of the boundary band's pixels: a decoder is never pixel-exact. */
function noisy(m: Uint8Array, random: () => number): Uint8Array {
  const out = Uint8Array.from(m);
  for (let y = 1; y < H - 1; y++)
    for (let x = 1; x < W - 1; x++) {
      const i = y * W + x;
      const edge = m[i] !== m[i - 1] || m[i] !== m[i + 1] || m[i] !== m[i - W] || m[i] !== m[i + W];
      if (edge && random() < 0.1) out[i] = out[i] ? 0 : 1;
    }
  return out;
}

function fakeSegmenter(dropout: ReadonlyMap<number, 'score' | 'wrong'> = new Map()): {
  segment: TrackSegmenter;
  calls: number[];
  prompts: TrackPrompt[];
} {
  const random = rng(7);
  const calls: number[] = [];
  const prompts: TrackPrompt[] = [];
  const segment: TrackSegmenter = async (f, prompt) => {
    calls.push(f);
    prompts.push(prompt);
    const t = truth(f);
    const positives = prompt.points.filter((p) => p.label === 1);
    const onObject = positives.filter((p) => t[Math.floor(p.y) * W + Math.floor(p.x)]).length;
    const b = prompt.box;
    let inBox = 0;
    let area = 0;
    for (let i = 0; i < t.length; i++)
      if (t[i]) {
        area++;
        const x = (i % W) + 0.5;
        const y = Math.floor(i / W) + 0.5;
        if (x >= b.x0 && x <= b.x1 && y >= b.y0 && y <= b.y1) inBox++;
      }
    const kind = dropout.get(f);
    if (kind === 'score') return { mask: noisy(t, random), score: 0.2 };
    if (kind === 'wrong') return { mask: other(f), score: 0.95 };
    // A prompt that misses the object gets the wrong thing, as a real decoder would.
    if (onObject < Math.ceil(positives.length / 2) || inBox < 0.9 * area) return { mask: other(f), score: 0.5 };
    return { mask: noisy(t, random), score: 0.9 + 0.05 * random() };
  };
  return { segment, calls, prompts };
}

const thresholds = { minScore: 0.7, minIou: 0.5 };
const frames = { frameCount: N, width: W, height: H };

describe('tracking by prompt chaining', () => {
  it('follows a moving, deforming shape through 32 frames with IoU ≥ 0.9 on every frame, both ways', async () => {
    const fake = fakeSegmenter();
    const events: TrackEvent[] = [];
    const start = 12;
    const result = await trackMask(
      {
        ...frames,
        startFrame: start,
        startMask: truth(start),
        direction: 'both',
        thresholds,
        avoid: Array.from({ length: N }, (_, f) => other(f)),
      },
      fake.segment,
      { onEvent: (e) => events.push(e) },
    );
    const ious = result.masks.map((m, f) => (m ? maskIou(m, truth(f)) : 0));
    console.log(`[track] min IoU with ground truth ${Math.min(...ious).toFixed(3)} over ${N} frames`);
    for (let f = 0; f < N; f++) expect(ious[f], `frame ${f}`).toBeGreaterThanOrEqual(0.9);
    expect(result.status.every((s) => s === 'ok')).toBe(true);
    expect(result.stops).toEqual([
      { direction: 'forward', frame: N - 1, reason: 'end' },
      { direction: 'backward', frame: 0, reason: 'end' },
    ]);
    expect(fake.calls.length).toBe(N - 1);
    // Negative points land on the other region, never on the object.
    const negatives = fake.prompts.flatMap((p, k) =>
      p.points.filter((q) => q.label === 0).map((q) => ({ q, f: fake.calls[k]! })),
    );
    expect(negatives.length).toBeGreaterThan(0);
    for (const { q, f } of negatives) expect(other(f)[Math.floor(q.y) * W + Math.floor(q.x)]).toBe(1);
    const progress = events.filter((e) => e.kind === 'progress');
    expect(progress.at(-1)).toEqual({ kind: 'progress', done: N - 1, total: N - 1 });
  });

  it('stops and asks on dropout frames (a low score, or a confident mask that does not follow)', async () => {
    const fake = fakeSegmenter(
      new Map([
        [20, 'score'],
        [5, 'wrong'],
      ]),
    );
    const result = await trackMask(
      { ...frames, startFrame: 12, startMask: truth(12), direction: 'both', thresholds },
      fake.segment,
    );
    expect(result.stops).toEqual([
      { direction: 'forward', frame: 20, reason: 'low-score' },
      { direction: 'backward', frame: 5, reason: 'low-iou' },
    ]);
    expect(result.status[20]).toBe('low-score');
    expect(result.status[5]).toBe('low-iou');
    expect(result.masks[20]).toBeNull();
    expect(result.masks[5]).toBeNull();
    expect(result.masks.slice(6, 20).every((m) => m !== null)).toBe(true);
    expect(result.masks.slice(21).every((m) => m === null)).toBe(true);
    expect(result.masks.slice(0, 5).every((m) => m === null)).toBe(true);
    expect(result.scores[20]).toBeLessThan(0.7);
    expect(result.ious[5]).toBeLessThan(0.5);
  });

  it('a correction re-tracks from the corrected frame in both directions', async () => {
    // First pass stops at frame 20; the user corrects frame 20, and tracking resumes from there both ways.
    const dropout = new Map([[20, 'score' as const]]);
    const first = await trackMask(
      { ...frames, startFrame: 12, startMask: truth(12), direction: 'forward', thresholds },
      fakeSegmenter(dropout).segment,
    );
    expect(first.stops[0]).toEqual({ direction: 'forward', frame: 20, reason: 'low-score' });
    const fake = fakeSegmenter();
    const again = await trackMask(
      {
        ...frames,
        startFrame: 20,
        startMask: truth(20),
        direction: 'both',
        range: { first: 12, last: N - 1 },
        thresholds,
      },
      fake.segment,
    );
    expect(fake.calls.filter((f) => f > 20).length).toBe(N - 1 - 20);
    expect(fake.calls.filter((f) => f < 20)).toEqual([19, 18, 17, 16, 15, 14, 13, 12]);
    for (let f = 12; f < N; f++) expect(maskIou(again.masks[f]!, truth(f))).toBeGreaterThanOrEqual(0.9);
    expect(again.masks[11]).toBeNull();
  });

  it('clips a part to its parent instance, cancels, and refuses bad requests', async () => {
    const half = Array.from({ length: N }, () => {
      const m = new Uint8Array(W * H);
      m.fill(1, 0, (H / 2) * W);
      return m;
    });
    const r = await trackMask(
      {
        ...frames,
        startFrame: 0,
        startMask: truth(0),
        direction: 'forward',
        range: { first: 0, last: 2 },
        thresholds: { minScore: 0.7, minIou: 0 },
        clipTo: half,
      },
      fakeSegmenter().segment,
    );
    for (const m of r.masks.slice(1, 3)) expect(m!.subarray((H / 2) * W).every((v) => v === 0)).toBe(true);

    let n = 0;
    await expect(
      trackMask(
        { ...frames, startFrame: 0, startMask: truth(0), direction: 'forward', thresholds },
        fakeSegmenter().segment,
        {
          isCancelled: () => ++n > 3,
        },
      ),
    ).rejects.toMatchObject({ code: 'CANCELLED' });

    const bad = [
      { startMask: new Uint8Array(W * H) },
      { startFrame: N },
      { startMask: new Uint8Array(5) },
      { thresholds: { minScore: 2, minIou: 0.5 } },
      { range: { first: 13, last: 20 } },
    ];
    for (const b of bad)
      await expect(
        trackMask(
          { ...frames, startFrame: 12, startMask: truth(12), direction: 'both', thresholds, ...b },
          fakeSegmenter().segment,
        ),
      ).rejects.toMatchObject({ code: 'SEGMENT_INPUT_INVALID' });
  });
});
