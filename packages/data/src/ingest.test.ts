import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDBInstance } from '@duckdb/node-api';
import { isCfmError } from '@cfm/core';
import { ingestEvents, ingestItems, openDatabase, queryRows, readQuarantine, withConnection, type IngestOptions } from './index';
import { EVENTS_HEADER, tempDir } from './testing/fixtures';

const tmp = tempDir();
let db: DuckDBInstance;
beforeAll(async () => (db = await openDatabase()));
afterAll(() => (db.closeSync(), tmp.cleanup()));

/** Ingest one file on a fresh schema; returns counts and the quarantine rows. */
async function ingest(name: string, text: string, items?: string, numberRows?: 'always', more: IngestOptions = {}) {
  return withConnection(db, async (conn) => {
    await conn.run('DROP VIEW IF EXISTS events; DROP TABLE IF EXISTS quarantine; DROP TABLE IF EXISTS items;');
    if (items) await ingestItems(conn, tmp.file(`items-${name}.csv`, items));
    const [count] = await ingestEvents(conn, [tmp.file(name, text)], { checkCatalog: !!items, numberRows, ...more });
    const q = (await readQuarantine(conn)).filter((r) => r.file.endsWith(name));
    const events = await queryRows(conn, 'SELECT * FROM events ORDER BY rec');
    return { count, q, events };
  });
}

const good = 'c1,i1,2020-01-01T00:00:00Z,view,,,,,';

describe('ingest quarantines bad rows with file, row, field and reason and loses nothing', () => {
  it.each([
    ['empty customer id', ',i1,1577836800000,view,,,,,', 'customer_id', /empty id/],
    ['null item id', 'c1,,1577836800000,view,,,,,', 'item_id', /empty id/],
    ['unparseable timestamp', 'c1,i1,yesterday,view,,,,,', 'ts', /unparseable/],
    ['ISO timestamp after 2100', 'c1,i1,2150-01-01T00:00:00Z,view,,,,,', 'ts', /out of range/],
    ['numeric timestamp far beyond now', 'c1,i1,9999999999999999,view,,,,,', 'ts', /implausible time for unit ms \(fits no unit\)/],
    ['negative timestamp', 'c1,i1,-5,view,,,,,', 'ts', /implausible time/],
    ['unknown event type', 'c1,i1,1577836800000,teleport,,,,,', 'event_type', /unknown event type "teleport"/],
    ['position of the wrong type', 'c1,i1,1577836800000,view,,abc,,,', 'position', /non-negative integer/],
    ['negative price', 'c1,i1,1577836800000,view,,,,,-3', 'price', /non-negative number/],
  ])('%s', async (_name, bad, field, reason) => {
    const { count, q, events } = await ingest('bad.csv', [EVENTS_HEADER, good, bad, good].join('\n') + '\n');
    expect(count).toMatchObject({ input: 3, accepted: 2, quarantined: 1 });
    expect(q).toHaveLength(1);
    expect(q[0]).toMatchObject({ row: 3, field });
    expect(q[0].reason).toMatch(reason);
    expect(events).toHaveLength(2);
  });

  it('quarantines the cut last row of a truncated file and keeps line numbers right after it', async () => {
    const text = [EVENTS_HEADER, good, 'c2,i2', 'c3,i3,1577836800000,bogus,,,,,', good, 'c9,i9,1'].join('\n');
    const { count, q } = await ingest('truncated.csv', text);
    expect(count).toMatchObject({ input: 5, accepted: 2, quarantined: 3 });
    expect(q.map((r) => r.row)).toEqual([3, 4, 6]);
    expect(q.find((r) => r.row === 6)!.reason).toMatch(/malformed row/);
    expect(q.find((r) => r.row === 4)!.field).toBe('event_type');
  });

  it('quarantines an unterminated quote at the end of a file', async () => {
    const { count } = await ingest('quote.csv', [EVENTS_HEADER, good, 'c2,"i2,1577836800000,view,,,,,'].join('\n'));
    expect(count.input).toBe(count.accepted + count.quarantined);
    expect(count.accepted).toBe(1);
  });

  it('trims ids (spaces and Unicode spaces) and quarantines ids that are only spaces', async () => {
    const rows = [
      ' c1,i1 ,1577836800000,view,s1 ,,,,',
      'c1 , i1,1577836800000,view,,,,,',
      '\u00a0c1\u00a0,i1,1577836800000,view,,,,,',
      '\u00a0,i1,1577836800000,view,,,,,',
      '   ,i1,1577836800000,view,,,,,',
    ];
    const { count, q, events } = await ingest('spaces.csv', [EVENTS_HEADER, ...rows].join('\n') + '\n');
    expect(count).toMatchObject({ input: 5, accepted: 3, quarantined: 2 });
    expect(events.map((e) => [e.customer_id, e.item_id])).toEqual([
      ['c1', 'i1'],
      ['c1', 'i1'],
      ['c1', 'i1'],
    ]);
    expect(events[0].session_id).toBe('s1');
    expect(q.map((r) => [r.row, r.field])).toEqual([
      [5, 'customer_id'],
      [6, 'customer_id'],
    ]);
  });

  it('gives a clean single file (read without row numbers) the same records and quarantine as the numbered scan', async () => {
    const rows = Array.from(
      { length: 5000 },
      (_, i) => `c${(i * 7) % 13},i${i % 11},${1577836800000 + ((i * 31) % 997)},view,s${i % 5},${i % 4},,,2.5`,
    );
    rows.splice(1234, 0, 'c1,i1'); // a parser reject: quarantined from the reject table, later records keep their numbers
    const text = [EVENTS_HEADER, ...rows].join('\n') + '\n';
    const auto = await ingest('clean.csv', text);
    const numbered = await ingest('clean.csv', text, undefined, 'always');
    expect(auto.count).toMatchObject({ input: 5001, accepted: 5000, quarantined: 1 });
    expect(auto.q.map((r) => r.row)).toEqual([1236]);
    expect(auto.q).toEqual(numbered.q);
    expect(auto.events).toEqual(numbered.events);
    expect(auto.events[1234]).toMatchObject({ rec: 1235, customer_id: 'c6', item_id: 'i2' });
    // with a catalogue that lacks i10: those rows are quarantined (checked after the single scan), the rest keep their numbers
    const items = ['item_id', ...Array.from({ length: 10 }, (_, i) => `i${i}`)].join('\n') + '\n';
    const autoCat = await ingest('clean.csv', text, items);
    const numberedCat = await ingest('clean.csv', text, items, 'always');
    const missing = rows.filter((r) => r.split(',')[1] === 'i10').length;
    expect(autoCat.count).toMatchObject({ input: 5001, accepted: 5000 - missing, quarantined: 1 + missing });
    expect(autoCat.q).toEqual(numberedCat.q);
    expect(autoCat.q[1].reason).toMatch(/missing from the catalogue: i10/);
    expect(autoCat.events).toEqual(numberedCat.events);
  });

  it('parses ISO-8601 with offsets and epoch milliseconds to the same instant', async () => {
    const rows = ['c1,i1,2020-01-01T02:00:00+02:00,view,,,,,', 'c1,i1,1577836800000,view,,,,,', 'c1,i1,2020-01-01 00:00:00,view,,,,,'];
    const { events } = await ingest('ts.csv', [EVENTS_HEADER, ...rows].join('\n'));
    expect(events.map((e) => Number(e.ts))).toEqual([1577836800000, 1577836800000, 1577836800000]);
  });

  it('refuses a file with a required column missing, naming the column', async () => {
    const err = await ingest('nots.csv', 'customer_id,item_id,event_type\nc1,i1,view\n').catch((e) => e);
    expect(isCfmError(err)).toBe(true);
    expect(err.code).toBe('CFM_E_MISSING_COLUMN');
    expect(err.location).toMatchObject({ field: 'ts' });
  });

  it('refuses an empty file', async () => {
    const err = await ingest('empty.csv', '').catch((e) => e);
    expect(err.code).toBe('CFM_E_FILE');
  });

  it('quarantines events whose item is missing from the catalogue', async () => {
    const items = 'item_id,category_1,brand\ni1,shoes,acme\n';
    const { count, q } = await ingest('cat.csv', [EVENTS_HEADER, good, 'c1,i404,1577836800000,view,,,,,'].join('\n'), items);
    expect(count).toMatchObject({ accepted: 1, quarantined: 1 });
    expect(q[0]).toMatchObject({ row: 3, field: 'item_id' });
    expect(q[0].reason).toMatch(/missing from the catalogue/);
  });

  it('keeps the first row of a repeated catalogue id and quarantines the rest (with and without a repeat in the file)', async () => {
    const rows = ['item_id,category_1,brand,price', 'i1, shoes ,acme,10', ' i2 ,bags,,-1', ',hats,,1', 'i3,hats,zeta,abc', 'i4,,,'];
    const read = (text: string) =>
      withConnection(db, async (conn) => {
        await conn.run('DROP TABLE IF EXISTS quarantine; DROP TABLE IF EXISTS items;');
        const count = await ingestItems(conn, tmp.file('items-dup.csv', text));
        return { count, q: await readQuarantine(conn), items: await queryRows(conn, 'SELECT * FROM items ORDER BY item_id') };
      });
    const once = await read(rows.join('\n') + '\n');
    expect(once.count).toMatchObject({ input: 5, accepted: 2, quarantined: 3 });
    expect(once.q.map((r) => [r.row, r.field])).toEqual([
      [3, 'price'],
      [4, 'item_id'],
      [5, 'price'],
    ]);
    expect(once.items).toEqual([
      {
        item_id: 'i1',
        category_1: 'shoes',
        category_2: null,
        category_3: null,
        category_4: null,
        product_line: null,
        brand: 'acme',
        price: 10,
        title: null,
      },
      {
        item_id: 'i4',
        category_1: null,
        category_2: null,
        category_3: null,
        category_4: null,
        product_line: null,
        brand: null,
        price: null,
        title: null,
      },
    ]);
    const twice = await read([...rows, 'i1,bags,,2', ' i4,x,,1'].join('\n') + '\n');
    expect(twice.count).toMatchObject({ input: 7, accepted: 2, quarantined: 5 });
    expect(twice.q.slice(3).map((r) => [r.row, r.field, r.reason])).toEqual([
      [7, 'item_id', 'duplicate item id i1'],
      [8, 'item_id', 'duplicate item id  i4'],
    ]);
    expect(twice.items).toEqual(once.items);
  });

  it('ingests JSONL and quarantines a malformed line', async () => {
    const lines = [
      '{"customer_id":"c1","item_id":"i1","ts":1577836800000,"event_type":"view"}',
      '{"customer_id": "c2", broken',
      '{"customer_id":"c3","item_id":"i3","ts":"2020-01-01","event_type":"cart","price":9.5}',
    ];
    const { count, q, events } = await ingest('e.jsonl', lines.join('\n') + '\n');
    expect(count).toMatchObject({ input: 3, accepted: 2, quarantined: 1 });
    expect(q[0]).toMatchObject({ row: 2, reason: 'malformed JSON' });
    expect(events.map((e) => e.price)).toEqual([null, 9.5]);
  });

  it('ingests Parquet with typed columns', async () => {
    const path = `${tmp.dir}/e.parquet`;
    await withConnection(db, (c) =>
      c.run(
        `COPY (SELECT 'c' || i AS customer_id, 'i' || (i % 3) AS item_id, 1577836800000 + 1000 * i AS ts, 'view' AS event_type FROM range(10) t(i)) TO '${path}' (FORMAT parquet)`,
      ),
    );
    const { count } = await withConnection(db, async (conn) => {
      await conn.run('DROP VIEW IF EXISTS events; DROP TABLE IF EXISTS quarantine;');
      const [c] = await ingestEvents(conn, [path]);
      return { count: c };
    });
    expect(count).toMatchObject({ input: 10, accepted: 10, quarantined: 0 });
  });

  it('appends a second file and reconciles each file on its own', async () => {
    const a = tmp.file('part-a.csv', [EVENTS_HEADER, good, 'c2,,1577836800000,view,,,,,'].join('\n'));
    const b = tmp.file('part-b.csv', [EVENTS_HEADER, good, good, 'c3,i3,1577836800000,nope,,,,,'].join('\n'));
    const { counts, n } = await withConnection(db, async (conn) => {
      await conn.run('DROP VIEW IF EXISTS events; DROP TABLE IF EXISTS quarantine;');
      const c = await ingestEvents(conn, [a, b]);
      return { counts: c, n: (await queryRows(conn, 'SELECT file_id, count(*) AS n FROM events GROUP BY 1 ORDER BY 1')).map((r) => r.n) };
    });
    expect(counts.map((c) => [c.input, c.accepted, c.quarantined])).toEqual([
      [2, 1, 1],
      [3, 2, 1],
    ]);
    expect(n).toEqual([1, 2]);
  });

  it('reads epoch-ms files with typed columns and falls back to text columns when a later row does not parse', async () => {
    // > 64 KiB of epoch-ms rows, so the sniffed prefix says "integer ts"; then an ISO time, a bad position, a negative price
    const many = Array.from({ length: 3000 }, (_, i) => `c${i % 7},i${i % 5},${1577836800000 + i},view,,${i % 3},,,1.5`);
    const tail = ['c1,i1,2020-01-01T00:00:00Z,cart,,,,,', 'c1,i1,1577836800000,view,,abc,,,', 'c1,i1,1577836800000,view,,,,,-3'];
    const { count, q, events } = await ingest('typed.csv', [EVENTS_HEADER, ...many, ...tail].join('\n') + '\n');
    expect(count).toMatchObject({ input: 3003, accepted: 3001, quarantined: 2 });
    expect(q.map((r) => [r.row, r.field])).toEqual([
      [3003, 'position'],
      [3004, 'price'],
    ]);
    expect(Number(events.find((e) => e.event_type === 'cart')!.ts)).toBe(1577836800000);
    // all typed: the same rows without the unparseable ones stay on the fast path and give the same values
    const fast = await ingest('typed2.csv', [EVENTS_HEADER, ...many, tail[2]].join('\n') + '\n');
    expect(fast.count).toMatchObject({ input: 3001, accepted: 3000, quarantined: 1 });
    expect(fast.q[0]).toMatchObject({ row: 3002, field: 'price' });
    expect(fast.events.slice(0, 3000).map((e) => [e.ts, e.position, e.price])).toEqual(
      events.slice(0, 3000).map((e) => [e.ts, e.position, e.price]),
    );
  });
});
