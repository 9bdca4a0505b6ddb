import { describe, expect, it } from 'vitest';
import { CLS, MASK, PAD } from '@cfm/core';
import { describeCustomerModel, syntheticPrepared } from '@cfm/tensor/testing';
import { dateId, hashedBagOfWords, MppSampler, ShopperBertConfig, shopperbert, shopperBertDims, titleVectors } from './index';

const tiny = {
  dModel: 16,
  nHeads: 2,
  nLayers: 1,
  maxLen: 12,
  textDim: 8,
  batchSize: 16,
  lr: 1e-2,
  warmupSteps: 2,
  yearMin: 1970,
  yearCount: 3,
};
const withText = () => {
  const d = syntheticPrepared({ customers: 64, items: 20 });
  return {
    ...d,
    itemText: titleVectors(
      d.vocabs.item.tokens.map((t, i) => (i < 4 ? null : `movie ${t} ${i % 3 ? 'red' : 'blue'}`)),
      8,
    ),
  };
};

describeCustomerModel(shopperbert, tiny, withText, { epochs: 3 });
describeCustomerModel(shopperbert, { ...tiny, variant: 'CLS', augment: true, sharedLayers: true, nLayers: 2 }, withText, { epochs: 3 });

describe('date parts', () => {
  it('map a UTC time to year, month, day, weekday and hour ids after the reserved ids', () => {
    const t = Date.UTC(2021, 2, 14, 17, 30) / 1000; // Sunday 14 March 2021, 17:30
    const v = { yearMin: 2020, yearCount: 5 };
    expect(['year', 'month', 'day', 'weekday', 'hour'].map((p) => dateId(p as 'year', t, v))).toEqual([
      4 + 1,
      4 + 2,
      4 + 13,
      4 + 0,
      4 + 17,
    ]);
    expect(dateId('year', Date.UTC(1999, 0) / 1000, v)).toBe(4);
  });
});

describe('hashed bag of words', () => {
  it('is unit length, deterministic and closer for titles sharing words', () => {
    const a = hashedBagOfWords('Star Wars: Episode IV (1977)', 64);
    const b = hashedBagOfWords('Star Wars: Episode V (1980)', 64);
    const c = hashedBagOfWords('Toy Story (1995)', 64);
    const dot = (x: Float32Array, y: Float32Array) => x.reduce((s, v, i) => s + v * y[i], 0);
    expect(dot(a, a)).toBeCloseTo(1, 5);
    expect(Array.from(hashedBagOfWords('Star Wars: Episode IV (1977)', 64))).toEqual(Array.from(a));
    expect(dot(a, b)).toBeGreaterThan(dot(a, c) + 0.3);
  });
});

describe('masked purchase prediction batches', () => {
  const d = syntheticPrepared({ customers: 30, items: 20, minLen: 6, maxLen: 30 });
  const c = ShopperBertConfig.parse({ ...tiny, variant: 'CLS', augment: true, augmentFraction: 1 });
  const dims = shopperBertDims(c, d);
  const s = new MppSampler(d.train, d.itemFeatures, dims, { ...c, seed: 3 });

  it('put [CLS] first in every row, mask every sub-task of a chosen token together, label it with the original ids', () => {
    const b = s.batch(0, 0);
    expect(Array.from(new MppSampler(d.train, d.itemFeatures, dims, { ...c, seed: 3 }).batch(0, 0).items)).toEqual(Array.from(b.items));
    for (let r = 0; r < b.batchSize; r++) {
      const row = Array.from(b.items.subarray(r * b.maxLen, (r + 1) * b.maxLen));
      const first = row.findIndex((x) => x !== PAD);
      expect(row[first]).toBe(CLS);
      expect(row.length - first - 1).toBeLessThanOrEqual(c.maxLen - 1);
    }
    expect(new Set(b.rows).size).toBe(b.batchSize); // every row has a masked token
    b.positions.forEach((p, i) => {
      expect(b.items[p]).not.toBe(CLS);
      if (b.items[p] === MASK) for (const t of Object.keys(b.labels)) expect(b.features[t][p]).toBe(MASK);
      expect(b.labels.category1[i]).toBeGreaterThan(PAD);
    });
  });
});
