import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESERVED_IDS } from '@cfm/core';
import { loadPrepared, openDatabase, prepareFromSources, queryRows, withConnection } from './index';
import { eventsCsv, tempDir } from './testing/fixtures';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const DAY = 86_400_000;
/** day k of the events (times must be plausible: after 1990) */
const day = (k: number) => Date.UTC(2024, 0, 1) + k * DAY;

// customer a: i1 i2 i3 i4; b: i2 i3 i5; c: i1 (too short for eval)
const rows: Array<[string, string, number, string]> = [
  ['a', 'i1', day(1), 'view'],
  ['a', 'i2', day(2), 'view'],
  ['a', 'i3', day(3), 'cart'],
  ['a', 'i4', day(4), 'purchase'],
  ['b', 'i2', day(1), 'view'],
  ['b', 'i3', day(5), 'view'],
  ['b', 'i5', day(6), 'purchase'],
  ['c', 'i1', day(2), 'view'],
];

describe('prepareFromSources with leave-one-out', () => {
  it('holds out the last item for test and the second to last for valid, and loads back', async () => {
    const events = tmp.file('events.csv', eventsCsv([...rows].reverse()));
    const out = join(tmp.dir, 'loo');
    const manifest = await prepareFromSources({ dataset: 'tiny', sources: { events: [events] }, out, config: { split: 'loo' } });
    expect(manifest.counts).toMatchObject({ users: 3, items: 5, events: 8, quarantined: 0 });
    const p = await loadPrepared(out);
    const tok = (id: number) => p.vocabs.item.tokens[id];
    const seq = (s: typeof p.train, k: number) => Array.from(s.items.subarray(s.offsets[k], s.offsets[k + 1]), tok);
    expect(p.train.customerIds).toEqual(['a', 'b', 'c']);
    expect(seq(p.train, 0)).toEqual(['i1', 'i2']);
    expect(seq(p.train, 2)).toEqual(['i1']);
    expect(p.valid.history.customerIds).toEqual(['a', 'b']);
    expect(Array.from(p.valid.targets, tok)).toEqual(['i3', 'i3']);
    expect(Array.from(p.test.targets, tok)).toEqual(['i4', 'i5']);
    expect(seq(p.test.history, 0)).toEqual(['i1', 'i2', 'i3']);
    expect(p.vocabs.type.tokens[p.test.targetTypes![0]]).toBe('purchase');
    expect(Math.min(...p.train.items)).toBeGreaterThanOrEqual(RESERVED_IDS);
  });

  it('gives the same vocabulary ids on a rerun', async () => {
    const events = tmp.file('events2.csv', eventsCsv(rows));
    const a = await prepareFromSources({
      dataset: 'tiny',
      sources: { events: [events] },
      out: join(tmp.dir, 'r1'),
      config: { split: 'loo' },
    });
    const b = await prepareFromSources({
      dataset: 'tiny',
      sources: { events: [events] },
      out: join(tmp.dir, 'r2'),
      config: { split: 'loo' },
    });
    expect(a.vocabHashes).toEqual(b.vocabHashes);
    expect(a.dataHash).toBe(b.dataHash);
    const p = await loadPrepared(join(tmp.dir, 'r1'));
    // most frequent first: i1, i2, i3 twice each (ties by id), then i4, i5
    expect(p.vocabs.item.tokens.slice(RESERVED_IDS)).toEqual(['i1', 'i2', 'i3', 'i4', 'i5']);
  });

  it('writes the same shards with the shard worker as without it', async () => {
    const events = tmp.file(
      'events4.csv',
      eventsCsv([...rows, ['d', 'i1', day(1), 'view'], ['d', 'i2', day(3), 'cart'], ['d', 'i3', day(6), 'view']]),
    );
    const run = (shardWorker: boolean) =>
      prepareFromSources({
        dataset: 'tiny',
        sources: { events: [events] },
        out: join(tmp.dir, `w-${shardWorker}`),
        config: { split: 'temporal' },
        shardWorker,
      });
    const [a, b] = [await run(true), await run(false)];
    expect(a.splits).toEqual(b.splits);
    expect(a.splits.train.events).toBeGreaterThan(0);
    for (const f of ['train.arrow', 'valid.arrow', 'test.arrow', 'item_features.arrow', 'vocabs.json'])
      expect(readFileSync(join(tmp.dir, 'w-true', f)).equals(readFileSync(join(tmp.dir, 'w-false', f)))).toBe(true);
  });

  it('gives the same shards and catalog with the events kept in memory as with Parquet written in the scan', async () => {
    const events = tmp.file(
      'events5.csv',
      eventsCsv([...rows, ['d', '', day(0), 'view'], ['d', 'i9', day(3), 'view'], ['e', 'i2', day(2), 'cart']]),
    );
    const items = tmp.file(
      'items5.csv',
      'item_id,category_1,brand,price\ni1,shoes,acme,10\ni2,shoes,,20\n i3 ,bags,zeta,\ni4,bags,acme,-5\n,hats,,1\ni5,hats,,1\n',
    );
    const run = async (eventsInMemory: boolean) => {
      const out = join(tmp.dir, `mem-${eventsInMemory}`);
      const m = await prepareFromSources({
        dataset: 'tiny',
        sources: { events: [events], items },
        out,
        config: { split: 'temporal' },
        eventsInMemory,
      });
      const db = await openDatabase(join(out, 'catalog.duckdb'));
      try {
        const q = (sql: string) => withConnection(db, (c) => queryRows(c, sql));
        const catalog = {
          events: await q(`SELECT * FROM events ORDER BY rec`),
          quarantine: await q(`SELECT * FROM quarantine ORDER BY file, "row"`),
          items: await q(`SELECT * FROM items ORDER BY item_id`),
          keys: await q(
            `SELECT (SELECT string_agg(customer_id, ',' ORDER BY cix) FROM customer_keys) AS c, (SELECT string_agg(item_id, ',' ORDER BY iix) FROM item_keys) AS i`,
          ),
        };
        return { m, catalog, out };
      } finally {
        db.closeSync();
      }
    };
    const [a, b] = [await run(true), await run(false)];
    expect(a.catalog).toEqual(b.catalog);
    expect(a.catalog.quarantine.length).toBe(5); // i4's price, the empty item id; events: the empty customer id, i4, i9
    expect({ ...a.m, createdAt: 0, timingsMs: 0, cpuMs: 0 }).toEqual({ ...b.m, createdAt: 0, timingsMs: 0, cpuMs: 0 });
    for (const f of ['train.arrow', 'valid.arrow', 'test.arrow', 'item_features.arrow', 'vocabs.json'])
      expect(readFileSync(join(a.out, f)).equals(readFileSync(join(b.out, f)))).toBe(true);
  });

  it('persists events, quarantine and items into the catalog DuckDB file', async () => {
    const events = tmp.file('events3.csv', eventsCsv([...rows, ['d', '', day(0), 'view']]));
    const items = tmp.file(
      'items3.csv',
      'item_id,category_1,brand,price\ni1,shoes,acme,10\ni2,shoes,,20\ni3,bags,zeta,\ni4,bags,acme,5\ni5,hats,,1\n',
    );
    const out = join(tmp.dir, 'cat');
    await prepareFromSources({ dataset: 'tiny', sources: { events: [events], items }, out, config: { split: 'loo' } });
    const db = await openDatabase(join(out, 'catalog.duckdb'));
    try {
      const counts = await withConnection(db, (c) =>
        queryRows(
          c,
          `SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM quarantine) AS q, (SELECT count(*) FROM items) AS items`,
        ),
      );
      expect(counts[0]).toEqual({ events: 8, q: 1, items: 5 });
    } finally {
      db.closeSync();
    }
    const p = await loadPrepared(out);
    const id = p.vocabs.item.tokens.indexOf('i1');
    expect(p.vocabs.category1.tokens[p.itemFeatures.category1[id]]).toBe('shoes');
    expect(p.vocabs.brand.tokens[p.itemFeatures.brand[id]]).toBe('acme');
    expect(p.itemFeatures.brand[p.vocabs.item.tokens.indexOf('i2')]).toBe(3); // no brand -> [OOV]
  });
});
