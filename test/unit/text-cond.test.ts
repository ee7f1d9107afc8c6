/**
 * Text conditioning with region substitution (DESIGN §3.3), from the definition and on the real CLIP
 * golden (clip.safetensors: prompts [cat, "Iron Man and Spiderman are jogging …", "", "Spiderman"]; the
 * ST-Layout golden places "Spiderman" at token 4 and "Iron Man" at tokens 1..2).
 */
import { describe, expect, it } from 'vitest';
import { buildTextCond, substituteRegionSpans } from '../../src/core/pipeline/text-cond';
import { hasCode } from '../../src/core/protocol/errors';
import { readAllFloat32 } from '../../src/core/tensors/safetensors';
import { describeShared, readShared } from '../helpers/node/shared';

const C = 3;
const filled = (v: number): Float32Array => Float32Array.from({ length: 77 * C }, (_, i) => v + i / 1000);

describe('substituteRegionSpans', () => {
  it('replaces each span with the region encoding at positions 1..length and keeps the rest', () => {
    const target = filled(0);
    const r0 = filled(100);
    const r1 = filled(200);
    const cond = substituteRegionSpans(
      target,
      [
        { span: { start: 1, length: 2 }, hidden: r0 },
        { span: { start: 5, length: 1 }, hidden: r1 },
      ],
      C,
    );
    const row = (a: Float32Array, k: number): number[] => Array.from(a.subarray(k * C, (k + 1) * C));
    expect(row(cond, 1)).toEqual(row(r0, 1));
    expect(row(cond, 2)).toEqual(row(r0, 2));
    expect(row(cond, 5)).toEqual(row(r1, 1));
    for (const k of [0, 3, 4, 6, 76]) expect(row(cond, k)).toEqual(row(target, k));
    expect(target).toEqual(filled(0)); // input untouched
  });

  it('no regions → a copy of the target', () => {
    const target = filled(1);
    const cond = substituteRegionSpans(target, [], C);
    expect(cond).toEqual(target);
    expect(cond).not.toBe(target);
  });

  it.each([
    [{ start: 0, length: 1 }, 'BOS'],
    [{ start: 76, length: 2 }, 'past the end'],
    [{ start: 3, length: 0 }, 'empty'],
  ])('rejects span %o (%s) with TEXT_COND_INVALID', (span) => {
    let error: unknown;
    try {
      substituteRegionSpans(filled(0), [{ span, hidden: filled(1) }], C);
    } catch (e) {
      error = e;
    }
    expect(hasCode(error, 'TEXT_COND_INVALID')).toBe(true);
  });

  it('rejects overlapping spans and wrongly sized inputs', () => {
    const h = filled(1);
    expect(() =>
      substituteRegionSpans(
        filled(0),
        [
          { span: { start: 2, length: 3 }, hidden: h },
          { span: { start: 4, length: 1 }, hidden: h },
        ],
        C,
      ),
    ).toThrow(/both claim token 4/);
    expect(() =>
      substituteRegionSpans(filled(0), [{ span: { start: 1, length: 1 }, hidden: h.subarray(1) }], C),
    ).toThrow(/region 0/);
    expect(() => substituteRegionSpans(filled(0).subarray(C), [], C)).toThrow(/target/);
  });
});

describe('buildTextCond', () => {
  it('stacks [uncond, cond]', () => {
    const u = filled(0);
    const c = filled(9);
    const tc = buildTextCond(u, c);
    expect(tc.length).toBe(2 * 77 * C);
    expect(tc.subarray(0, 77 * C)).toEqual(u);
    expect(tc.subarray(77 * C)).toEqual(c);
    expect(() => buildTextCond(u, c.subarray(1))).toThrow();
  });
});

describeShared('on the CLIP golden hidden states', () => {
  it('"Spiderman" (token 4 of the target) is replaced by the encoding of the prompt "Spiderman"', () => {
    const g = readAllFloat32(readShared('golden/expected/clip.safetensors'));
    const ids = g.get('input_ids')!.data;
    const hidden = g.get('last_hidden_state')!;
    const width = hidden.shape[2]!;
    const prompt = (i: number): Float32Array => hidden.data.subarray(i * 77 * width, (i + 1) * 77 * width);
    // The region prompt's word token equals the target's token 4.
    expect(ids[1 * 77 + 4]).toBe(ids[3 * 77 + 1]);
    const cond = substituteRegionSpans(prompt(1), [{ span: { start: 4, length: 1 }, hidden: prompt(3) }], width);
    expect(cond.subarray(4 * width, 5 * width)).toEqual(prompt(3).subarray(width, 2 * width));
    expect(cond.subarray(0, 4 * width)).toEqual(prompt(1).subarray(0, 4 * width));
    expect(cond.subarray(5 * width)).toEqual(prompt(1).subarray(5 * width));
    // Causal CLIP: the substitute differs from the in-context encoding of the same token.
    expect(cond.subarray(4 * width, 5 * width)).not.toEqual(prompt(1).subarray(4 * width, 5 * width));
    const textCond = buildTextCond(prompt(2), cond);
    expect(textCond.subarray(0, 77 * width)).toEqual(prompt(2));
  });
});
