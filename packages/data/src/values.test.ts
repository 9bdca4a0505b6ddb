import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDBInstance } from '@duckdb/node-api';
import { isCfmError } from '@cfm/core';
import { ingestEvents, openDatabase, queryRows, readQuarantine, snippet, timeRules, withConnection, type IngestOptions } from './index';
import { EVENTS_HEADER, tempDir } from './testing/fixtures';

const tmp = tempDir();
let db: DuckDBInstance;
beforeAll(async () => (db = await openDatabase()));
afterAll(() => (db.closeSync(), tmp.cleanup()));

/** Ingest one events file on a fresh schema: counts, quarantine rows and stored events (or the error). */
async function ingest(name: string, text: string, opts: IngestOptions = {}) {
  return withConnection(db, async (conn) => {
    await conn.run('DROP VIEW IF EXISTS events; DROP TABLE IF EXISTS quarantine;');
    const [count] = await ingestEvents(conn, [tmp.file(name, text)], opts);
    const q = await readQuarantine(conn);
    const events = await queryRows(conn, 'SELECT * FROM events ORDER BY rec');
    return { count, q, events };
  });
}
const csv = (rows: string[]) => [EVENTS_HEADER, ...rows].join('\n') + '\n';
const T = Date.UTC(2021, 5, 1); // a plausible time, epoch ms
/** n rows of customer c{k % 7}, item i{k % 5}, one minute apart from T, in `unit` */
const rows = (n: number, unit: 's' | 'ms' | 'us' = 'ms', extra = ',,,,,') =>
  Array.from(
    { length: n },
    (_, k) => `c${k % 7},i${k % 5},${{ s: (T + k * 60_000) / 1000, ms: T + k * 60_000, us: (T + k * 60_000) * 1000 }[unit]},view${extra}`,
  );

describe('time units', () => {
  it.each([['s'], ['us']] as const)('refuses a file of epoch %s read as ms, saying which unit fits', async (unit) => {
    const err = await ingest(`unit-${unit}.csv`, csv(rows(50, unit))).catch((e) => e);
    expect(isCfmError(err)).toBe(true);
    expect(err.code).toBe('CFM_E_ROW_SCHEMA');
    expect(err.location).toMatchObject({ field: 'ts' });
    expect(err.message).toMatch(
      new RegExp(`50 of 50 rows have times implausible for tsUnit 'ms'.*fit unit '${unit}': set tsUnit: '${unit}'`),
    );
  });

  it('reads the same instants with tsUnit s, ms and us, and ISO strings under any unit', async () => {
    const iso = 'c1,i1,2021-06-01T00:00:00Z,cart,,,,,';
    const ts = async (unit: 's' | 'ms' | 'us') =>
      (await ingest(`same-${unit}.csv`, csv([...rows(20, unit), iso]), { time: timeRules(unit) })).events.map((e) => Number(e.ts));
    const ms = await ts('ms');
    expect(ms.slice(0, 3)).toEqual([T, T + 60_000, T + 120_000]);
    expect(ms[20]).toBe(T);
    expect(await ts('s')).toEqual(ms);
    expect(await ts('us')).toEqual(ms);
  });

  it('keeps fractions of a second with tsUnit s', async () => {
    const { events } = await ingest('frac.csv', csv([`c1,i1,${T / 1000 + 0.25},view,,,,,`, `c1,i1,${T / 1000},view,,,,,`]), {
      time: timeRules('s'),
    });
    expect(events.map((e) => Number(e.ts))).toEqual([T + 250, T]);
  });

  it('quarantines rows of another unit inside a plausible file, naming the unit that fits (typed and text reads alike)', async () => {
    const odd = [`c1,i1,${T / 1000},view,,,,,`, `c1,i1,${T * 1000},view,,,,,`, 'c1,i1,12345,view,,,,,'];
    // 3000 rows: the first 64 KiB are numeric, so `ts` is read typed; with `position=abc` the file is read as text
    for (const [name, tail] of [
      ['typed', []],
      ['text', ['c1,i1,' + T + ',view,,abc,,,']],
    ] as const) {
      const { count, q } = await ingest(`mixed-${name}.csv`, csv([...rows(3000), ...odd, ...tail]));
      expect(count.accepted, name).toBe(3000);
      expect(
        q.slice(0, 3).map((r) => [r.row, r.field, r.reason]),
        name,
      ).toEqual([
        [3002, 'ts', `implausible time for unit ms (fits unit s): ${T / 1000}`],
        [3003, 'ts', `implausible time for unit ms (fits unit us): ${T * 1000}`],
        [3004, 'ts', 'implausible time for unit ms (fits no unit): 12345'],
      ]);
    }
  });

  it('quarantines numeric times beyond now + 1 year', async () => {
    const later = Date.now() + 400 * 86_400_000;
    const { q } = await ingest('future.csv', csv([...rows(5), `c1,i1,${later},view,,,,,`]));
    expect(q).toMatchObject([{ row: 7, field: 'ts' }]);
    expect(q[0].reason).toMatch(/implausible time for unit ms/);
  });
});

describe('values that look fine but are not', () => {
  it('quarantines non-integer position and page instead of rounding them (typed and text reads)', async () => {
    const bad = [
      'c1,i1,' + T + ',view,,1.5,,,',
      'c1,i1,' + T + ',view,,,2.5,,',
      'c1,i1,' + T + ',view,,2.0,3,,',
      'c1,i1,' + T + ',view,,3000000000,,,',
    ];
    for (const [name, tail] of [
      ['typed', []],
      ['text', ['c1,i1,' + T + ',view,,abc,,,']],
    ] as const) {
      const { count, q, events } = await ingest(`frac-${name}.csv`, csv([...rows(3), ...bad, ...tail]));
      expect(
        q.slice(0, 3).map((r) => [r.row, r.field, r.reason]),
        name,
      ).toEqual([
        [5, 'position', 'not a non-negative integer: 1.5'],
        [6, 'page', 'not a non-negative integer: 2.5'],
        [8, 'position', 'not a non-negative integer: 3000000000'],
      ]);
      expect(count.accepted, name).toBe(4);
      expect(events.at(-1), name).toMatchObject({ position: 2, page: 3 });
    }
  });

  it('quarantines ids with NUL or other control characters', async () => {
    const bad = [
      `c\u0000x,i1,${T},view,,,,,`,
      `c1,i\u0001,${T},view,,,,,`,
      `c1,i1,${T},view,s\u007f,,,,`,
      `\tc1,i1,${T},view,,,,,`,
      `c1,i\u0085,${T},view,,,,,`,
    ];
    const { count, q } = await ingest('ctl.csv', csv([...rows(5), ...bad]));
    expect(count).toMatchObject({ accepted: 5, quarantined: 5 });
    expect(q.map((r) => [r.row, r.field, r.reason])).toEqual([
      [7, 'customer_id', 'control character in id'],
      [8, 'item_id', 'control character in id'],
      [9, 'session_id', 'control character in id'],
      [10, 'customer_id', 'control character in id'],
      [11, 'item_id', 'control character in id'],
    ]);
  });

  it('reads the null tokens as null in every field, never as ids', async () => {
    const tokens = ['NULL', 'null', 'None', 'NaN', ' NULL ', 'NULL '];
    const bad = tokens.flatMap((t) => [`${t},i1,${T},view,,,,,`, `c1,${t},${T},view,,,,,`]);
    const nullish = [`c1,i1,${T},view,NULL,None,NaN,None,null`];
    const { count, q, events } = await ingest('nulls.csv', csv([...rows(2), ...bad, ...nullish]));
    expect(count).toMatchObject({ accepted: 3, quarantined: 12 });
    expect(q.map((r) => r.reason)).toEqual(Array(12).fill('null or empty id'));
    expect(q.map((r) => r.field)).toEqual(tokens.flatMap(() => ['customer_id', 'item_id']));
    expect(events.at(-1)).toMatchObject({ session_id: null, position: null, page: null, query: null, price: null });
    // another list: 'NULL' is then an id, 'N/A' is null
    const own = await ingest('own-nulls.csv', csv([`NULL,i1,${T},view,,,,,`, `N/A,i1,${T},view,,,,,`]), { nullTokens: ['N/A'] });
    expect(own.events.map((e) => e.customer_id)).toEqual(['NULL']);
    expect(own.q).toMatchObject([{ row: 3, field: 'customer_id' }]);
  });

  it('quarantines JSONL objects and arrays in scalar fields, and null tokens there', async () => {
    const line = (o: Record<string, unknown>) => JSON.stringify({ customer_id: 'c1', item_id: 'i1', ts: T, event_type: 'view', ...o });
    const lines = [
      line({}),
      line({ item_id: { id: 1 } }),
      line({ customer_id: ['c1'] }),
      line({ price: [1] }),
      line({ customer_id: 'NULL' }),
      line({ session_id: 'None', query: 'None' }),
    ];
    const { count, q, events } = await ingest('nested.jsonl', lines.join('\n') + '\n');
    expect(count).toMatchObject({ input: 6, accepted: 2, quarantined: 4 });
    expect(q.map((r) => [r.row, r.field, r.reason])).toEqual([
      [2, 'item_id', 'object or array in a scalar field'],
      [3, 'customer_id', 'object or array in a scalar field'],
      [4, 'price', 'object or array in a scalar field'],
      [5, 'customer_id', 'null or empty id'],
    ]);
    expect(events[1]).toMatchObject({ session_id: null, query: null });
  });

  it('refuses a Parquet file with a nested column where the contract has a scalar', async () => {
    const path = `${tmp.dir}/nested.parquet`;
    await withConnection(db, (c) =>
      c.run(`COPY (SELECT 'c1' AS customer_id, ['i1'] AS item_id, ${T} AS ts, 'view' AS event_type) TO '${path}' (FORMAT parquet)`),
    );
    const err = await withConnection(db, async (conn) => {
      await conn.run('DROP VIEW IF EXISTS events; DROP TABLE IF EXISTS quarantine;');
      return ingestEvents(conn, [path]).catch((e) => e);
    });
    expect(err.code).toBe('CFM_E_ROW_SCHEMA');
    expect(err.location).toMatchObject({ field: 'item_id' });
  });
});

describe('file content in error messages', () => {
  it('is a short snippet with control characters escaped', () => {
    expect(snippet('root:x:0:0:root:/root:/bin/bash\n'.repeat(10))).toBe('root:x:0:0:root:/root:/bin/bash\\nroot:x:0:0:root:/root:/bin/…');
    expect(snippet('a\u0000b\u001b[31mc\\')).toBe('a\\x00b\\x1b[31mc\\\\');
  });

  it('shows at most about 60 characters of a header line', async () => {
    const header = `secret-${'x'.repeat(500)}\u001b]0;evil\u0007,more`;
    const err = await ingest('header.csv', `${header}\n1,2\n`).catch((e) => e);
    expect(err.code).toBe('CFM_E_MISSING_COLUMN');
    const shown = /file has: (.*)\)$/.exec(err.message)![1];
    expect(shown.length).toBeLessThanOrEqual(61);
    expect(err.message).not.toMatch(/[\u0000-\u001f]/);
  });
});
