/**
 * The Select/Track tools' pure helpers (src/features/masks/segment-plan.ts, issue 18): a part clipped to its
 * parent, the masks a track avoids, the range a track may write (up to the next keyframe either side), and the
 * frame strip's status after a stop.
 */
import { describe, expect, it } from 'vitest';
import { addRegion, batch, setFrameMask } from '../../src/core/regions/actions';
import { emptyDoc } from '../../src/core/regions/model';
import {
  avoidMasks,
  clipMask,
  clipMasks,
  firstStop,
  parentMask,
  trackRange,
  trackStatus,
} from '../../src/features/masks/segment-plan';

const size = { width: 4, height: 2 };
const m = (...on: number[]) => {
  const a = new Uint8Array(8);
  for (const i of on) a[i] = 1;
  return a;
};

const doc = batch(
  addRegion({ id: 'man', kind: 'instance' }),
  addRegion({ id: 'legs', kind: 'part', parentId: 'man' }),
  addRegion({ id: 'tree', kind: 'instance' }),
  addRegion({ id: 'bg', kind: 'background' }),
  setFrameMask('man', 0, m(0, 1, 2, 3)),
  setFrameMask('tree', 0, m(6)),
  setFrameMask('tree', 1, m(7)),
  setFrameMask('legs', 1, m(4)),
  setFrameMask('bg', 0, m(5)),
)(emptyDoc(size, 3));

describe('segment-plan', () => {
  it('clips a part to its parent on frames where the parent has a mask, and nothing else', () => {
    expect([...clipMask(m(1, 5), parentMask(doc, 'legs', 0))]).toEqual([...m(1)]);
    expect(parentMask(doc, 'legs', 1)).toBeNull();
    expect(parentMask(doc, 'man', 0)).toBeNull();
    expect([...clipMask(m(1, 5), null)]).toEqual([...m(1, 5)]);
    expect(clipMasks(doc, 'man')).toBeNull();
    expect(clipMasks(doc, 'legs')!.map((x) => x !== null)).toEqual([true, false, false]);
  });

  it('avoids other instances, not the parent, own parts or background', () => {
    const forMan = avoidMasks(doc, 'man');
    expect([...forMan[0]!]).toEqual([...m(6)]);
    expect([...forMan[1]!]).toEqual([...m(7)]);
    expect(forMan[2]).toBeNull();
    const forLegs = avoidMasks(doc, 'legs');
    expect([...forLegs[0]!]).toEqual([...m(6)]);
  });

  it('a track writes up to, not over, the nearest keyframes', () => {
    expect(trackRange('k.....', 0, 'both')).toEqual({ first: 0, last: 5 });
    expect(trackRange('pp.kpp.k.', 3, 'both')).toEqual({ first: 0, last: 6 });
    expect(trackRange('pp.kpp.k.', 3, 'forward')).toEqual({ first: 3, last: 6 });
    expect(trackRange('pp.kpp.k.', 7, 'backward')).toEqual({ first: 4, last: 7 });
  });

  it('status after a forward stop: tracked, needs correction, stopped; the stop nearest the start first', () => {
    const result = {
      status: [null, 'ok', 'ok', 'low-iou', null, null] as const,
      stops: [
        { direction: 'forward' as const, frame: 3, reason: 'low-iou' as const },
        { direction: 'backward' as const, frame: 0, reason: 'end' as const },
      ],
    };
    expect(trackStatus(result, 0, { first: 0, last: 5 })).toBe('.ttcss');
    expect(firstStop(result, 0)).toEqual({ frame: 3, reason: 'low-iou', direction: 'forward' });
    const both = {
      status: ['low-score', 'ok', null, 'ok', 'low-score', null] as const,
      stops: [
        { direction: 'forward' as const, frame: 4, reason: 'low-score' as const },
        { direction: 'backward' as const, frame: 0, reason: 'low-score' as const },
      ],
    };
    expect(trackStatus(both, 2, { first: 0, last: 5 })).toBe('ct.tcs');
    expect(firstStop(both, 1)?.frame).toBe(0);
  });
});
