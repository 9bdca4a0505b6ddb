import { afterAll, describe, expect, it } from 'vitest';
import { resetRuntimeOptions } from '@cfm/core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, prepareFromSources, queryRows, withConnection, type PrepareConfigInput } from './index';
import { loadNativeScan } from './scan';
import { tempDir } from './testing/fixtures';

const tmp = tempDir('cfm-scan-');
afterAll(() => tmp.cleanup());
const native = loadNativeScan() !== null;
if (!native)
  process.stderr.write('scan.test: the native data addon is not built (bash infra/native-data/provision.sh); its tests are skipped\n');

const TYPES = ['view', 'click', 'cart', 'purchase', 'favourite', 'high_value'];
const HEADER = ['customer_id', 'item_id', 'ts', 'event_type', 'session_id', 'position', 'page', 'query', 'price'];

/** Deterministic contract events: 40 customers, 120 items, sessions, and optional fields empty about half the time. */
function events(n = 3000, seed = 7): string[][] {
  let s = seed;
  const rnd = (k: number) => ((s = (s * 1103515245 + 12345) % 2147483648), s % k);
  const rows: string[][] = [];
  for (let i = 0; i < n; i++) {
    const c = rnd(40);
    rows.push([
      `c${c}`,
      `i${rnd(120)}`,
      String(1_700_000_000_000 + rnd(90) * 86_400_000 + rnd(86_400_000)),
      TYPES[rnd(6)],
      rnd(5) ? `s${c}-${rnd(4)}` : '',
      rnd(2) ? String(rnd(30)) : '',
      rnd(2) ? String(rnd(4)) : '',
      rnd(4) ? '' : `red shoes ${rnd(9)}`,
      rnd(3) ? `${rnd(200)}.${String(rnd(100)).padStart(2, '0')}` : '',
    ]);
  }
  return rows;
}
const csv = (rows: string[][], header = HEADER, delim = ',', eol = '\n') =>
  [header.join(delim), ...rows.map((r) => r.join(delim))].join(eol) + eol;
const items = Array.from(
  { length: 120 },
  (_, i) => `i${i},cat${i % 5},sub${i % 11},,,pl${i % 3},brand${i % 7},${(i * 1.37).toFixed(2)},item ${i}`,
);
const itemsCsv = `item_id,category_1,category_2,category_3,category_4,product_line,brand,price,title\n${items.join('\n')}\n`;

async function run(name: string, file: string, nativeScan: boolean, withItems = true, config: PrepareConfigInput = {}) {
  const out = join(tmp.dir, `${name}-${nativeScan ? 'native' : 'duckdb'}`);
  const itemsFile = tmp.file('items.csv', itemsCsv);
  const m = await prepareFromSources({
    dataset: name,
    sources: { events: [file], ...(withItems ? { items: itemsFile } : {}) },
    out,
    config: { split: 'temporal', ...config },
    nativeScan,
  });
  const db = await openDatabase(join(out, 'catalog.duckdb'));
  try {
    const q = (sql: string) => withConnection(db, (c) => queryRows(c, sql));
    const catalog = {
      events: await q('SELECT * FROM events ORDER BY rec'),
      types: await q(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM events)`),
      quarantine: await q('SELECT * FROM quarantine ORDER BY file, "row"'),
      items: withItems ? await q('SELECT * FROM items ORDER BY item_id') : [],
      keys: await q(
        `SELECT (SELECT string_agg(customer_id, ',' ORDER BY cix) FROM customer_keys) AS c, (SELECT string_agg(item_id, ',' ORDER BY iix) FROM item_keys) AS i`,
      ),
    };
    const shards = ['train.arrow', 'valid.arrow', 'test.arrow', 'item_features.arrow', 'vocabs.json'].map((f) =>
      readFileSync(join(out, f)).toString('base64'),
    );
    const { createdAt, timingsMs, cpuMs, reader, readerNote, ...rest } = m;
    return { manifest: rest, catalog, shards, reader, readerNote };
  } finally {
    db.closeSync();
  }
}

/** The native scan and the DuckDB ingest on the same file give the same shards, vocabularies, manifest and catalog. */
async function same(
  name: string,
  text: string,
  expectReader: 'native-scan' | 'duckdb',
  withItems = true,
  ext = 'csv',
  config: PrepareConfigInput = {},
) {
  const file = tmp.file(`${name}.${ext}`, text);
  const [a, b] = [await run(name, file, true, withItems, config), await run(name, file, false, withItems, config)];
  expect(a.reader).toBe(expectReader);
  expect(b.reader).toBe('duckdb');
  expect(a.catalog).toEqual(b.catalog);
  expect(a.manifest).toEqual(b.manifest);
  expect(a.shards).toEqual(b.shards);
  return a;
}

describe.skipIf(!native)('native scan of a plain events CSV', () => {
  it('gives the same outputs as the DuckDB ingest: shards, vocabularies, manifest, catalog tables and events', async () => {
    const a = await same('plain', csv(events()), 'native-scan');
    expect(a.catalog.events.length).toBe(3000);
    expect(a.catalog.quarantine.length).toBe(0);
    expect(a.manifest.counts.accepted).toBe(3000);
    // the types as the ingest stores them (the addon's own Parquet file)
    expect(a.catalog.types.map((r) => `${r.column_name}:${r.column_type}`).join(' ')).toBe(
      'file_id:INTEGER rec:BIGINT customer_id:VARCHAR item_id:VARCHAR ts:BIGINT event_type:VARCHAR session_id:VARCHAR position:INTEGER page:INTEGER query:VARCHAR price:DOUBLE',
    );
    expect(a.catalog.events.some((r) => r.session_id === null) && a.catalog.events.some((r) => r.price === null)).toBe(true);
  });

  it('gives the same outputs when the lines are split among more threads than cores', async () => {
    process.env.CFM_NATIVE_SCAN_THREADS = '5';
    resetRuntimeOptions();
    try {
      const a = await same('five-threads', csv(events(2000, 11)), 'native-scan');
      expect(a.catalog.events.length).toBe(2000);
    } finally {
      delete process.env.CFM_NATIVE_SCAN_THREADS;
      resetRuntimeOptions();
    }
  });

  it('is turned off by CFM_NATIVE_SCAN=0 (the DuckDB ingest reads the file)', async () => {
    const file = tmp.file('switched-off.csv', csv(events(300, 5)));
    process.env.CFM_NATIVE_SCAN = '0';
    resetRuntimeOptions();
    try {
      expect(loadNativeScan()).toBeNull();
      expect((await run('switched-off', file, true)).reader).toBe('duckdb');
    } finally {
      delete process.env.CFM_NATIVE_SCAN;
      resetRuntimeOptions();
    }
    expect((await run('switched-on', file, true)).reader).toBe('native-scan');
  });

  it('reads other column orders, missing optional columns, a TSV and a file without a final line break the same way', async () => {
    const rows = events(800, 3);
    const order = [3, 1, 0, 8, 2, 4]; // event_type, item_id, customer_id, price, ts, session_id
    await same(
      'reordered',
      csv(
        rows.map((r) => order.map((k) => r[k])),
        order.map((k) => HEADER[k]),
      ),
      'native-scan',
    );
    await same('tsv', csv(rows, HEADER, '\t'), 'native-scan', true, 'tsv');
    await same('no-eol', csv(rows).slice(0, -1), 'native-scan', false);
  });

  it('passes any file with a line that is not plain to the DuckDB ingest, which quarantines as before', async () => {
    const rows = events(600, 5);
    const edit = (k: number, col: number, v: string) => rows.map((r, i) => (i === k ? r.map((x, j) => (j === col ? v : x)) : r));
    const cases: Array<[string, string, RegExp]> = [
      ['quoted', csv(edit(10, 7, '"red, blue"')), /quote/],
      ['unknown-type', csv(edit(20, 3, 'wishlist')), /event_type/],
      ['padded-id', csv(edit(30, 0, ' c1')), /customer_id/],
      ['negative-position', csv(edit(40, 5, '-1')), /position/],
      ['exponent-price', csv(edit(50, 8, '1e3')), /price/],
      ['iso-time', csv(edit(60, 2, '2024-01-02T03:04:05Z')), /ts/],
      ['non-ascii-query', csv(edit(70, 7, 'café')), /query/],
      ['crlf', csv(rows, HEADER, ',', '\r\n'), /carriage return/],
      ['blank-line', csv(rows).replace('\n', '\n\n'), /blank line/],
      ['missing-item', csv(edit(80, 1, 'i999')), /catalogue/],
      ['null-token-id', csv(edit(90, 0, 'NULL')), /null token/],
      ['null-token-query', csv(edit(95, 7, 'None')), /null token/],
      ['null-token-session', csv(edit(97, 4, 'null')), /null token/],
      ['control-char-id', csv(edit(98, 1, 'i\u0001')), /item_id/],
      ['fraction-position', csv(edit(99, 5, '1.5')), /position/],
      ['time-before-1990', csv(edit(100, 2, String(Date.UTC(1985, 0, 1)))), /before 1990/],
      ['time-after-a-year', csv(edit(110, 2, String(Date.now() + 400 * 86_400_000))), /ts/],
    ];
    for (const [name, text, why] of cases) {
      const a = await same(name, text, 'duckdb');
      expect(a.readerNote, name).toMatch(why);
      expect(a.manifest.counts.accepted + a.manifest.counts.quarantined, name).toBe(600);
    }
  }, 60_000);

  it('passes a file with another time unit to the DuckDB ingest (same outputs), and refuses seconds read as ms in both', async () => {
    const rows = events(500, 9);
    const seconds = csv(rows.map((r) => r.map((x, j) => (j === 2 ? String(Number(x) / 1000) : x))));
    const a = await same('seconds', seconds, 'duckdb', true, 'csv', { tsUnit: 's' });
    expect(a.readerNote).toMatch(/unit s/);
    expect(a.manifest.counts.accepted).toBe(500);
    for (const nativeScan of [true, false]) {
      const err = await run(`seconds-as-ms-${nativeScan}`, tmp.file('seconds-as-ms.csv', seconds), nativeScan).catch((e) => e);
      expect(err.code).toBe('CFM_E_ROW_SCHEMA');
      expect(err.message).toMatch(/fit unit 's'/);
    }
  });

  it('warns of far-future times with either reader', async () => {
    const soon = Date.now() + 30 * 86_400_000;
    const rows = events(400, 13).map((r, i) => (i % 50 === 0 ? r.map((x, j) => (j === 2 ? String(soon + i) : x)) : r));
    const a = await same('future', csv(rows), 'native-scan');
    expect(a.manifest.warnings).toEqual([expect.objectContaining({ code: 'future-times', count: 8 })]);
  });
});
