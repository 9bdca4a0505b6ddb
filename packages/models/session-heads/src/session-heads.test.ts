import { describe, expect, it } from 'vitest';
import { createRng } from '@cfm/core';
import { describeCustomerModel, syntheticPrepared } from '@cfm/tensor/testing';
import {
  buildSessions,
  chronologicalSplit,
  cooccurrenceVectors,
  makeBatch,
  ScidState,
  scidBatch,
  scidNames,
  sessionHeads,
  type AttributeSpec,
} from './index';

const tiny = { hidden: 16, idDim: 8, maxLen: 12, batchSize: 16, lr: 1e-2, validShare: 0, epochs: 4 };
describeCustomerModel(sessionHeads, tiny, () => syntheticPrepared({ customers: 64, items: 20 }), { epochs: 4 });
describeCustomerModel(sessionHeads, { ...tiny, encoder: 'ma', headLayers: 1 }, () => syntheticPrepared({ customers: 48, items: 20 }), {
  epochs: 4,
});

describe('SCID', () => {
  const specs: AttributeSpec[] = [
    { name: 'text', kind: 'vector', dim: 5 },
    { name: 'category', kind: 'vector', dim: 3 },
    { name: 'price', kind: 'scalar', dim: 1 },
  ];
  const rng = createRng(11);
  const rand = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  const steps = 9,
    k = 7;
  const preds = [0, 1].map(() => specs.map((a) => rand(steps * a.dim)));
  const cands = specs.map((a) => rand(k * a.dim));

  it('computed incrementally, one event at a time, equals the batch statistics after every event', () => {
    const state = new ScidState(specs, cands);
    for (let n = 1; n <= steps; n++) {
      state.pushAt(preds, n - 1);
      const inc = state.features();
      const batch = scidBatch(specs, preds, n, cands);
      expect(inc.length).toBe(k * 18);
      for (let i = 0; i < inc.length; i++) expect(inc[i]).toBeCloseTo(batch[i], 5);
    }
  });

  it('has 18 named coefficients for 3 attributes, and a candidate equal to the last prediction gets last = 1', () => {
    expect(scidNames(specs)).toHaveLength(18);
    const same = specs.map((a, m) => preds[0][m].slice((steps - 1) * a.dim, steps * a.dim));
    const f = scidBatch(specs, preds, steps, same);
    expect(f[2]).toBeCloseTo(1, 5); // next/text/last
    expect(f[0]).toBeCloseTo(1, 5); // max ≥ last
    expect(f[1]).toBeLessThan(1); // mean over random other steps
  });
});

describe('sessions and batches', () => {
  it('collapse repeated items (a buy wins), drop short sessions, and split by start time', () => {
    const s = buildSessions(
      { session: [1, 1, 1, 2, 3, 3], item: [5, 5, 6, 7, 8, 9], buy: [0, 1, 0, 0, 0, 1], ts: [30, 31, 32, 10, 20, 21] },
      2,
    );
    expect(Array.from(s.offsets)).toEqual([0, 2, 4]);
    expect(Array.from(s.items)).toEqual([5, 6, 8, 9]);
    expect(Array.from(s.buys)).toEqual([1, 0, 0, 1]);
    const [early, late] = chronologicalSplit(s, [0.5, 0.5]);
    expect(Array.from(early.items)).toEqual([8, 9]);
    expect(Array.from(late.items)).toEqual([5, 6]);
  });

  it('label next items, and purchased items only for sessions ending in a purchase', () => {
    const s = buildSessions({ session: [1, 1, 1, 2, 2], item: [5, 6, 7, 8, 9], buy: [0, 0, 1, 0, 0], ts: [1, 2, 3, 4, 5] });
    const b = makeBatch(s, [0, 1], 10);
    expect(b.maxLen).toBe(3);
    expect(Array.from(b.items)).toEqual([5, 6, 7, 0, 8, 9]);
    expect(Array.from(b.nextItems)).toEqual([6, 7, 9]);
    expect(Array.from(b.purchasedPos)).toEqual([0, 1]);
    expect(Array.from(b.purchasedItems)).toEqual([7, 7]);
    expect(Array.from(b.sessionLabels)).toEqual([1, 1, 1, 0, 0]);
  });

  it('give co-occurring items closer id vectors than unrelated ones', () => {
    const rows = { session: [] as number[], item: [] as number[], buy: [] as number[], ts: [] as number[] };
    for (let k = 0; k < 40; k++) {
      for (let t = 0; t < 4; t++) {
        rows.session.push(k);
        rows.item.push((k % 2) * 4 + ((k + t) % 4));
        rows.buy.push(0);
        rows.ts.push(t);
      }
    }
    const v = cooccurrenceVectors(buildSessions(rows), 8, { dim: 4, seed: 1 });
    const cos = (a: number, b: number) => [0, 1, 2, 3].reduce((s, d) => s + v[a * 4 + d] * v[b * 4 + d], 0);
    expect(cos(0, 1)).toBeGreaterThan(cos(0, 5) + 0.3);
  });
});
