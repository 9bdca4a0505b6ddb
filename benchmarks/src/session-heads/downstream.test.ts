import { describe, expect, it } from 'vitest';
import { buildSessions } from '@cfm/model-session-heads';
import { CoCounts, nextItemQueries } from './candidates';
import { loadCoveoSearches } from './coveo';
import { rankCtr } from './features';

describe('next-item candidates', () => {
  const s = buildSessions({
    session: [0, 0, 0, 1, 1, 2, 2, 2],
    item: [1, 2, 3, 1, 2, 4, 1, 2],
    buy: [0, 0, 0, 0, 0, 0, 0, 0],
    ts: [0, 1, 2, 3, 4, 5, 6, 7],
  });
  const counts = new CoCounts(s, 6);
  it('rank co-occurring items by count and fill up with popular items', () => {
    expect(Array.from(counts.top(1, 3))).toEqual([2, 3, 4]);
    expect(Array.from(counts.top(5, 2))).toEqual([1, 2]);
  });
  it('take the last item as target, the previous one as trigger, and mark seen targets', () => {
    const q = nextItemQueries(s, [0, 2], counts, 2, false);
    expect(q.map((x) => x.prefixLen)).toEqual([2, 2]);
    expect(Array.from(q[1].candidates)).toEqual([2, 3]);
    expect(Array.from(q[1].labels)).toEqual([1, 0]);
    expect(q[1].seen).toBe(false);
    expect(rankCtr(q, 2)[0]).toBe(0.5);
    // with the session's own earlier items first: session 2 = 4, 1 → 2; candidates [4 (own), 2]
    expect(Array.from(nextItemQueries(s, [2], counts, 2)[0].candidates)).toEqual([4, 2]);
  });
  it('sort the same candidates by co-occurrence with the trigger when asked (position no longer tells seen items)', () => {
    // trigger 1 co-occurs with 2 in 3 sessions and with 4 in 1: the own item 4 moves behind 2
    expect(counts.count(1, 2)).toBe(3);
    expect(counts.count(1, 4)).toBe(1);
    expect(Array.from(nextItemQueries(s, [2], counts, 2, true, 'cocount')[0].candidates)).toEqual([2, 4]);
  });
});

describe('coveo search sample', () => {
  it('reads query vectors, shown and clicked results of the 10 sample rows (the README count of 11 includes a trailing blank line)', async () => {
    const rows = await loadCoveoSearches();
    expect(rows).toHaveLength(10);
    expect(rows[0].queryVector.length).toBe(50);
    expect(rows.some((r) => r.results.length > 0)).toBe(true);
    expect(rows.every((r) => r.clicked.every((c) => r.results.length === 0 || r.results.includes(c) || c.length === 64))).toBe(true);
  });
});
