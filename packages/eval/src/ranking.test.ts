import { describe, expect, it } from 'vitest';
import { RankingAccumulator, evaluateRanking, rankOfTarget, rankRows } from './ranking';
import { metricFromRanks, parseMetricKey } from './metrics';

describe('rankOfTarget', () => {
  const scores = Float32Array.from([0.1, 0.9, 0.5, 0.5, 0.3]);
  it('counts ties pessimistically by default, or by average, or optimistically', () => {
    expect(rankOfTarget(scores, 2)).toBe(3);
    expect(rankOfTarget(scores, 2, undefined, 'average')).toBe(2.5);
    expect(rankOfTarget(scores, 2, undefined, 'optimistic')).toBe(2);
  });
  it('drops excluded items once each and never the target', () => {
    expect(rankOfTarget(scores, 2, Int32Array.from([1]))).toBe(2);
    expect(rankOfTarget(scores, 2, Int32Array.from([1, 1, 2, 3]))).toBe(1);
    expect(rankOfTarget(scores, 0, Int32Array.from([4]))).toBe(4);
  });
  it('rejects a target outside the row and a NaN target score, naming the field', () => {
    expect(() => rankOfTarget(scores, 5)).toThrow(/field "targets"/);
    expect(() => rankOfTarget(Float32Array.from([NaN, 1]), 0)).toThrow(/NaN/);
  });
});

describe('evaluateRanking', () => {
  // row 0: target col 1 ranked 1st; row 1: target col 0 ranked 3rd
  const input = { scores: Float32Array.from([0.2, 0.9, 0.1, 0.1, 0.5, 0.7]), cols: 3, targets: Int32Array.from([1, 0]) };
  it('gives hand-computed metric means', () => {
    const r = evaluateRanking({ ...input, k: [1, 2, 5, 10] });
    expect(Array.from(r.ranks)).toEqual([1, 3]);
    expect(r.metrics['hr@1']).toBe(0.5);
    expect(r.metrics['hr@5']).toBe(1);
    expect(r.metrics['ndcg@10']).toBeCloseTo((1 + 1 / Math.log2(4)) / 2, 12);
    expect(r.metrics['mrr']).toBeCloseTo((1 + 1 / 3) / 2, 12);
    expect(r.metrics['precision@5']).toBeCloseTo(0.2, 12);
    expect(r.metrics['map@2']).toBe(0.5);
    expect(r.metrics['recall@2']).toBe(0.5);
    expect(Array.from(r.perRow('ndcg@10'))).toEqual([1, 0.5]);
  });
  it('excludes each row its own history (CSR) and the reserved ids', () => {
    const ex = { offsets: Int32Array.from([0, 0, 2]), ids: Int32Array.from([2, 2]) };
    expect(Array.from(rankRows({ ...input, exclude: ex }))).toEqual([1, 2]);
    const exBoth = { offsets: Int32Array.from([0, 0, 2]), ids: Int32Array.from([1, 2]) };
    expect(Array.from(rankRows({ ...input, exclude: exBoth }))).toEqual([1, 1]);
    const ex2 = { offsets: Int32Array.from([0, 1, 2]), ids: Int32Array.from([1, 2]) };
    expect(Array.from(rankRows({ ...input, exclude: ex2 }))).toEqual([1, 2]);
    expect(Array.from(rankRows({ ...input, excludeAll: Int32Array.from([2]) }))).toEqual([1, 2]);
  });
  it('accumulates batches to the same result as one call', () => {
    const acc = new RankingAccumulator({ k: [1, 10] });
    acc.add({ scores: input.scores.subarray(0, 3), cols: 3, targets: input.targets.subarray(0, 1) });
    acc.add({ scores: input.scores.subarray(3), cols: 3, targets: input.targets.subarray(1) });
    expect(acc.result().metrics).toEqual(evaluateRanking({ ...input, k: [1, 10] }).metrics);
  });
  it('rejects a score matrix of the wrong size', () => {
    expect(() => rankRows({ ...input, cols: 4 })).toThrow(/rows\*cols/);
  });
  it('parses metric keys and refuses unknown ones', () => {
    expect(parseMetricKey('mrr').k).toBe(Infinity);
    expect(parseMetricKey('ndcg@20').k).toBe(20);
    expect(() => parseMetricKey('foo@3')).toThrow(/CFM_E_CONFIG/);
    expect(Array.from(metricFromRanks(Float64Array.from([2.5]), 'ndcg@3'))[0]).toBeCloseTo(1 / Math.log2(3.5), 12);
  });
  it('ranks 2,000 rows x 12,000 items in well under a second', () => {
    const rows = 2000,
      cols = 12000;
    const scores = new Float32Array(rows * cols);
    for (let i = 0; i < scores.length; i++) scores[i] = ((i * 2654435761) % 1000003) / 1000003;
    const targets = new Int32Array(rows).map((_, r) => (r * 7) % cols);
    const t0 = performance.now();
    const r = evaluateRanking({ scores, cols, targets });
    expect(r.rows).toBe(rows);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
