import { describe, expect, it } from 'vitest';
import { countOn, createMask } from '../../src/core/masks/raster';
import { fillPolygon, floodFill, stampSegment, stampStroke } from '../../src/core/masks/paint';
import { decodeRegionFrames, decodeRuns, encodeRegionFrames, encodeRuns } from '../../src/core/masks/rle';
import { interpolateMasks, signedDistance } from '../../src/core/masks/sdf';
import { coverResizeNearest, checkMaskGeometry } from '../../src/core/masks/geometry';

const size = { width: 64, height: 48 };
const at = (m: Uint8Array, x: number, y: number) => m[y * size.width + x];

function disc(cx: number, cy: number, r: number): Uint8Array {
  const m = createMask(size);
  stampSegment(m, size, { x: cx, y: cy }, { x: cx, y: cy }, r, 1);
  return m;
}

describe('brush and eraser', () => {
  it('a dot covers pixel centres within the radius (area ≈ πr²)', () => {
    const m = disc(32, 24, 10);
    expect(Math.abs(countOn(m) - Math.PI * 100) / (Math.PI * 100)).toBeLessThan(0.05);
    expect(at(m, 32, 24)).toBe(1);
    expect(at(m, 32 + 11, 24)).toBe(0);
  });

  it('a stroke is the union of capsules; the eraser clears its capsule; the rect bounds the change', () => {
    const m = createMask(size);
    const rect = stampStroke(
      m,
      size,
      [
        { x: 5, y: 10 },
        { x: 50, y: 10 },
      ],
      3,
      1,
    );
    for (let x = 5; x < 50; x++) expect(at(m, x, 10)).toBe(1);
    expect(at(m, 30, 14)).toBe(0);
    expect(rect.x0).toBeLessThanOrEqual(2);
    expect(rect.x1).toBeGreaterThanOrEqual(53);
    stampStroke(
      m,
      size,
      [
        { x: 30, y: 0 },
        { x: 30, y: 20 },
      ],
      2,
      0,
    );
    expect(at(m, 30, 10)).toBe(0);
    expect(at(m, 20, 10)).toBe(1);
  });

  it('clips at the edges', () => {
    const m = createMask(size);
    stampStroke(
      m,
      size,
      [
        { x: -10, y: -10 },
        { x: 100, y: 100 },
      ],
      4,
      1,
    );
    expect(at(m, 0, 0)).toBe(1);
    expect(at(m, 47, 47)).toBe(1);
    expect(at(m, 63, 0)).toBe(0);
  });
});

describe('fill', () => {
  it('flood fill fills the inside of a ring, not the outside', () => {
    const m = disc(32, 24, 15);
    const hole = disc(32, 24, 10);
    for (let i = 0; i < m.length; i++) if (hole[i]) m[i] = 0;
    const rect = floodFill(m, size, { x: 32, y: 24 }, 1);
    expect(countOn(m)).toBe(countOn(disc(32, 24, 15)));
    expect(rect.x1 - rect.x0).toBeLessThanOrEqual(21);
    expect(at(m, 2, 2)).toBe(0);
    expect(floodFill(m, size, { x: 32, y: 24 }, 1).x1).toBe(0);
  });

  it('polygon fill covers a rectangle exactly and uses even-odd for a self-crossing shape', () => {
    const m = createMask(size);
    fillPolygon(
      m,
      size,
      [
        { x: 10, y: 10 },
        { x: 20, y: 10 },
        { x: 20, y: 30 },
        { x: 10, y: 30 },
      ],
      1,
    );
    expect(countOn(m)).toBe(10 * 20);
    expect(at(m, 10, 10)).toBe(1);
    expect(at(m, 20, 10)).toBe(0);
    const star = createMask(size);
    // Pentagram: the centre pentagon is crossed twice → outside under even-odd.
    const pts = [0, 2, 4, 1, 3].map((k) => ({
      x: 32 + 20 * Math.sin((k * 2 * Math.PI) / 5),
      y: 24 - 20 * Math.cos((k * 2 * Math.PI) / 5),
    }));
    fillPolygon(star, size, pts, 1);
    expect(at(star, 32, 24)).toBe(0);
    expect(at(star, 32, 8)).toBe(1);
  });
});

describe('RLE storage', () => {
  it('round-trips masks and origins exactly, compactly', () => {
    const a = disc(20, 20, 9);
    const b = createMask(size);
    b[b.length - 1] = 1;
    expect(decodeRuns(encodeRuns(a), a.length)).toEqual(a);
    const bytes = encodeRegionFrames(size, [{ bits: a, origin: 'key' }, null, { bits: b, origin: 'propagated' }]);
    expect(bytes.length).toBeLessThan(200);
    const back = decodeRegionFrames(bytes);
    expect(back.size).toEqual(size);
    expect(back.frames[0]).toEqual({ bits: a, origin: 'key' });
    expect(back.frames[1]).toBeNull();
    expect(back.frames[2]).toEqual({ bits: b, origin: 'propagated' });
  });

  it('refuses truncated or foreign data with a code', () => {
    const bytes = encodeRegionFrames(size, [{ bits: disc(20, 20, 9), origin: 'key' }]);
    expect(() => decodeRegionFrames(bytes.subarray(0, bytes.length - 3))).toThrow(
      expect.objectContaining({ code: 'MASK_DATA_CORRUPT' }),
    );
    expect(() => decodeRegionFrames(new Uint8Array([1, 2, 3, 4, 5]))).toThrow(
      expect.objectContaining({ code: 'MASK_DATA_CORRUPT' }),
    );
  });
});

describe('SDF interpolation', () => {
  it('the signed distance is exact for a disc (|r − d| ≤ 1) and reproduces the mask at t = 0 and 1', () => {
    const a = disc(16, 24, 8);
    const sdf = signedDistance(a, size);
    const d = Math.hypot(40.5 - 16, 24.5 - 24) - 8;
    expect(Math.abs(sdf[24 * size.width + 40]! - d)).toBeLessThan(1);
    const b = disc(48, 24, 8);
    const [s0, s1] = interpolateMasks(a, b, size, [0, 1]);
    expect(s0).toEqual(a);
    expect(s1).toEqual(b);
  });

  it('a disc that moves without overlap is carried across, keeping about its area (centroid alignment)', () => {
    const a = disc(20, 24, 8);
    const b = disc(44, 24, 8);
    const [mid] = interpolateMasks(a, b, size, [0.5]);
    let sx = 0;
    for (let i = 0; i < mid!.length; i++) if (mid![i]) sx += (i % size.width) + 0.5;
    const area = countOn(mid!);
    expect(Math.abs(area - countOn(a))).toBeLessThan(0.1 * countOn(a));
    expect(sx / area).toBeCloseTo(32, 0);
  });

  it('interpolating a growing disc grows monotonically', () => {
    const [s1, s2, s3] = interpolateMasks(disc(32, 24, 4), disc(32, 24, 16), size, [0.25, 0.5, 0.75]);
    expect(countOn(s1!)).toBeLessThan(countOn(s2!));
    expect(countOn(s2!)).toBeLessThan(countOn(s3!));
    expect(Math.abs(countOn(s2!) - Math.PI * 100)).toBeLessThan(0.1 * Math.PI * 100);
  });
});

describe('geometry', () => {
  it('cover + centre crop maps a wide source like the frames (854×480 → 512²)', () => {
    const from = { width: 854, height: 480 };
    const src = new Uint8Array(854 * 480);
    // Mark the source's centre column and its leftmost 171 columns (cropped away: (854·512/480 − 512)/2 ≈ 199 px out → 171 src px).
    for (let y = 0; y < 480; y++) {
      src[y * 854 + 427] = 1;
      for (let x = 0; x < 150; x++) src[y * 854 + x] = 2;
    }
    const out = coverResizeNearest(src, from, { width: 512, height: 512 });
    expect(out.length).toBe(512 * 512);
    expect(out.indexOf(2)).toBe(-1);
    const row = out.subarray(256 * 512, 257 * 512);
    expect(row.indexOf(1)).toBeGreaterThanOrEqual(255);
    expect(row.indexOf(1)).toBeLessThanOrEqual(256);
  });

  it('accepts frame-sized or source-shaped masks and refuses other shapes', () => {
    const frames = { width: 512, height: 512 };
    expect(() => checkMaskGeometry('a.png', frames, frames)).not.toThrow();
    expect(() =>
      checkMaskGeometry('a.png', { width: 853, height: 480 }, frames, { width: 854, height: 480 }),
    ).not.toThrow();
    expect(() => checkMaskGeometry('a.png', { width: 640, height: 480 }, frames, { width: 854, height: 480 })).toThrow(
      expect.objectContaining({ code: 'MASK_WRONG_SIZE', message: expect.stringContaining('640×480') }),
    );
  });
});
