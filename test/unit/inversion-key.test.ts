/** Inversion cache key: equal inputs → equal key; any single change → a different key. */
import { describe, expect, it } from 'vitest';
import { type InversionKeyInput, hashFrames, inversionKey } from '../../src/core/pipeline/inversion-key';

const frame = (seed: number): Uint8Array => Uint8Array.from({ length: 4 * 3 * 4 }, (_, i) => (i * 31 + seed) & 255);

const base: InversionKeyInput = {
  framesHash: 'a'.repeat(64),
  sourcePrompt: 'a man is running',
  condition: { type: 'canny', scale: 0.8, framesHash: 'b'.repeat(64) },
  model: { id: 'runwayml/stable-diffusion-v1-5', revision: 'main', precision: 'fp16' },
  inversionSteps: 50,
  encodeWith: { kind: 'sample', seed: 33 },
  inverseConvention: 'v0.19',
};

describe('hashFrames', () => {
  it('hashes size, count and pixels', async () => {
    const a = await hashFrames({ width: 4, height: 3, frames: [frame(1), frame(2)] });
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(await hashFrames({ width: 4, height: 3, frames: [frame(1), frame(2)] })).toBe(a);
    expect(await hashFrames({ width: 4, height: 3, frames: [frame(2), frame(1)] })).not.toBe(a);
    expect(await hashFrames({ width: 3, height: 4, frames: [frame(1), frame(2)] })).not.toBe(a);
    expect(await hashFrames({ width: 4, height: 3, frames: [frame(1)] })).not.toBe(a);
    const changed = frame(2);
    changed[47] = changed[47]! ^ 1;
    expect(await hashFrames({ width: 4, height: 3, frames: [frame(1), changed] })).not.toBe(a);
    await expect(hashFrames({ width: 4, height: 4, frames: [frame(1)] })).rejects.toThrow(RangeError);
  });

  it('is the SHA-256 of the documented byte layout', async () => {
    // Empty clip: SHA-256("rgba8:1x1x0;")
    const h = await hashFrames({ width: 1, height: 1, frames: [] });
    const expected = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode('rgba8:1x1x0;')));
    expect(h).toBe(expected.toString('hex'));
  });
});

describe('inversionKey', () => {
  it('equal inputs give the same key, independent of property order', async () => {
    const k = await inversionKey(base);
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(await inversionKey({ ...base })).toBe(k);
    const reordered: InversionKeyInput = {
      inverseConvention: 'v0.19',
      encodeWith: { seed: 33, kind: 'sample' },
      inversionSteps: 50,
      model: { precision: 'fp16', revision: 'main', id: 'runwayml/stable-diffusion-v1-5' },
      condition: { framesHash: 'b'.repeat(64), scale: 0.8, type: 'canny' },
      sourcePrompt: 'a man is running',
      framesHash: 'a'.repeat(64),
    };
    expect(await inversionKey(reordered)).toBe(k);
  });

  const variants: [string, InversionKeyInput][] = [
    ['frames', { ...base, framesHash: 'c'.repeat(64) }],
    ['source prompt', { ...base, sourcePrompt: 'a man is running ' }],
    ['empty source prompt', { ...base, sourcePrompt: '' }],
    ['condition type', { ...base, condition: { ...base.condition, type: 'depth' } }],
    ['condition scale', { ...base, condition: { ...base.condition, scale: 0.81 } }],
    ['condition frames', { ...base, condition: { ...base.condition, framesHash: 'd'.repeat(64) } }],
    ['no condition', { ...base, condition: { type: 'none', scale: 0.8, framesHash: 'b'.repeat(64) } }],
    ['model id', { ...base, model: { ...base.model, id: 'other/sd15' } }],
    ['model revision', { ...base, model: { ...base.model, revision: 'abc123' } }],
    ['precision', { ...base, model: { ...base.model, precision: 'fp32' } }],
    ['inversion steps', { ...base, inversionSteps: 49 }],
    ['encode with mean', { ...base, encodeWith: { kind: 'mean' } }],
    ['posterior seed', { ...base, encodeWith: { kind: 'sample', seed: 34 } }],
    ['inverse convention', { ...base, inverseConvention: 'v0.40' }],
  ];

  it.each(variants)('changing the %s changes the key', async (_name, variant) => {
    expect(await inversionKey(variant)).not.toBe(await inversionKey(base));
  });

  it('all single-change variants are distinct from each other', async () => {
    const keys = await Promise.all(variants.map(([, v]) => inversionKey(v)));
    expect(new Set(keys).size).toBe(variants.length);
  });

  it('rejects non-finite numbers', async () => {
    await expect(inversionKey({ ...base, condition: { ...base.condition, scale: NaN } })).rejects.toThrow(RangeError);
  });
});
