import { beforeAll, describe, expect, it } from 'vitest';
import { syntheticPrepared } from '@cfm/tensor/testing';
import { initBackend } from '@cfm/tensor';
import { createShopperBert } from '@cfm/model-shopperbert';
import {
  customerDisjointSplit,
  embedExamples,
  evaluateRecommender,
  frozenEncoder,
  frozenSource,
  labelTask,
  nextItemTask,
  targetingTask,
  trainClassifier,
  trainRecommender,
} from './index';

const data = () => {
  const d = syntheticPrepared({ customers: 120, items: 20, minLen: 5, maxLen: 15 });
  // label = whether the customer's walk starts in the first half of the item cycle: learnable from the items
  const userLabels = Object.fromEntries(
    d.train.customerIds.map((id, c) => [id, { group: d.train.items[d.train.offsets[c]] < 14 ? 'a' : 'b' }]),
  );
  return { ...d, userLabels };
};

describe('downstream tasks', () => {
  beforeAll(() => initBackend({ prefer: 'wasm', quiet: true }));
  const d = data();

  it('split customers disjointly and reproducibly', () => {
    const s = customerDisjointSplit(100, [0.8, 0.1, 0.1], 3);
    const all = [...s.train, ...s.valid, ...s.test];
    expect(new Set(all).size).toBe(100);
    expect([s.train.length, s.valid.length, s.test.length]).toEqual([80, 10, 10]);
    expect(Array.from(customerDisjointSplit(100, [0.8, 0.1, 0.1], 3).test)).toEqual(Array.from(s.test));
  });

  it('form targeting labels from the window after a cut history', () => {
    const t = targetingTask(d, 'category1', d.vocabs.category1.tokens[4], 3);
    t.rows.forEach((c, i) => expect(d.train.offsets[c + 1] - t.ends[i]).toBe(3));
    expect(new Set(t.labels).size).toBe(2);
  });

  it('embed histories with any family and learn a label from frozen vectors with a U-MLP', async () => {
    const t = labelTask(d, 'group', 'group', (v) => v === 'a', 'group a = 1');
    const m = createShopperBert({ dModel: 16, nHeads: 2, nLayers: 1, maxLen: 16, textDim: 0, seed: 1 }, d);
    const emb = embedExamples(m, t, 16);
    expect(emb.length).toBe(t.rows.length * 16);
    expect(emb.every(Number.isFinite)).toBe(true);
    m.dispose();
    // vectors that carry the label in one noisy coordinate: the head must find it
    const vec = Float32Array.from(
      { length: t.rows.length * 8 },
      (_, i) => (i % 8 === 3 ? t.labels[Math.floor(i / 8)] : 0) + 0.3 * Math.sin(i * 12.9898),
    );
    const s = customerDisjointSplit(t.rows.length, [0.6, 0.1, 0.3], 0);
    const { metrics, model } = await trainClassifier(frozenEncoder(t, vec, 8), t, s.train, s.test, {
      freezeEncoder: true,
      epochs: 80,
      lr: 3e-3,
      seed: 0,
      maxLen: 16,
    });
    expect(metrics.auroc).toBeGreaterThan(0.9);
    expect(metrics.accuracy).toBeGreaterThan(0.8);
    expect(metrics.f1).toBeGreaterThan(0.8); // at the F1-best threshold of the training rows
    expect(metrics.threshold).toBeGreaterThan(0);
    expect(metrics.threshold).toBeLessThan(1);
    model.dispose();
  });

  it('rank next items among 100 negatives with a two-tower model and report cold / heavy rows', async () => {
    const t = { ...nextItemTask(d), itemCount: 124 }; // room for 100 negatives
    const vec = new Float32Array(t.rows.length * 4).map((_, i) => Math.sin(i));
    const s = customerDisjointSplit(t.rows.length, [0.8, 0.1, 0.1], 0);
    const { model } = await trainRecommender(frozenSource(vec, 4), t, s.train, { epochs: 2, lr: 1e-3, seed: 0 });
    const r = evaluateRecommender(model, t, s.test, 0);
    expect(Object.keys(r)).toEqual(['all', 'cold', 'heavy']);
    for (const k of ['hr@10', 'ndcg@10', 'mrr']) expect(r.all[k]).toBeGreaterThanOrEqual(0);
    expect(r.all['hr@10']).toBeLessThanOrEqual(1);
    model.params.dispose();
  });
});
