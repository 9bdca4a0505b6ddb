import { describe, expect, it } from 'vitest';
import { createRng } from '@cfm/core';
import { byCountDesc, itemVocabulary } from './vocab';

describe('item vocabulary order', () => {
  it('ranks by count (most first), ties by index, the same as a comparator sort, for any min-count', () => {
    const rng = createRng(11);
    for (const [n, maxCount] of [
      [0, 1],
      [1, 3],
      [50, 2],
      [5000, 40],
      [20_000, 1_000_000],
    ] as const) {
      const counts = Int32Array.from({ length: n }, () => Math.floor(rng.next() * maxCount));
      for (const minCount of [1, 2, 5]) {
        const want = Array.from({ length: n }, (_, i) => i)
          .filter((i) => counts[i] >= minCount)
          .sort((a, b) => counts[b] - counts[a] || a - b);
        expect(Array.from(byCountDesc(counts, minCount))).toEqual(want);
      }
    }
  });

  it('maps raw items to ids in that order, rare items to OOV', () => {
    const keys = ['a', 'b', 'c', 'd'];
    const item = Int32Array.from([2, 0, 2, 3, 0, 2, 1]);
    const { vocab, rawToId } = itemVocabulary(keys, item, [{ start: Int32Array.from([0]), end: Int32Array.from([7]) }], 2);
    expect(vocab.tokens.slice(4)).toEqual(['c', 'a']);
    expect(Array.from(rawToId)).toEqual([5, 3, 4, 3]);
  });
});
