/**
 * The clean-CSV fast path: a single events CSV whose every line is plain (ids of printable ASCII, epoch-ms times,
 * known event types, plain numbers, no quotes) is read by the native addon (packages/data/native, built by
 * infra/native-data/provision.sh) on both cores, outside DuckDB, and its validated events' Parquet file is written
 * by the addon beside the JS stages. Any other file, or a missing addon, takes the DuckDB ingest, which alone
 * quarantines and explains; so does a file with one line that is not plain, or with an item missing from the
 * catalogue. The outputs are the same either way (scan.test.ts). docs/data.md, "Native scan".
 */
import { existsSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { EVENT_TYPES } from '@cfm/core';
import { queryNumber, queryRows, readColumns, sqlString } from './db';
import { mark } from './debug';
import { sortedFromColumns, type ExtractedEvents } from './extract';
import { readCsvHeader } from './files';
import { EVENT_COLUMNS, MAX_TS_MS, reconcile, type FileCount } from './ingest';

interface ScanOut {
  fail?: string;
  n: number;
  cix: Int32Array;
  iix: Int32Array;
  type: Int32Array;
  ts: Float64Array;
  ord: Float64Array;
  /** per row: code of its session (an index into `sessions`), -1 when none */
  session: Int32Array;
  /** distinct ids, sorted by bytes, joined by '\n' */
  customers: string;
  items: string;
  /** distinct session ids (in no particular order), joined by '\n' */
  sessions: string;
  sessionCount: number;
}

interface Addon {
  scan(path: string, delim: number, ncols: number, index: Int32Array, maxTs: number, types: string[], threads: number): ScanOut;
  writeParquet(path: string, out: string, delim: number, ncols: number, index: Int32Array, maxTs: number, types: string[]): Promise<number>;
}

let addon: Addon | null | undefined;

/** tools/native-data/cfm_data.node of the repository (found upwards from this file), or $CFM_NATIVE_DATA */
export function nativeDataAddonPath(): string | undefined {
  if (process.env.CFM_NATIVE_DATA) return resolve(process.env.CFM_NATIVE_DATA);
  for (let d = __dirname; ; d = dirname(d)) {
    const p = join(d, 'tools', 'native-data', 'cfm_data.node');
    if (existsSync(p)) return p;
    if (dirname(d) === d) return undefined;
  }
}

/** The addon when it is built and loads, and CFM_NATIVE_SCAN is not 0; else null (never throws). */
export function loadNativeScan(): Addon | null {
  if (process.env.CFM_NATIVE_SCAN === '0') return null;
  if (addon !== undefined) return addon;
  const p = nativeDataAddonPath();
  addon = null;
  if (p) {
    try {
      const m = { exports: {} as Addon };
      process.dlopen(m, p);
      addon = m.exports;
    } catch (e) {
      process.stderr.write(`data: ${p} did not load (${(e as Error).message.split('\n')[0]}); every file is read with DuckDB\n`);
    }
  }
  return addon;
}

export interface ScanOptions {
  /** quarantine events whose item is not in `items`: any such item sends the file to the DuckDB path */
  checkCatalog: boolean;
  /** settles when the `items` table is complete */
  catalogReady?: Promise<unknown>;
  /** the file's non-blank line count (countNonBlankLines), for the reconciliation */
  lineCount: Promise<number>;
  /** where the validated events' Parquet file goes (undefined: none is written) */
  parquetPath?: string;
  /** a directory for the small key files handed to DuckDB */
  tempDir: string;
}

export interface ScannedEvents extends ExtractedEvents {
  count: FileCount;
  /** settles when the Parquet file is complete */
  parquet: Promise<void>;
}

/**
 * Read a single events CSV with the native scan when every line of it is plain. On success the database has the
 * tables `customer_keys` and `item_keys` (as ingestEvents makes them; the quarantine stays empty) and the events come
 * back sorted, as extractSortedEvents returns them. `fallback` (why) when the file takes the DuckDB path (nothing made).
 */
export async function scanPlainCsv(conn: DuckDBConnection, file: string, opts: ScanOptions): Promise<ScannedEvents | { fallback: string }> {
  const native = loadNativeScan();
  if (!native) return { fallback: 'native addon not built' };
  const delim = file.endsWith('.tsv') ? '\t' : ',';
  const header = await readCsvHeader(file, delim);
  const known = [...EVENT_COLUMNS.required, ...EVENT_COLUMNS.optional];
  if (new Set(header).size !== header.length || EVENT_COLUMNS.required.some((c) => !header.includes(c))) return { fallback: 'header: repeated or missing columns' };
  const index = Int32Array.from(known, (c) => header.indexOf(c));
  const types = [...EVENT_TYPES];
  const args = [delim.charCodeAt(0), header.length, index, MAX_TS_MS, types] as const;
  const r = native.scan(file, args[0], args[1], args[2], args[3], args[4], 2);
  if (r.fail !== undefined) {
    mark(`native scan: not plain (${r.fail}); DuckDB path`);
    return { fallback: r.fail };
  }
  mark('native scan: read');
  // the validated events' Parquet file, written by the addon on a libuv thread while the rest runs (to a name of its
  // own until the file is accepted: a fallback's DuckDB ingest writes `parquetPath` itself)
  const own = opts.parquetPath && `${opts.parquetPath}.native`;
  const written = own ? native.writeParquet(file, own, args[0], args[1], args[2], args[3], args[4]) : Promise.resolve(r.n);
  written.catch(() => undefined); // awaited below
  const discard = async () => {
    await written.catch(() => undefined);
    if (own) await rm(own, { force: true });
    await conn.run('DROP TABLE IF EXISTS customer_keys; DROP TABLE IF EXISTS item_keys');
  };
  const customerIds = r.customers.split('\n');
  const itemKeys = r.items.split('\n');
  // one id per line, no quoting (plain ids have no tab, quote or line break); ranked by bytes, as the scan sorted them
  const text = { customer: join(opts.tempDir, 'customers.tsv'), item: join(opts.tempDir, 'items.tsv'), session: join(opts.tempDir, 'sessions.tsv') };
  await Promise.all([
    writeFile(text.customer, `${r.customers}\n`),
    writeFile(text.item, `${r.items}\n`),
    r.sessionCount > 0 ? writeFile(text.session, `${r.sessions}\n`) : undefined,
  ]);
  const lines = (path: string, col: string) =>
    `read_csv(${sqlString(path)}, columns={'${col}': 'VARCHAR'}, header=false, delim='\\t', quote='', escape='', auto_detect=false)`;
  await conn.run(`CREATE OR REPLACE TABLE customer_keys AS SELECT customer_id, (row_number() OVER (ORDER BY customer_id) - 1)::INTEGER AS cix FROM ${lines(text.customer, 'customer_id')};
    CREATE OR REPLACE TABLE item_keys AS SELECT item_id, (row_number() OVER (ORDER BY item_id) - 1)::INTEGER AS iix FROM ${lines(text.item, 'item_id')};`);
  const [sizes] = await queryRows(conn, 'SELECT (SELECT count(*) FROM customer_keys) AS c, (SELECT count(*) FROM item_keys) AS i');
  if (sizes.c !== customerIds.length || sizes.i !== itemKeys.length) {
    await discard();
    return { fallback: 'key tables do not match the scan' };
  }
  mark('native scan: keys');
  const session = r.sessionCount > 0 ? await sessionKeys(conn, r, lines(text.session, 's')) : undefined;
  mark('native scan: session keys');
  const count = reconcile({ file, kind: 'events', input: (await opts.lineCount) - 1, accepted: r.n, quarantined: 0 });
  const sorted = sortedFromColumns({ cix: r.cix, iix: r.iix, type: r.type, ts: r.ts, ord: r.ord, session }, customerIds, itemKeys);
  mark('native scan: sorted');
  // last, so that the catalogue has had the scan and the sort to load: every item must be in it
  if (opts.checkCatalog) {
    await opts.catalogReady;
    if ((await queryNumber(conn, 'SELECT count(*) FROM item_keys WHERE item_id NOT IN (SELECT item_id FROM items)')) > 0) {
      mark('native scan: items missing from the catalogue; DuckDB path');
      await discard();
      return { fallback: 'items missing from the catalogue' };
    }
  }
  const parquet = written.then(async (rows) => {
    if (rows !== r.n) throw new Error(`native Parquet writer wrote ${rows} rows of ${r.n}`);
    if (own) await rename(own, opts.parquetPath!);
    mark('native scan: parquet written');
  });
  parquet.catch(() => undefined); // awaited by the caller
  return { ...sorted, count, parquet };
}

/**
 * The rows' session keys as the DuckDB path makes them (`hash(session_id) % 2147483647`, -1 for none): DuckDB hashes
 * each distinct session id once (`distinct`: a read of them, one per line, in code order) and the rows take their
 * session's key.
 */
async function sessionKeys(conn: DuckDBConnection, r: ScanOut, distinct: string): Promise<Int32Array> {
  const [key] = (await readColumns(conn, `SELECT (hash(s) % 2147483647)::INTEGER FROM ${distinct}`, ['int32'], r.sessionCount, true)) as Int32Array[];
  if (key.length !== r.sessionCount) throw new Error(`session keys: ${key.length} of ${r.sessionCount}`);
  const s = r.session;
  for (let i = 0; i < s.length; i++) s[i] = s[i] < 0 ? -1 : key[s[i]];
  return s;
}
