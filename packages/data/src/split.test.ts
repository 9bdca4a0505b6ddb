import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createRng, isCfmError, type CustomerSequences } from '@cfm/core';
import { customerSplit, loadPrepared, parsePrepareConfig, prepareFromSources, readManifest } from './index';
import { eventsCsv, tempDir } from './testing/fixtures';
import { defaultCutoffs } from './split';
import { sortByCustomer, sortPermutation } from './extract';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const DAY = 86_400_000;
/** the first day of the generated events (times must be plausible: after 1990) */
const T0 = Date.UTC(2024, 0, 1);

/** Random events for 60 customers over 100 days, a few exact duplicates, one very long customer. */
function randomEvents(seed: number): Array<[string, string, number, string]> {
  const rng = createRng(seed);
  const types = ['view', 'click', 'cart', 'purchase'];
  const rows: Array<[string, string, number, string]> = [];
  for (let c = 0; c < 60; c++) {
    const n = c === 0 ? 400 : 1 + rng.int(20);
    for (let k = 0; k < n; k++) rows.push([`u${c}`, `i${rng.int(30)}`, T0 + Math.floor(rng.next() * 100 * DAY), types[rng.int(4)]]);
  }
  rows.push(rows[5], rows[6]); // exact duplicates
  rows.push(['late', 'i1', T0 + 99 * DAY, 'view']); // only events after both cut-offs
  return rows;
}

const times = (s: CustomerSequences, k: number) => Array.from(s.times.subarray(s.offsets[k], s.offsets[k + 1]));

describe('temporal split', () => {
  it('uses no event at or after its cut-off in any sequence, target or vocabulary', async () => {
    const events = tmp.file('rand.csv', eventsCsv(randomEvents(7)));
    const out = join(tmp.dir, 'temporal');
    const [t1, t2] = [T0 + 70 * DAY, T0 + 85 * DAY];
    await prepareFromSources({
      dataset: 'rand',
      sources: { events: [events] },
      out,
      config: { split: 'temporal', cutoffsMs: [t1, t2], maxSeqLen: 50 },
    });
    const p = await loadPrepared(out);
    const [s1, s2] = [t1 / 1000, t2 / 1000];
    expect(Math.max(...p.train.times)).toBeLessThan(s1);
    expect(Math.max(...p.valid.history.times)).toBeLessThan(s1);
    expect(Math.max(...p.test.history.times)).toBeLessThan(s2);
    const vt = (p.valid as { targetTimes?: Float64Array }).targetTimes!;
    const tt = (p.test as { targetTimes?: Float64Array }).targetTimes!;
    for (let k = 0; k < vt.length; k++) {
      expect(vt[k]).toBeGreaterThanOrEqual(s1);
      expect(vt[k]).toBeLessThan(s2);
      expect(Math.max(...times(p.valid.history, k))).toBeLessThan(vt[k]);
    }
    for (const t of tt) expect(t).toBeGreaterThanOrEqual(s2);
    // items first seen after t1 are [OOV] (vocabulary built from training events only)
    const trainItems = new Set(Array.from(p.train.items));
    expect([...trainItems].every((id) => id >= 4)).toBe(true);
    expect(p.vocabs.item.tokens.length - 4).toBe(trainItems.size);
  });

  it('records duplicates, truncation and customers without events in a split', async () => {
    const m = await readManifest(join(tmp.dir, 'temporal'));
    expect(m.counts.duplicates).toBe(2);
    expect(m.counts.events + m.counts.duplicates).toBe(m.counts.accepted);
    expect(m.splits.train.truncated).toBeGreaterThan(0); // u0 has ~280 events before t1, cap 50
    expect(m.splits.train.customers).toBeLessThan(m.counts.users); // 'late' has no training events
    const p = await loadPrepared(join(tmp.dir, 'temporal'));
    expect(p.train.customerIds).not.toContain('late');
    expect(p.test.history.customerIds).not.toContain('late');
    for (let k = 0; k < p.train.customerIds.length; k++) expect(p.train.offsets[k + 1] - p.train.offsets[k]).toBeLessThanOrEqual(50);
  });
});

describe('customer-disjoint split', () => {
  it('puts every customer in exactly one part, reproducibly by seed', () => {
    const custStart = Int32Array.from({ length: 101 }, (_, i) => i * 3);
    const ev = {
      n: 300,
      custStart,
      item: new Int32Array(300),
      type: new Int32Array(300),
      tsMs: Float64Array.from({ length: 300 }, (_, i) => i),
    };
    const a = customerSplit(ev, [0.8, 0.1, 0.1], 1);
    const b = customerSplit(ev, [0.8, 0.1, 0.1], 1);
    const all = [...a.train.cust, ...a.valid.cust, ...a.test.cust].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(Array.from(b.test.cust)).toEqual(Array.from(a.test.cust));
    expect(a.train.cust.length).toBe(80);
    for (let k = 0; k < a.test.cust.length; k++) expect(a.test.target[k]).toBe(a.test.end[k]);
  });
});

describe('config', () => {
  it.each([
    [{ split: 'random' }, 'split'],
    [{ maxSeqLen: 0 }, 'maxSeqLen'],
    [{ cutoffsMs: [10, 5] }, 'cutoffsMs'],
    [{ customerFractions: [0.5, 0.2, 0.2] }, 'customerFractions'],
    [{ dedup: 'weekly' }, 'dedup'],
  ])('rejects %j naming the field', (cfg, field) => {
    let err: unknown;
    try {
      parsePrepareConfig(cfg);
    } catch (e) {
      err = e;
    }
    expect(isCfmError(err)).toBe(true);
    expect((err as { code: string; location: { field: string } }).location.field).toBe(field);
  });
});

describe('defaultCutoffs and the extraction sort', () => {
  it('selects the same 80% / 90% quantiles as a full sort, with ties and unsorted input', () => {
    const rng = createRng(3);
    const draws: Array<(i: number) => number> = [
      () => Math.floor(rng.next() * 50) * 1000,
      () => 1.6e12 + Math.floor(rng.next() * 3e10), // epoch ms over a year: many buckets
      (i) => (i % 97 === 0 ? 4.1e12 : 1.6e12 + (i % 13)), // a far outlier, the rest in one bucket
      () => 1.7e12, // all equal
    ];
    for (const draw of draws)
      for (const n of [1, 2, 7, 1000, 5001, 70_001]) {
        const tsMs = Float64Array.from({ length: n }, (_, i) => draw(i));
        const sorted = Float64Array.from(tsMs).sort();
        const q = (p: number) => sorted[Math.min(n - 1, Math.floor(p * n))];
        const want: [number, number] = [q(0.8), q(0.9) <= q(0.8) ? q(0.8) + 1 : q(0.9)];
        expect(defaultCutoffs({ n, custStart: new Int32Array([0, n]), item: new Int32Array(n), type: new Int32Array(n), tsMs })).toEqual(
          want,
        );
        // a given range that holds every time (the extraction's, before de-duplication) changes nothing
        const range: [number, number] = [sorted[0] - 1000, sorted[n - 1] + (n % 3) * 5e9];
        expect(
          defaultCutoffs({ n, custStart: new Int32Array([0, n]), item: new Int32Array(n), type: new Int32Array(n), tsMs, tsRange: range }),
        ).toEqual(want);
      }
  });

  it('sorts rows by (customer, time, input order)', () => {
    const rng = createRng(5);
    const n = 2000;
    const cust = Int32Array.from({ length: n }, () => Math.floor(rng.next() * 30));
    const ts = Float64Array.from({ length: n }, () => Math.floor(rng.next() * 20));
    const ord = Float64Array.from({ length: n }, (_, i) => (i % 3) * 4294967296 + i);
    const custStart = new Int32Array(31);
    for (const c of cust) custStart[c + 1]++;
    for (let c = 0; c < 30; c++) custStart[c + 1] += custStart[c];
    const perm = Array.from(sortPermutation(cust, ts, ord, custStart));
    const want = Array.from({ length: n }, (_, i) => i).sort((a, b) => cust[a] - cust[b] || ts[a] - ts[b] || ord[a] - ord[b]);
    expect(perm).toEqual(want);
    // sortByCustomer (the extraction's one-pass version) gives the same order for every column
    const item = Int32Array.from({ length: n }, (_, i) => i * 3);
    const type = Int32Array.from({ length: n }, (_, i) => i % 7);
    const session = Int32Array.from({ length: n }, (_, i) => i * 5);
    for (const withSession of [true, false]) {
      const got = sortByCustomer(cust, custStart, { item, type, ts, ord, session: withSession ? session : undefined });
      expect(Array.from(got.item)).toEqual(want.map((i) => item[i]));
      expect(Array.from(got.type)).toEqual(want.map((i) => type[i]));
      expect(Array.from(got.tsMs)).toEqual(want.map((i) => ts[i]));
      expect(got.session && Array.from(got.session)).toEqual(withSession ? want.map((i) => session[i]) : undefined);
    }
  });
});
