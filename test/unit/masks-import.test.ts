import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { zipSync, unzipSync } from 'fflate';
import { encode } from 'fast-png';
import { importMasks } from '../../src/core/masks/import';
import type { MaskFile } from '../../src/core/masks/files';
import { exportVideoGrainZip } from '../../src/core/masks/export';
import { countOn } from '../../src/core/masks/raster';
import { addRegion, batch, replaceMasks } from '../../src/core/regions/actions';
import { emptyDoc } from '../../src/core/regions/model';
import { describeShared, readShared, sharedPath } from '../helpers/node/shared';

const frames = { width: 32, height: 24 };
const target = { frames, frameCount: 4 };

function greyPng(width: number, height: number, on: (x: number, y: number) => boolean, value = 255): Uint8Array {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = on(x, y) ? value : 0;
  return encode({ width, height, data, channels: 1, depth: 8 });
}

function videoGrainFolder(): MaskFile[] {
  const files: MaskFile[] = [];
  for (let f = 0; f < 4; f++) {
    files.push({ path: `masks/left_man/${String(f).padStart(5, '0')}.png`, bytes: greyPng(32, 24, (x) => x < 8 + f) });
    files.push({
      path: `masks/right_man/${String(f).padStart(5, '0')}.png`,
      bytes: greyPng(32, 24, (x, y) => x > 20 && y > 4, 1),
    });
  }
  return files;
}

const expectCode = (fn: () => unknown, code: string) => expect(fn).toThrow(expect.objectContaining({ code }));

describe('VideoGrain layout', () => {
  it('imports <region>/<frame>.png with any non-zero pixel in the region', () => {
    const out = importMasks(videoGrainFolder(), target);
    expect(out.layout).toBe('videograin');
    expect(out.regions.map((r) => r.name)).toEqual(['left_man', 'right_man']);
    expect(out.regions[0]!.frames.map((f) => countOn(f!))).toEqual([8 * 24, 9 * 24, 10 * 24, 11 * 24]);
    expect(countOn(out.regions[1]!.frames[0]!)).toBe(11 * 19);
    expect(out.warnings).toEqual([]);
  });

  it('reads the same from a ZIP, and export → import gives identical masks', () => {
    const zipped: MaskFile[] = [
      { path: 'masks.zip', bytes: zipSync(Object.fromEntries(videoGrainFolder().map((f) => [f.path, f.bytes]))) },
    ];
    const first = importMasks(zipped, target);
    let doc = emptyDoc(frames, 4);
    doc = batch(addRegion({ id: 'a', name: 'left_man' }), addRegion({ id: 'b', name: 'right_man' }))(doc);
    doc = replaceMasks({
      a: first.regions[0]!.frames.map((bits) => (bits ? { bits, origin: 'key' as const } : null)),
      b: first.regions[1]!.frames.map((bits) => (bits ? { bits, origin: 'key' as const } : null)),
    })(doc);
    const zip = exportVideoGrainZip(doc);
    expect(Object.keys(unzipSync(zip)).sort()).toContain('masks/left_man/00003.png');
    const again = importMasks([{ path: 'export.zip', bytes: zip }], target);
    expect(again.regions.map((r) => r.name)).toEqual(['left_man', 'right_man']);
    again.regions.forEach((r, k) => r.frames.forEach((bits, f) => expect(bits).toEqual(first.regions[k]!.frames[f])));
  });

  it('warns about missing frames without inventing them', () => {
    const out = importMasks(
      videoGrainFolder().filter((f) => !f.path.endsWith('00002.png')),
      target,
    );
    expect(out.regions[0]!.frames[2]).toBeNull();
    expect(out.warnings[0]).toMatch(/left_man: 3 of 4 frames/);
  });
});

describe('bad input', () => {
  it('masks of the wrong size', () => {
    const files = [{ path: 'm/a/00000.png', bytes: greyPng(20, 20, () => true) }];
    expectCode(() => importMasks(files, target), 'MASK_WRONG_SIZE');
  });
  it('masks for more frames than the clip has', () => {
    const files = [...videoGrainFolder(), { path: 'masks/left_man/00007.png', bytes: greyPng(32, 24, () => true) }];
    expectCode(() => importMasks(files, target), 'MASK_WRONG_COUNT');
  });
  it('non-PNG files', () => {
    expectCode(
      () => importMasks([{ path: 'masks/a/00000.jpg', bytes: new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2]) }], target),
      'MASK_NOT_PNG',
    );
  });
  it('a PNG that is cut short', () => {
    const png = greyPng(32, 24, () => true);
    expectCode(() => importMasks([{ path: 'a/00000.png', bytes: png.subarray(0, 40) }], target), 'MASK_CORRUPT_PNG');
  });
  it('empty and corrupt ZIPs', () => {
    expectCode(() => importMasks([{ path: 'empty.zip', bytes: zipSync({}) }], target), 'MASK_ZIP_EMPTY');
    const zip = zipSync({ 'a/00000.png': greyPng(32, 24, () => true) });
    expectCode(
      () => importMasks([{ path: 'bad.zip', bytes: zip.subarray(0, zip.length - 30) }], target),
      'MASK_ZIP_CORRUPT',
    );
  });
  it('nothing given', () => {
    expectCode(() => importMasks([], target), 'MASK_NO_FILES');
  });
  it('palette files with indices their palette does not define', () => {
    const data = new Uint8Array(32 * 24).fill(0);
    data[5] = 3;
    const bytes = encode({
      width: 32,
      height: 24,
      data,
      channels: 1,
      depth: 8,
      palette: [
        [0, 0, 0],
        [255, 0, 0],
      ],
    });
    expectCode(() => importMasks([{ path: '00000.png', bytes }], target), 'MASK_UNKNOWN_INDEX');
  });
  it('files without a frame number', () => {
    expectCode(
      () => importMasks([{ path: 'a/mask.png', bytes: greyPng(32, 24, () => true) }], target),
      'MASK_BAD_NAME',
    );
  });
});

describeShared('real masks from ../shared', () => {
  it('cutie_judo palette PNGs (sparse frames, 853 px-wide odd one) come in as 4 instances at 512²', () => {
    const dir = 'clips/cutie_judo/masks';
    const files = readdirSync(sharedPath(dir)).map((name) => ({
      path: `masks/${name}`,
      bytes: readShared(`${dir}/${name}`),
    }));
    const out = importMasks(files, {
      frames: { width: 512, height: 512 },
      frameCount: 16,
      source: { width: 854, height: 480 },
    });
    expect(out.layout).toBe('palette');
    // Spectators 3 and 4 sit at the sides of the 854-wide source, outside the 512² centre crop.
    expect(out.regions.map((r) => r.name)).toEqual(['object 1', 'object 2']);
    const painted = out.regions.map((r) => r.frames.flatMap((f, i) => (f ? [i] : [])));
    expect(painted).toEqual([[0], [5]]);
    expect(out.warnings[1]).toMatch(/object 3, object 4 lie outside the cropped frames/);
    // Object 1 is 53811 of 854·480 source pixels; the centre crop keeps nearly all of it (the judoka are central).
    const share = countOn(out.regions[0]!.frames[0]!) / (512 * 512);
    expect(share).toBeGreaterThan(0.18);
    expect(share).toBeLessThan(0.25);
    expect(out.regions[0]!.color).toMatch(/^#[0-9a-f]{6}$/);
    expect(out.warnings[0]).toMatch(/4 of 16 frames/);
  });

  it('run_two_man masks (the official layout) import unchanged', () => {
    const dir = 'clips/run_two_man/masks';
    const files: MaskFile[] = [];
    for (const region of readdirSync(sharedPath(dir)))
      for (const name of readdirSync(sharedPath(`${dir}/${region}`)))
        files.push({ path: `masks/${region}/${name}`, bytes: readShared(`${dir}/${region}/${name}`) });
    const out = importMasks(files, { frames: { width: 512, height: 512 }, frameCount: 16 });
    expect(out.regions.map((r) => r.name)).toEqual(['left_man', 'right_man', 'trees']);
    expect(countOn(out.regions[0]!.frames[0]!)).toBe(61576);
    expect(out.regions.every((r) => r.frames.every((f) => f !== null))).toBe(true);
  });
});
