import { describe, expect, it } from 'vitest';
import { MASK, PAD } from '@cfm/core';
import { describeCustomerModel, syntheticPrepared } from '@cfm/tensor/testing';
import { bert4rec, ClozeSampler, windows } from './index';

const tiny = { dModel: 16, nHeads: 2, nLayers: 1, maxLen: 12, batchSize: 16, lr: 1e-2, warmupSteps: 2, validCustomers: 16 };

describeCustomerModel(bert4rec, tiny, () => syntheticPrepared({ customers: 64, items: 20 }), { epochs: 4 });

describe('Cloze batches', () => {
  const d = syntheticPrepared({ customers: 20, items: 20, minLen: 5, maxLen: 30 });
  const opts = { maxLen: 8, batchSize: 6, maskProb: 0.5, lastItemMaskProb: 0.2, windowStride: 0.5, seed: 3 };

  it('cut long sequences into overlapping windows of at most maxLen that end at the last item', () => {
    const w = windows(d.train, 8, 0.5);
    for (let i = 0; i < w.customers.length; i++) expect(w.lengths[i]).toBeLessThanOrEqual(8);
    const lastEnds = new Set(Array.from(w.ends));
    for (let c = 0; c < 20; c++) expect(lastEnds.has(d.train.offsets[c + 1])).toBe(true);
    expect(w.customers.length).toBeGreaterThan(20);
  });

  it('mask at least one real item per row, label it with the original item, and are reproducible', () => {
    const s = new ClozeSampler(d.train, opts);
    const b = s.batch(1, 0);
    const again = new ClozeSampler(d.train, opts).batch(1, 0);
    expect(Array.from(again.items)).toEqual(Array.from(b.items));
    const rows = new Set(Array.from(b.positions, (p) => Math.floor(p / b.maxLen)));
    expect(rows.size).toBe(b.batchSize);
    b.positions.forEach((p, i) => {
      expect(b.items[p]).toBe(MASK);
      expect(b.labels[i]).toBeGreaterThan(PAD);
    });
    expect(Array.from(s.batch(2, 0).items)).not.toEqual(Array.from(b.items));
  });
});
