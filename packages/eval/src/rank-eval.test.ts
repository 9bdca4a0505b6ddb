import { describe, expect, it } from 'vitest';
import { RESERVED_TOKENS, type CustomerModel, type CustomerSequences, type PreparedDataset, type SequenceBatch } from '@cfm/core';
import { describeEval, rankEval, rankEvalMany } from './rank-eval';

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

describe('rankEval of an attribute task (e.g. next-brand)', () => {
  // brand ids 0..3 reserved, 4 and 5 real; items 4..7 → brand 4, 8, 9, 11 → brand 5, item 10 has no brand
  const brand = Int32Array.from({ length: ITEMS }, (_, i) => (i < 4 || i === 10 ? 0 : i < 8 ? 4 : 5));
  const withBrand = {
    ...data,
    itemFeatures: { brand },
    vocabs: { ...data.vocabs, brand: { name: 'brand', tokens: [...RESERVED_TOKENS, 'b0', 'b1'], hash: 'b' } },
  } as PreparedDataset;
  const tasks: string[] = [];
  /** next-brand: brand 4 first for customers whose last item is < 6, brand 5 first otherwise */
  const attrModel = {
    tasks: ['next-item', 'next-brand'],
    taskOutputs: { 'next-item': { vocab: 'item' }, 'next-brand': { vocab: 'brand' } },
    maxLen: 8,
    score(b: SequenceBatch, task: string): Float32Array {
      tasks.push(task);
      const out = new Float32Array(b.batchSize * 6);
      for (let r = 0; r < b.batchSize; r++) {
        const last = b.items[(r + 1) * b.maxLen - 1];
        out[r * 6 + (last < 6 ? 4 : 5)] = 2;
        out[r * 6 + (last < 6 ? 5 : 4)] = 1;
      }
      return out;
    },
  } as unknown as CustomerModel;

  it("ranks the attribute vocabulary against the target item's value and leaves out targets without one", () => {
    // test targets 6, 7, 10 → brands 4, 4, none; customers' last items 5, 6, 9 → brand 4 first, then 5 first
    const r = rankEval(attrModel, withBrand, 'test', { protocol: 'full', maxLen: 8, batchSize: 2, task: 'next-brand' });
    expect(tasks.every((t) => t === 'next-brand')).toBe(true);
    expect(r.rows).toBe(2);
    expect(r.metrics.accuracy).toBe(0.5);
    expect(r.metrics['ndcg@5']).toBeCloseTo((1 + 1 / Math.log2(3)) / 2, 6);
  });

  it('refuses sampled protocols and attributes the data has no table for', () => {
    expect(() => rankEval(attrModel, withBrand, 'test', { protocol: 'sampled-uniform', maxLen: 8, task: 'next-brand' })).toThrow(
      /only the full protocol/,
    );
    expect(() => rankEval(attrModel, data, 'test', { protocol: 'full', maxLen: 8, task: 'next-brand' })).toThrow(/no item table/);
  });
});

describe('rankEvalMany', () => {
  it('gives every protocol the result of its own rankEval from one scoring pass', () => {
    let calls = 0;
    const counted = { ...model, score: (b: SequenceBatch) => (calls++, model.score(b, 'next_item')) } as unknown as CustomerModel;
    const opts = [
      { protocol: 'full' as const, maxLen: 8, batchSize: 2 },
      { protocol: 'full' as const, maxLen: 8, batchSize: 2, excludeHistory: false },
      { protocol: 'sampled-uniform' as const, negatives: 3, seed: 3, maxLen: 8, batchSize: 2 },
      { protocol: 'sampled-pop' as const, negatives: 3, seed: 1, maxLen: 8, batchSize: 2 },
    ];
    const many = rankEvalMany(counted, data, 'test', opts);
    expect(calls).toBe(2); // 3 customers in batches of 2
    opts.forEach((o, i) => expect(many[i].metrics).toEqual(rankEval(model, data, 'test', o).metrics));
    expect(() => rankEvalMany(model, data, 'test', [opts[0], { ...opts[1], maxLen: 4 }])).toThrow(/share task, maxLen/);
  });
});
