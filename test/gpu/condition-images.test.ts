/**
 * The run panel's own condition images (src/features/run/condition-frames.ts), decoded by the browser: taken in
 * numeric name order, resized like the frames (short side to the frame size, centre crop), RGBA at the frame
 * size; a file the browser cannot decode is a typed error naming it.
 */
import { expect, it } from 'vitest';
import { loadConditionImages } from '../../src/features/run/condition-frames';
import { rejection } from '../helpers/browser/rejection';

/** A PNG of `width`×`height`: left third red, middle third green, right third blue (a 2:1 image crops its thirds). */
async function stripes(name: string, width: number, height: number, grey = 0): Promise<File> {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d')!;
  const third = width / 3;
  ['rgb(255,0,0)', 'rgb(0,255,0)', 'rgb(0,0,255)'].forEach((c, i) => {
    ctx.fillStyle = c;
    ctx.fillRect(i * third, 0, third, height);
  });
  ctx.fillStyle = `rgb(${grey},${grey},${grey})`;
  ctx.fillRect(0, 0, 2, 2); // a marker of which file this was, in the cropped-away corner
  return new File([await canvas.convertToBlob({ type: 'image/png' })], name, { type: 'image/png' });
}

const pixel = (rgba: Uint8Array, width: number, x: number, y: number) =>
  Array.from(rgba.subarray((y * width + x) * 4, (y * width + x) * 4 + 4));

it('numeric name order; a 192×96 image becomes the centre 64×64 of its 128×64 resize', async () => {
  const files = [await stripes('frame10.png', 192, 96), await stripes('frame2.png', 192, 96)];
  const [first, second] = await loadConditionImages(files, 64, 64);
  expect(first).toHaveLength(64 * 64 * 4);
  expect(second).toHaveLength(64 * 64 * 4);
  // Resized to 128×64, the thirds are x < 42.7 red, < 85.3 green, blue; the crop keeps x ∈ [32, 96): red up to
  // x ≈ 10, green to x ≈ 53, then blue.
  expect(pixel(first!, 64, 3, 32)).toEqual([255, 0, 0, 255]);
  expect(pixel(first!, 64, 32, 32)).toEqual([0, 255, 0, 255]);
  expect(pixel(first!, 64, 60, 32)).toEqual([0, 0, 255, 255]);
});

it('order follows the numbers in the names, not their text', async () => {
  const files = [await stripes('c10.png', 64, 64, 200), await stripes('c9.png', 64, 64, 100)];
  const [a, b] = await loadConditionImages(files, 64, 64);
  expect(pixel(a!, 64, 0, 0).slice(0, 3)).toEqual([100, 100, 100]); // c9 first
  expect(pixel(b!, 64, 0, 0).slice(0, 3)).toEqual([200, 200, 200]);
});

it('a file that is not an image: CONDITION_IMAGE_UNREADABLE naming it', async () => {
  const bad = new File([new Uint8Array([1, 2, 3, 4])], 'notes.png', { type: 'image/png' });
  const e = await rejection(loadConditionImages([await stripes('ok.png', 64, 64), bad], 64, 64));
  expect(e).toMatchObject({ code: 'CONDITION_IMAGE_UNREADABLE' });
  expect(e.message).toContain('notes.png');
});
