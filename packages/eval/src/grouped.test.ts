import { describe, expect, it } from 'vitest';
import { evaluateGroups, offsetsFromGroupIds } from './grouped';

describe('evaluateGroups (DMT Precision@K / MRR@K per request)', () => {
  it('gives hand-computed values for one request', () => {
    const r = evaluateGroups({
      scores: Float32Array.from([0.9, 0.8, 0.7, 0.6, 0.5]),
      labels: [0, 1, 0, 1, 1],
      offsets: Int32Array.from([0, 5]),
    });
    expect(r.metrics['precision@4']).toBe(0.5);
    expect(r.metrics['mrr@4']).toBe(0.5);
    expect(r.metrics['recall@4']).toBeCloseTo(2 / 3, 12);
    expect(r.metrics['map@4']).toBeCloseTo((1 / 2 + 2 / 4) / 3, 12);
    const dcg = 1 / Math.log2(3) + 1 / Math.log2(5);
    expect(r.metrics['ndcg@4']).toBeCloseTo(dcg / (1 + 1 / Math.log2(3) + 1 / Math.log2(4)), 12);
  });
  it('averages over requests, leaves out requests without a click and breaks ties pessimistically', () => {
    const r = evaluateGroups({
      scores: Float32Array.from([0.5, 0.5, 0.1, 0.3, 0.2]),
      labels: [1, 0, 0, 0, 0],
      offsets: offsetsFromGroupIds([7, 7, 7, 9, 9]),
      k: [1, 4],
    });
    expect(r.groups).toBe(1);
    expect(r.skipped).toBe(1);
    expect(r.metrics['precision@1']).toBe(0);
    expect(r.metrics['mrr@4']).toBe(0.5);
    const kept = evaluateGroups({
      scores: Float32Array.from([0.5, 0.5, 0.1, 0.3, 0.2]),
      labels: [1, 0, 0, 0, 0],
      offsets: Int32Array.from([0, 3, 5]),
      keepEmpty: true,
    });
    expect(kept.metrics['mrr@4']).toBe(0.25);
  });
  it('rejects offsets that do not cover the scores', () => {
    expect(() => evaluateGroups({ scores: new Float32Array(3), labels: [0, 0, 1], offsets: Int32Array.from([0, 2]) })).toThrow(
      /CFM_E_CONFIG/,
    );
  });
});
