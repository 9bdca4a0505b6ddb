import { describe, expect, it } from 'vitest';
import { coldHeavySegments, coldItemSegment, evaluateSegments, historyLengths, seenTargetSegments } from './segments';
import { summarizeRanks } from './ranking';

describe('segments', () => {
  it('cuts cold and heavy customers at the 10 % length quantiles', () => {
    const lengths = Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    const [cold, heavy] = coldHeavySegments(lengths, 0.1);
    expect(Array.from(cold.rows)).toEqual([0, 1]);
    expect(Array.from(heavy.rows)).toEqual([18, 19]);
    expect(cold.rule).toBe('history length <= 2 (bottom 10 %)');
    expect(() => coldHeavySegments(lengths, 0.6)).toThrow(/CFM_E_CONFIG/);
  });
  it('history lengths from CSR offsets; seen / not-seen targets; cold items', () => {
    const offsets = Int32Array.from([0, 2, 2, 5]);
    expect(Array.from(historyLengths(offsets))).toEqual([2, 0, 3]);
    const ids = Int32Array.from([8, 9, 4, 5, 6]);
    const [seen, unseen] = seenTargetSegments(Int32Array.from([9, 9, 7]), { offsets, ids });
    expect(Array.from(seen.rows)).toEqual([0]);
    expect(Array.from(unseen.rows)).toEqual([1, 2]);
    expect(Array.from(coldItemSegment(Int32Array.from([4, 5]), [0, 0, 0, 0, 3, 0]).rows)).toEqual([1]);
  });
  it('evaluates every segment on its own rows', () => {
    const all = summarizeRanks(Float64Array.from([1, 4, 2]), { metrics: ['hr@1', 'mrr'] });
    const out = evaluateSegments(all, [{ name: 'x', rows: Int32Array.from([1, 2]), rule: 'r' }]);
    expect(out.map((s) => s.segment)).toEqual(['all', 'x']);
    expect(out[1].result.metrics).toEqual({ 'hr@1': 0, mrr: (1 / 4 + 1 / 2) / 2 });
  });
});
