import { describe, expect, it } from 'vitest';
import { RESERVED_TOKENS, type CustomerModel, type CustomerSequences, type PreparedDataset, type SequenceBatch } from '@cfm/core';
import { describeEval, rankEval } from './rank-eval';

const ITEMS = 12; // ids 0..3 reserved
const seqs = (rows: number[][]): CustomerSequences => {
  const offsets = new Int32Array(rows.length + 1);
  rows.forEach((r, i) => (offsets[i + 1] = offsets[i] + r.length));
  const items = Int32Array.from(rows.flat());
  return {
    customerIds: rows.map((_, i) => `c${i}`),
    offsets,
    items,
    types: new Int32Array(items.length),
    times: new Float64Array(items.length),
  };
};
const history = seqs([[4, 5], [6], [7, 8, 9]]);
const data = {
  dataset: 'toy',
  split: 'loo',
  manifest: {},
  itemFeatures: {},
  vocabs: { item: { name: 'item', tokens: [...RESERVED_TOKENS, ...Array.from({ length: ITEMS - 4 }, (_, i) => `i${i}`)], hash: 'h' } },
  train: history,
  valid: { history, targets: Int32Array.from([6, 7, 10]) },
  test: { history, targets: Int32Array.from([6, 7, 10]) },
} as PreparedDataset;

/** scores each row's next item (its last item + 1) highest, then by id */
const model = {
  tasks: ['next_item'],
  maxLen: 8,
  score(b: SequenceBatch): Float32Array {
    const out = new Float32Array(b.batchSize * ITEMS);
    for (let r = 0; r < b.batchSize; r++) {
      const last = b.items[(r + 1) * b.maxLen - 1];
      for (let i = 0; i < ITEMS; i++) out[r * ITEMS + i] = i === last + 1 ? 100 : i / ITEMS;
    }
    return out;
  },
} as unknown as CustomerModel;

describe('rankEval', () => {
  it('ranks each target among all items, history and reserved ids excluded (full protocol)', () => {
    const r = rankEval(model, data, 'test', { protocol: 'full', maxLen: 8, batchSize: 2 });
    // rows 0 and 1: the target is the last item + 1 (rank 1); row 2: 10 after 11 (9 + 1 = 10 is the target: rank 1)
    expect(r.metrics['hr@1']).toBe(1);
    expect(r.metrics['ndcg@10']).toBe(1);
  });

  it('sampled protocols rank the target against seeded negatives, independent of the batch size', () => {
    const a = rankEval(model, data, 'valid', { protocol: 'sampled-uniform', negatives: 3, seed: 3, maxLen: 8, batchSize: 1 });
    const b = rankEval(model, data, 'valid', { protocol: 'sampled-uniform', negatives: 3, seed: 3, maxLen: 8, batchSize: 3 });
    expect(a.metrics).toEqual(b.metrics);
    expect(a.metrics['hr@1']).toBe(1);
    expect(describeEval({ protocol: 'sampled-pop', negatives: 5, seed: 3, maxLen: 8 }, 'valid')).toBe(
      'valid, target + 5 popularity-sampled negatives (seed 3)',
    );
  });

  it('limit evaluates the first customers only', () => {
    const r = rankEval(model, data, 'test', { protocol: 'full', maxLen: 8, limit: 1 });
    expect(r.ranks.length).toBe(1);
  });
});
