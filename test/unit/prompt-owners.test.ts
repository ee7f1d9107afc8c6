/** Prompt feedback (issue 14, item 5): two regions owning the same tokens are warned about, with every owner. */
import { describe, expect, it } from 'vitest';
import { addRegion, batch, setRegionPrompt, setTargetPrompt } from '../../src/core/regions/actions';
import { emptyDoc } from '../../src/core/regions/model';
import { analyzePrompts, sharedOwnership, wordTokenizer } from '../../src/core/regions/prompts';

const doc = (prompts: Record<string, string>, target: string) =>
  batch(
    ...Object.keys(prompts).map((name) => addRegion({ id: name, name })),
    ...Object.entries(prompts).map(([id, p]) => setRegionPrompt(id, p)),
    setTargetPrompt(target),
  )(emptyDoc({ width: 4, height: 4 }, 1));

const shared = (prompts: Record<string, string>, target: string) =>
  analyzePrompts(doc(prompts, target), wordTokenizer).problems.filter((p) => /same tokens/.test(p.message));

describe('shared token ownership', () => {
  it('groups tokens by the set of regions owning them', () => {
    expect(sharedOwnership([['a'], ['a', 'b'], ['a', 'b'], [], ['c', 'a', 'b']])).toEqual([
      { regionIds: ['a', 'b'], tokens: [1, 2] },
      { regionIds: ['c', 'a', 'b'], tokens: [4] },
    ]);
    expect(sharedOwnership([['a'], [], ['b']])).toEqual([]);
  });

  it('warns when two regions own the same word, naming both and the word', () => {
    const w = shared({ left_man: 'man', right_man: 'man' }, 'a man and a man are jogging');
    expect(w).toHaveLength(1);
    expect(w[0]!.severity).toBe('warning');
    expect(w[0]!.message).toMatch(/^"left_man" and "right_man" own the same tokens \("man"\)/);
    const analysis = analyzePrompts(doc({ left_man: 'man', right_man: 'man' }, 'a man and a man'), wordTokenizer);
    expect(analysis.owners[1]).toEqual(['left_man', 'right_man']);
  });

  it('warns about partial overlaps too, and not about distinct words', () => {
    expect(shared({ a: 'iron man', b: 'man' }, 'iron man and spiderman')[0]!.message).toMatch(
      /"a" and "b" .*\("man"\)/,
    );
    expect(shared({ a: 'iron man', b: 'spiderman' }, 'iron man and spiderman')).toEqual([]);
  });
});
