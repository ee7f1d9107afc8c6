import { readFileSync } from 'node:fs';
import { beforeAll, expect, test } from 'vitest';
import { describeShared, sharedPath } from '../helpers/node/shared';
import { createClipTokenizer, type ClipTokenizer } from '../../src/core/tokenizer/clip';
import { compilePrompts, findTokenSpan } from '../../src/core/prompt/spans';

describeShared('region token spans (DESIGN §3.3, first match wins)', () => {
  let tok: ClipTokenizer;
  beforeAll(() => {
    tok = createClipTokenizer({
      tokenizerJson: readFileSync(sharedPath('models/clip_tokenizer/tokenizer.json'), 'utf8'),
    });
  });
  const span = (target: string, region: string) => findTokenSpan(tok.encode(target), tok.encode(region).wordIds);
  const codes = (p: ReturnType<typeof compilePrompts>) => p.issues.map((i) => `${i.severity}:${i.code}`);
  const TARGET = 'Iron Man and Spiderman are jogging under cherry blossoms';

  test('the official run_two_man prompts: spans, text-token bits, substitution plan', () => {
    const p = compilePrompts(tok, TARGET, ['Iron Man', 'Spiderman', 'cherry blossoms'], 3);
    expect(p.issues).toEqual([]);
    expect(p.regions.map((r) => r.span)).toEqual([
      { start: 1, length: 2 },
      { start: 4, length: 1 },
      { start: 8, length: 2 },
    ]);
    const bits = Array.from(p.textTokenBits);
    expect(bits.slice(0, 11)).toEqual([0, 1, 1, 0, 2, 0, 0, 0, 4, 4, 0]);
    expect(bits.slice(11).every((b) => b === 0)).toBe(true);
    expect(p.substitutions.map((s) => [s.region, s.start, s.length])).toEqual([
      [0, 1, 2],
      [1, 4, 1],
      [2, 8, 2],
    ]);
    // The engine encodes regionIds and copies its positions 1..len: they must be the region words.
    const iron = p.substitutions[0]!;
    expect(Array.from(iron.regionIds.subarray(1, 1 + iron.length))).toEqual([5391, 786]);
    expect(Array.from(p.targetIds.subarray(iron.start, iron.start + iron.length))).toEqual([5391, 786]);
  });

  test('a word inside a single token is not found ("man" vs "spiderman"); the error prints the tokens', () => {
    expect(span('Spiderman is here', 'man')).toBeNull();
    const p = compilePrompts(tok, 'Spiderman is jogging', ['man'], 1);
    expect(codes(p)).toEqual(['error:region-prompt-not-found']);
    const msg = p.issues[0]!.message;
    expect(msg).toContain('[786 "man"]');
    expect(msg).toContain('1:18427 "spiderman"');
    expect(p.issues[0]!.region).toBe(0);
    expect(p.regions[0]!.span).toBeNull();
    expect(p.substitutions).toEqual([]);
    expect(Array.from(p.textTokenBits).every((b) => b === 0)).toBe(true);
  });

  test('repeated words: the first match wins', () => {
    expect(span('a man and a man', 'man')).toEqual({ start: 2, length: 1 });
    expect(span('a man and a man', 'a man')).toEqual({ start: 1, length: 2 });
    expect(span('a dog and a man', 'a man')).toEqual({ start: 4, length: 2 });
  });

  test('multi-token words and punctuation', () => {
    // "samoyed" is two BPE tokens (samo, yed)
    expect(span('A Samoyed and a tiger playing', 'Samoyed')).toEqual({ start: 2, length: 2 });
    expect(span('A Samoyed and a tiger playing', 'samoyed and a tiger')).toEqual({ start: 2, length: 5 });
    // ugly , blurry , low res , unrealistic: "res," = [res, ,] at 6..7
    expect(span('ugly, blurry, low res, unrealistic', 'res,')).toEqual({ start: 6, length: 2 });
    expect(span('ugly, blurry, low res, unrealistic', 'Blurry')).toEqual({ start: 3, length: 1 });
    expect(span('ugly, blurry', 'blurry!')).toBeNull();
    expect(span('a cat', '')).toBeNull();
  });

  test('truncation at 77: a too-long target is an error, and words past token 75 cannot be owned', () => {
    const words = Array.from({ length: 78 }, () => 'cat');
    words[76] = 'tiger';
    const target = words.join(' ');
    const p = compilePrompts(tok, target, ['tiger', 'cat'], 2);
    expect(codes(p)).toEqual(['error:prompt-too-long', 'error:region-prompt-not-found']);
    expect(p.issues[0]!.message).toMatch(/78 word tokens, over CLIP's 75/);
    expect(p.regions[1]!.span).toEqual({ start: 1, length: 1 });
    // the last word position (75) can still match
    words[74] = 'dog';
    expect(span(words.join(' '), 'dog')).toEqual({ start: 75, length: 1 });
  });

  test('overlapping spans are an error naming both regions and the shared tokens', () => {
    const p = compilePrompts(tok, 'iron man and a man', ['iron man', 'man'], 2);
    expect(p.regions.map((r) => r.span)).toEqual([
      { start: 1, length: 2 },
      { start: 2, length: 1 },
    ]);
    expect(codes(p)).toEqual(['error:overlapping-spans']);
    expect(p.issues[0]!.message).toContain('2:786 "man"');
    expect(p.textTokenBits[2]).toBe(0b11);
  });

  test('more prompts than masks is an error; more masks than prompts is allowed (warning)', () => {
    const over = compilePrompts(tok, TARGET, ['Iron Man', 'Spiderman'], 1);
    expect(codes(over)).toEqual(['error:more-prompts-than-masks']);
    expect(over.issues[0]!.message).toContain('"Spiderman"');
    expect(over.regions.length).toBe(1);

    const under = compilePrompts(tok, TARGET, ['Spiderman', ''], 3);
    expect(codes(under)).toEqual(['warning:regions-without-prompt']);
    expect(under.regions.map((r) => r.span)).toEqual([{ start: 4, length: 1 }, null, null]);
    expect(under.substitutions.map((s) => s.region)).toEqual([0]);
    expect(Array.from(under.textTokenBits).filter((b) => b !== 0)).toEqual([1]);
  });
});
