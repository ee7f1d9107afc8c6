// The result viewer's sizing and preferences (src/features/result/view-state.ts, issue 14).
import { describe, expect, it } from 'vitest';
import { displaySize, resultView } from '../../src/features/result/view-state';

describe('displaySize', () => {
  it('fits inside the pane keeping the aspect ratio', () => {
    expect(displaySize('fit', 64, 64, 300, 200)).toEqual({ width: 200, height: 200 });
    expect(displaySize('fit', 640, 360, 320, 400)).toEqual({ width: 320, height: 180 });
  });
  it('fixed zooms are device pixels per image pixel (1:1 exact on HiDPI)', () => {
    expect(displaySize(1, 64, 48, 10, 10)).toEqual({ width: 64, height: 48 });
    expect(displaySize(4, 64, 48, 10, 10)).toEqual({ width: 256, height: 192 });
    expect(displaySize(2, 64, 48, 10, 10, 2)).toEqual({ width: 64, height: 48 });
  });
  it('an unmeasured pane gives an empty size, not a negative one', () => {
    expect(displaySize('fit', 64, 64, 0, 0)).toEqual({ width: 0, height: 0 });
  });
});

describe('result view preferences', () => {
  it('clamps the wipe and the overlay opacity', () => {
    resultView().set({ wipe: 140, heatOpacity: -1 });
    expect(resultView()).toMatchObject({ wipe: 100, heatOpacity: 0 });
    resultView().set({ wipe: -5, heatOpacity: 0.4 });
    expect(resultView()).toMatchObject({ wipe: 0, heatOpacity: 0.4 });
  });
  it('keeps the same state object when nothing changes (no re-render)', () => {
    const before = resultView();
    resultView().set({ wipe: before.wipe });
    expect(resultView()).toBe(before);
  });
});
