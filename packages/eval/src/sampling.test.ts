import { describe, expect, it } from 'vitest';
import { createRng } from '@cfm/core';
import { buildSampledCandidates, createNegativeSampler, gatherScores, itemPopularity, sampleNegatives } from './sampling';
import { evaluateRanking } from './ranking';

describe('negative sampling', () => {
  it('draws distinct negatives outside the target, the history and the reserved ids', () => {
    const history = Int32Array.from([5, 6, 7]);
    for (let seed = 0; seed < 50; seed++) {
      const neg = sampleNegatives({ kind: 'uniform', count: 20 }, 4, history, 30, undefined, createRng(seed));
      expect(new Set(neg).size).toBe(20);
      for (const n of neg) {
        expect(n).toBeGreaterThanOrEqual(8 - 4);
        expect([4, 5, 6, 7]).not.toContain(n);
        expect(n).toBeLessThan(30);
      }
    }
  });
  it('is deterministic for a seed', () => {
    const a = sampleNegatives({ kind: 'uniform', count: 10 }, 9, new Int32Array(0), 1000, undefined, createRng(3));
    const b = sampleNegatives({ kind: 'uniform', count: 10 }, 9, new Int32Array(0), 1000, undefined, createRng(3));
    expect(Array.from(a)).toEqual(Array.from(b));
  });
  it('popularity sampling follows the popularity and never draws a zero-weight item', () => {
    const pop = new Float64Array(104);
    pop[4] = 1000;
    pop[5] = 1;
    for (let i = 6; i < 104; i++) pop[i] = i % 2 ? 1 : 0;
    const sampler = createNegativeSampler({ kind: 'popularity', count: 1 }, 104, pop);
    const rng = createRng(11);
    let hot = 0;
    for (let t = 0; t < 2000; t++) {
      const [n] = sampler.sample(200, [], rng);
      expect(pop[n]).toBeGreaterThan(0);
      if (n === 4) hot++;
    }
    // item 4 holds 1000 / 1050 of the mass
    expect(hot / 2000).toBeGreaterThan(0.9);
  });
  it('falls back to an exact draw when the history holds most of the mass, and fails when too few items exist', () => {
    const pop = Float64Array.from({ length: 14 }, (_, i) => (i === 4 ? 1e9 : 1));
    const neg = createNegativeSampler({ kind: 'popularity', count: 5 }, 14, pop).sample(13, [4], createRng(1));
    expect(new Set(neg).size).toBe(5);
    expect(Array.from(neg)).not.toContain(4);
    expect(() => sampleNegatives({ kind: 'uniform', count: 10 }, 4, [5, 6], 12, undefined, createRng(1))).toThrow(
      /only 5 uniform negatives/,
    );
  });
  it('builds [rows, 1 + count] candidates with the target first, and gathers their scores', () => {
    const targets = Int32Array.from([10, 20]);
    const history = { offsets: Int32Array.from([0, 1, 3]), ids: Int32Array.from([11, 21, 22]) };
    const protocol = { kind: 'uniform' as const, count: 5, seed: 7 };
    const cands = buildSampledCandidates({ targets, history, itemCount: 50, protocol });
    expect(cands.length).toBe(12);
    expect([cands[0], cands[6]]).toEqual([10, 20]);
    expect(Array.from(cands.subarray(7))).not.toContain(21);
    expect(Array.from(buildSampledCandidates({ targets, history, itemCount: 50, protocol }))).toEqual(Array.from(cands));
    // full scores = item id, so the target's rank among candidates = 1 + candidates with a larger id
    const full = new Float32Array(2 * 50).map((_, i) => i % 50);
    const scores = gatherScores(full, 50, cands, 6);
    expect(scores[0]).toBe(10);
    const r = evaluateRanking({ scores, cols: 6, targets: new Int32Array(2) });
    const expected = [0, 1].map((row) => 1 + Array.from(cands.subarray(row * 6 + 1, row * 6 + 6)).filter((c) => c > targets[row]).length);
    expect(Array.from(r.ranks)).toEqual(expected);
  });
  it('counts item popularity', () => {
    expect(Array.from(itemPopularity(Int32Array.from([4, 5, 5, 9]), 6))).toEqual([0, 0, 0, 0, 1, 2]);
  });
});
