import { describe, expect, it } from 'vitest';
import { padBatch } from './batch';
import type { CustomerSequences } from './model';

const seqs: CustomerSequences = {
  customerIds: ['a', 'b'],
  offsets: Int32Array.from([0, 3, 5]),
  items: Int32Array.from([4, 5, 6, 7, 8]),
  types: new Int32Array(5).fill(4),
  times: Float64Array.from([10, 20, 30, 40, 50]),
};

describe('padBatch', () => {
  it("carries each token's time, aligned with its item, when asked (NaN at padding and appended slots)", () => {
    const b = padBatch(seqs, [1, 0], { maxLen: 8, times: true, append: [1], ends: Int32Array.from([5, 1]) });
    expect(Array.from(b.items)).toEqual([7, 8, 1, 0, 4, 1]);
    expect(Array.from(b.times!)).toEqual([40, 50, NaN, NaN, 10, NaN]);
    expect(padBatch(seqs, [0], { maxLen: 8 }).times).toBeUndefined();
  });

  it('keeps the most recent times when the history is cut to maxLen', () => {
    const b = padBatch(seqs, [0], { maxLen: 2, times: true });
    expect(Array.from(b.items)).toEqual([5, 6]);
    expect(Array.from(b.times!)).toEqual([20, 30]);
  });
});
