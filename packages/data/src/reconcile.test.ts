import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { silentProgress, type ProgressReporter } from '@cfm/core';
import { openDatabase, prepareFromSources, queryRows, withConnection, type RawSource } from './index';
import { eventsCsv, tempDir } from './testing/fixtures';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const DAY = 86_400_000;
const day = (k: number) => Date.UTC(2024, 0, 1) + k * DAY;

/** A progress reporter that keeps the log lines. */
function logged(): ProgressReporter & { lines: string[] } {
  const lines: string[] = [];
  return { ...silentProgress, log: (l: string) => lines.push(l), lines };
}

// 6 customers, 12 items seen once or twice each in training
const rows: Array<[string, string, number, string]> = [];
for (let c = 0; c < 6; c++) for (let k = 0; k < 4; k++) rows.push([`c${c}`, `i${(c * 2 + k) % 12}`, day(c + k * 10), 'view']);

describe('warnings of valid but suspicious outcomes', () => {
  it('warns of an empty valid split after the cut-offs, in the log and the manifest', async () => {
    const progress = logged();
    const m = await prepareFromSources({
      dataset: 'w',
      sources: { events: [tmp.file('e1.csv', eventsCsv(rows))] },
      out: join(tmp.dir, 'w1'),
      progress,
      config: { split: 'temporal', cutoffsMs: [day(6), day(9)] },
    });
    expect(m.splits.valid.customers).toBe(0);
    expect(m.warnings).toEqual([{ code: 'empty-split', message: 'the valid split is empty (no customer has a target in it)', count: 0 }]);
    expect(m.counts.warnings).toBe(1);
    expect(progress.lines).toContain('warning: the valid split is empty (no customer has a target in it)');
  });

  it('warns when minItemCount maps more than half the items to [OOV], and not otherwise', async () => {
    const file = tmp.file('e2.csv', eventsCsv(rows));
    const run = (minItemCount: number) =>
      prepareFromSources({
        dataset: 'w',
        sources: { events: [file] },
        out: join(tmp.dir, `w2-${minItemCount}`),
        config: { split: 'loo', minItemCount },
      });
    const collapsed = await run(3);
    expect(collapsed.warnings).toMatchObject([
      { code: 'vocab-collapsed', message: 'minItemCount 3 maps 12 of 12 items to [OOV]', count: 12 },
    ]);
    expect((await run(1)).warnings).toEqual([]);
  });

  it('warns of events more than a day in the future', async () => {
    const soon = Date.now() + 10 * DAY;
    const m = await prepareFromSources({
      dataset: 'w',
      sources: { events: [tmp.file('e3.csv', eventsCsv([...rows, ['c1', 'i1', soon, 'view'], ['c2', 'i2', soon, 'cart']]))] },
      out: join(tmp.dir, 'w3'),
      config: { split: 'loo' },
    });
    expect(m.warnings).toMatchObject([{ code: 'future-times', count: 2 }]);
  });
});

describe('reconciliation in raw lines', () => {
  const raw = (quarantine: RawSource['quarantine'], converted = rows.length): RawSource => ({
    file: 'shop/raw.txt',
    kind: 'events',
    input: converted + quarantine.length,
    converted,
    quarantine,
    oneRowPerLine: true,
  });

  it('quarantines the lines an adapter refused and counts the events in raw lines', async () => {
    const events = tmp.file('e4.csv', eventsCsv([...rows, ['c9', '', day(1), 'view']]));
    const out = join(tmp.dir, 'r1');
    const refused = [
      { row: 3, field: 'line', reason: 'binary or control characters' },
      { row: 9, field: 'line', reason: '6 fields, want 5' },
    ];
    const m = await prepareFromSources({
      dataset: 'r',
      sources: { events: [events], raw: [raw(refused, rows.length + 1)] },
      out,
      config: { split: 'loo' },
    });
    expect(m.eventLines).toEqual({
      unit: 'raw lines',
      input: rows.length + 3,
      accepted: rows.length,
      quarantined: 3,
      duplicates: 0,
      events: rows.length,
    });
    expect(m.counts.quarantined).toBe(3);
    expect(m.raw).toEqual([
      { file: 'shop/raw.txt', kind: 'events', input: rows.length + 3, converted: rows.length + 1, quarantined: 2, oneRowPerLine: true },
    ]);
    const db = await openDatabase(join(out, 'catalog.duckdb'));
    try {
      const q = await withConnection(db, (c) =>
        queryRows(c, `SELECT file, "row", field, reason, kind FROM quarantine WHERE kind = 'raw' ORDER BY "row"`),
      );
      expect(q).toEqual(refused.map((r) => ({ file: 'shop/raw.txt', ...r, kind: 'raw' })));
    } finally {
      db.closeSync();
    }
  });

  it('fails with CFM_E_RECONCILE when the converted lines are not the contract rows', async () => {
    const events = tmp.file('e5.csv', eventsCsv(rows));
    const err = await prepareFromSources({
      dataset: 'r',
      sources: { events: [events], raw: [raw([], rows.length + 1)] },
      out: join(tmp.dir, 'r2'),
    }).catch((e) => e);
    expect(err.code).toBe('CFM_E_RECONCILE');
  });

  it('counts contract rows when there is no adapter', async () => {
    const m = await prepareFromSources({
      dataset: 'r',
      sources: { events: [tmp.file('e6.csv', eventsCsv([...rows, rows[0], ['x', '', day(1), 'view']]))] },
      out: join(tmp.dir, 'r3'),
      config: { split: 'loo' },
    });
    expect(m.eventLines).toEqual({
      unit: 'rows',
      input: rows.length + 2,
      accepted: rows.length + 1,
      quarantined: 1,
      duplicates: 1,
      events: rows.length,
    });
  });
});
