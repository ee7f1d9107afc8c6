import { describe, expect, it } from 'vitest';
import {
  addRegion,
  batch,
  deleteRegion,
  moveRegion,
  recolorRegion,
  renameRegion,
  setFrameMask,
  setRegionHidden,
  setRegionKind,
  setRegionPrompt,
  setTargetPrompt,
} from '../../src/core/regions/actions';
import { applyAction, redo, startHistory, undo } from '../../src/core/regions/history';
import { emptyDoc, type RegionsDoc } from '../../src/core/regions/model';
import { copyMaskToFrames, interpolateKeyframes } from '../../src/core/regions/propagate';
import { analyzePrompts, wordTokenizer } from '../../src/core/regions/prompts';
import { countOn, createMask } from '../../src/core/masks/raster';
import { stampSegment } from '../../src/core/masks/paint';

const size = { width: 40, height: 30 };

function dot(x: number, y: number, r = 5): Uint8Array {
  const m = createMask(size);
  stampSegment(m, size, { x, y }, { x, y }, r, 1);
  return m;
}

const twoRegions = (): RegionsDoc =>
  batch(addRegion({ id: 'a', name: 'left man' }), addRegion({ id: 'b', name: 'right man' }))(emptyDoc(size, 6));

describe('region actions', () => {
  it('add, rename, recolour, hide, kind, reorder, delete', () => {
    let doc = twoRegions();
    expect(doc.regions.map((r) => r.name)).toEqual(['left man', 'right man']);
    expect(doc.regions[0]!.color).not.toBe(doc.regions[1]!.color);
    expect(doc.masks.a).toHaveLength(6);
    doc = renameRegion('a', 'Iron')(doc);
    doc = recolorRegion('a', '#123456')(doc);
    doc = setRegionHidden('b', true)(doc);
    doc = addRegion({ id: 'c', kind: 'part', parentId: 'a', name: 'glasses' })(doc);
    expect(doc.regions[2]).toMatchObject({ kind: 'part', parentId: 'a' });
    doc = moveRegion('c', 0)(doc);
    expect(doc.regions.map((r) => r.id)).toEqual(['c', 'a', 'b']);
    doc = deleteRegion('a')(doc);
    expect(doc.regions.map((r) => r.id)).toEqual(['c', 'b']);
    expect(doc.regions[0]!.parentId).toBeNull();
    expect(doc.masks.a).toBeUndefined();
    expect(doc.regions[1]!.hidden).toBe(true);
    expect(() => setRegionKind('c', 'part', 'c')(doc)).toThrow();
  });

  it('no-op actions return the same document, so history skips them', () => {
    const doc = twoRegions();
    expect(renameRegion('a', 'left man')(doc)).toBe(doc);
    expect(setFrameMask('a', 0, createMask(size))(doc)).toBe(doc);
    const h = applyAction(startHistory(doc), renameRegion('a', 'left man'));
    expect(h.past).toHaveLength(0);
  });
});

describe('history', () => {
  it('undo and redo step through mask and region actions; a new action drops the redo branch', () => {
    let h = startHistory(twoRegions());
    h = applyAction(h, setFrameMask('a', 0, dot(10, 10)));
    h = applyAction(h, renameRegion('b', 'tree'));
    h = applyAction(h, setFrameMask('a', 0, dot(30, 10)));
    expect(h.present.masks.a![0]!.bits[10 * 40 + 30]).toBe(1);
    h = undo(h);
    expect(h.present.masks.a![0]!.bits[10 * 40 + 30]).toBe(0);
    expect(h.present.masks.a![0]!.bits[10 * 40 + 10]).toBe(1);
    h = undo(h);
    expect(h.present.regions[1]!.name).toBe('right man');
    h = redo(h);
    expect(h.present.regions[1]!.name).toBe('tree');
    h = applyAction(h, setRegionPrompt('a', 'Iron Man'));
    expect(h.future).toHaveLength(0);
    expect(redo(h)).toBe(h);
  });

  it('unchanged masks are shared between steps (copy-on-write)', () => {
    let h = startHistory(twoRegions());
    h = applyAction(h, setFrameMask('a', 0, dot(10, 10)));
    const before = h.present.masks.a![0];
    h = applyAction(h, setFrameMask('b', 1, dot(20, 10)));
    expect(h.present.masks.a![0]).toBe(before);
  });
});

describe('propagation', () => {
  it('copies to the next frames or all, marks them propagated and never overwrites a keyframe', () => {
    let doc = twoRegions();
    doc = setFrameMask('a', 1, dot(10, 10))(doc);
    doc = setFrameMask('a', 4, dot(30, 10))(doc);
    const next = copyMaskToFrames('a', 1, { kind: 'next', count: 2 })(doc);
    expect(next.masks.a!.map((f) => f?.origin ?? null)).toEqual([null, 'key', 'propagated', 'propagated', 'key', null]);
    const all = copyMaskToFrames('a', 1, { kind: 'all' })(doc);
    expect(all.masks.a!.map((f) => f?.origin)).toEqual([
      'propagated',
      'key',
      'propagated',
      'propagated',
      'key',
      'propagated',
    ]);
    expect(all.masks.a![4]!.bits[10 * 40 + 30]).toBe(1);
    expect(all.masks.a![5]!.bits[10 * 40 + 10]).toBe(1);
    expect(() => copyMaskToFrames('a', 0, { kind: 'all' })(doc)).toThrow(
      expect.objectContaining({ code: 'MASK_NOTHING_TO_COPY' }),
    );
  });

  it('interpolates between keyframes, moving the shape; painting a propagated frame makes it a keyframe', () => {
    let doc = twoRegions();
    doc = setFrameMask('a', 0, dot(8, 15))(doc);
    doc = setFrameMask('a', 4, dot(32, 15))(doc);
    doc = interpolateKeyframes('a')(doc);
    const origins = doc.masks.a!.map((f) => f?.origin ?? null);
    expect(origins).toEqual(['key', 'propagated', 'propagated', 'propagated', 'key', null]);
    const mid = doc.masks.a![2]!.bits;
    expect(mid[15 * 40 + 20]).toBe(1);
    expect(mid[15 * 40 + 8]).toBe(0);
    expect(Math.abs(countOn(mid) - countOn(dot(8, 15)))).toBeLessThan(0.15 * countOn(dot(8, 15)));
    doc = setFrameMask('a', 2, dot(20, 5))(doc);
    expect(doc.masks.a![2]!.origin).toBe('key');
    const held = interpolateKeyframes('a', { holdEnds: true })(doc);
    expect(held.masks.a![5]!.origin).toBe('propagated');
    expect(() => interpolateKeyframes('b')(doc)).toThrow(expect.objectContaining({ code: 'TOO_FEW_KEYFRAMES' }));
  });
});

describe('prompts', () => {
  it('shows which target words each region owns (first exact match) and flags what cannot work', () => {
    let doc = twoRegions();
    doc = setTargetPrompt('Iron Man and Spiderman are jogging under cherry blossoms')(doc);
    doc = setRegionPrompt('a', 'Iron Man')(doc);
    doc = setRegionPrompt('b', 'man')(doc);
    for (let f = 0; f < 6; f++) doc = setFrameMask('a', f, dot(10, 10))(doc);
    const a = analyzePrompts(doc, wordTokenizer);
    expect(a.spans.a).toEqual({ start: 0, end: 2 });
    expect(a.owners[0]).toEqual(['a']);
    // "man" is inside "iron man" at token 1: first exact match wins, so b shares a's token.
    expect(a.spans.b).toEqual({ start: 1, end: 2 });
    // b has no mask on any frame: an error of its own (empty region).
    expect(a.problems.filter((p) => p.severity === 'error').map((p) => p.regionId)).toEqual(['b']);
    expect(a.problems.some((p) => p.regionId === 'b' && /no mask/.test(p.message))).toBe(true);
    doc = setRegionPrompt('b', 'spider')(doc);
    const c = analyzePrompts(doc, wordTokenizer);
    expect(c.problems.find((p) => p.regionId === 'b' && p.severity === 'error')!.message).toMatch(
      /"spider".*not in the target/,
    );
    const long = analyzePrompts(setTargetPrompt('word '.repeat(80))(doc), wordTokenizer);
    expect(long.problems.some((p) => /80 tokens/.test(p.message))).toBe(true);
  });
});
