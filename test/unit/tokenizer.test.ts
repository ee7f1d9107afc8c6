import { readFileSync } from 'node:fs';
import { beforeAll, expect, test } from 'vitest';
import { describeShared, readShared, sharedPath } from '../helpers/node/shared';
import { parseSafetensors, toFloat32 } from '../../src/core/tensors/safetensors';
import { AppError } from '../../src/core/protocol/errors';
import { createClipTokenizer, CLIP_EOS, type ClipTokenizer } from '../../src/core/tokenizer/clip';

const dir = (f: string) => sharedPath(`models/clip_tokenizer/${f}`);
const text = (f: string) => readFileSync(dir(f), 'utf8');

function int64Rows(file: Uint8Array, name: string): number[][] {
  const info = parseSafetensors(file).tensors.get(name);
  if (!info) throw new Error(`${name} missing`);
  const values = Array.from(toFloat32(file, info));
  const [rows, cols] = info.shape as [number, number];
  return Array.from({ length: rows }, (_, r) => values.slice(r * cols, (r + 1) * cols));
}

describeShared('CLIP tokenizer (tokenizers.js on the real SD1.5 files)', () => {
  // Loaded in beforeAll: a skipped describe still runs its body, and ../shared may be absent.
  let fromJson: ClipTokenizer;
  let fromVocab: ClipTokenizer;
  let golden: Record<string, number[]>;
  beforeAll(() => {
    fromJson = createClipTokenizer({
      tokenizerJson: text('tokenizer.json'),
      tokenizerConfig: text('tokenizer_config.json'),
    });
    fromVocab = createClipTokenizer({ vocabJson: JSON.parse(text('vocab.json')), merges: text('merges.txt') });
    golden = JSON.parse(text('golden_token_ids.json')).cases as Record<string, number[]>;
  });

  test.each(['tokenizer.json', 'vocab.json + merges.txt'])(
    '%s: golden_token_ids.json, padded to 77 with EOS',
    (form) => {
      const tok = form === 'tokenizer.json' ? fromJson : fromVocab;
      expect(Object.keys(golden).length).toBeGreaterThanOrEqual(11);
      for (const [prompt, ids] of Object.entries(golden)) {
        const enc = tok.encode(prompt);
        expect(enc.ids.length).toBe(77);
        expect(Array.from(enc.ids.subarray(0, ids.length)), prompt).toEqual(ids);
        expect(Array.from(enc.ids.subarray(ids.length)).every((id) => id === CLIP_EOS)).toBe(true);
        expect(enc.length).toBe(ids.length);
        expect(enc.truncated).toBe(false);
      }
    },
  );

  test('clip.safetensors input_ids and st_layout cross.input_ids', () => {
    const clip = int64Rows(readShared('golden/expected/clip.safetensors'), 'input_ids');
    const prompts = ['a photo of a cat', 'Iron Man and Spiderman are jogging under cherry blossoms', '', 'Spiderman'];
    prompts.forEach((p, i) => expect(Array.from(fromJson.encode(p).ids)).toEqual(clip[i]));
    const cross = int64Rows(readShared('golden/expected/st_layout_attention.safetensors'), 'cross.input_ids');
    ['Iron Man and Spiderman are jogging under cherry blossoms', 'Iron Man', 'Spiderman'].forEach((p, i) =>
      expect(Array.from(fromVocab.encode(p).ids)).toEqual(cross[i]),
    );
  });

  test('lower-cases, and truncates to BOS + 75 words + EOS', () => {
    expect(Array.from(fromJson.encode('IRON MAN').ids)).toEqual(Array.from(fromJson.encode('iron man').ids));
    const long = fromJson.encode(Array.from({ length: 80 }, (_, i) => (i % 2 ? 'cat' : 'dog')).join(' '));
    expect(long.wordCount).toBe(80);
    expect(long.truncated).toBe(true);
    expect(long.length).toBe(77);
    expect(long.ids[0]).toBe(49406);
    // words alternate dog, cat, …: position 75 holds word 75 (dog), position 74 word 74 (cat)
    expect([long.ids[1], long.ids[74], long.ids[75]]).toEqual([1929, 2368, 1929]);
    expect(long.ids[76]).toBe(CLIP_EOS);
    expect(long.wordIds.length).toBe(75);
    const exact = fromJson.encode(Array(75).fill('cat').join(' '));
    expect(exact.truncated).toBe(false);
    expect(exact.ids[75]).toBe(2368);
    expect(exact.ids[76]).toBe(CLIP_EOS);
  });

  test('tokenText decodes single tokens', () => {
    const enc = fromJson.encode('Spiderman, naïve!');
    expect(enc.wordIds.map((id) => fromJson.tokenText(id))).toEqual(['spiderman', ',', 'na', 'ï', 've', '!']);
    expect(fromJson.tokenText(49406)).toBe('<|startoftext|>');
  });

  test('refuses files that are not CLIP (typed error)', () => {
    const bad = () => createClipTokenizer({ tokenizerJson: '{"not": "a tokenizer"' });
    expect(bad).toThrow(AppError);
    expect(bad).toThrow(/tokenizer.json is not a JSON object/);
    expect(() => createClipTokenizer({ vocabJson: { a: 0 }, merges: '#version: 0.2\n' })).toThrow(/not a CLIP/);
  });
});
