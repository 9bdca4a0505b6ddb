import { describe, expect, it } from 'vitest';
import { PAD } from '@cfm/core';
import { syntheticPrepared } from '@cfm/tensor/testing';
import { McmWindowSampler } from './windows';

describe('MCM causal windows', () => {
  const d = syntheticPrepared({ customers: 30, items: 40, minLen: 3, maxLen: 25 });
  const o = { maxLen: 10, batchSize: 8, windowStride: 0.5, seed: 2 };

  it("label every real input position with the window's next token, and cover every transition of each customer", () => {
    const s = new McmWindowSampler(d.train, o);
    const seen = new Set<string>();
    for (let i = 0; i < s.batchesPerEpoch; i++) {
      const b = s.batch(0, i);
      expect(b.positions.length).toBe(b.labels.length);
      b.positions.forEach((p, k) => {
        expect(b.items[p]).not.toBe(PAD);
        expect(b.types[p]).not.toBe(PAD);
        const next = p % b.maxLen === b.maxLen - 1 ? undefined : b.items[p + 1];
        if (next !== undefined) expect(b.labels[k]).toBe(next); // inside the window the label is the next input
        seen.add(`${b.items[p]}>${b.labels[k]}`);
      });
    }
    // every consecutive pair of every training sequence is a (position, label) of some window
    for (let c = 0; c < d.train.customerIds.length; c++)
      for (let i = d.train.offsets[c]; i + 1 < d.train.offsets[c + 1]; i++)
        expect(seen.has(`${d.train.items[i]}>${d.train.items[i + 1]}`)).toBe(true);
    expect(s.batch(1, 0)).toEqual(new McmWindowSampler(d.train, o).batch(1, 0));
  });

  it('samples item candidates with their logQ when negatives are asked for', () => {
    const b = new McmWindowSampler(d.train, { ...o, negatives: 5, itemCount: d.vocabs.item.tokens.length, samplingCorrection: true }).batch(
      0,
      0,
    );
    expect(b.labelIndex).toHaveLength(b.labels.length);
    b.labels.forEach((l, k) => expect(b.candidates![b.labelIndex![k]]).toBe(l));
    expect(b.candidateLogQ).toHaveLength(b.candidates!.length);
  });
});
