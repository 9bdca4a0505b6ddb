/**
 * The clean-CSV fast path: a single events CSV whose every line is plain (ids of printable ASCII, epoch-ms times,
 * known event types, plain numbers, no quotes) is read by the native addon (packages/data/native, built by
 * infra/native-data/provision.sh) on both cores, outside DuckDB, and its validated events' Parquet file is written
 * by the addon beside the JS stages. Any other file, or a missing addon, takes the DuckDB ingest, which alone
 * quarantines and explains; so does a file with one line that is not plain, or with an item missing from the
 * catalogue. The outputs are the same either way (scan.test.ts). docs/data.md, "Native scan".
 */
import { writeFileSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { EVENT_TYPES, loadNativeAddon, runtimeOptions, type NativeAddon } from '@cfm/core';
import { columnsOf, queryNumber, sqlString } from './db';
import { mark } from './debug';
import type { ExtractedEvents } from './extract';
import { readCsvHeader } from './files';
import { EVENT_COLUMNS, reconcile, type FileCount } from './ingest';
import { nullTokens, timeRules, type TimeRules } from './values';

interface ScanOut {
  fail?: string;
  n: number;
  /** the rows sorted by (customer, ts, record): customer c's rows are [custStart[c], custStart[c + 1]) */
  custStart: Int32Array;
  item: Int32Array;
  type: Int32Array;
  tsMs: Float64Array;
  /** per row: code of its session (an index into `sessions`), -1 when none */
  session: Int32Array;
  tsMin: number;
  tsMax: number;
  /** distinct ids, sorted by bytes, joined by '\n' */
  customers: string;
  items: string;
  /** distinct session ids (in no particular order), joined by '\n' */
  sessions: string;
  sessionCount: number;
}

export interface NativeDataAddon {
  /** the argument list this file passes (ADDON_VERSION) */
  version?: number;
  /** runs on a libuv thread (its own threads inside): the event loop, and DuckDB's work started from it, go on */
  scan(
    path: string,
    delim: number,
    ncols: number,
    index: Int32Array,
    maxTs: number,
    types: string[],
    nullTokens: string[],
    threads: number,
  ): Promise<ScanOut>;
  writeParquet(
    path: string,
    out: string,
    delim: number,
    ncols: number,
    index: Int32Array,
    maxTs: number,
    types: string[],
    nullTokens: string[],
  ): Promise<number>;
}

/** The addon's `version` this file calls (an older build is not used: provision.sh rebuilds it). */
const ADDON_VERSION = 2;

/** How the addon is found and checked (the loader in @cfm/core). */
const addonSpec = () => ({
  label: 'data',
  dir: 'native-data',
  file: 'cfm_data.node',
  from: __dirname,
  explicit: runtimeOptions().CFM_NATIVE_DATA,
  explicitVar: 'CFM_NATIVE_DATA',
  fallback: 'every file is read with DuckDB',
  check: (a: NativeDataAddon) => (a.version === ADDON_VERSION ? undefined : 'is an older build'),
});

/** The native-data addon (tools/native-data/cfm_data.node of the installed package or the repository, or
 * CFM_NATIVE_DATA) and, when it is missing or an older build, why; whatever CFM_NATIVE_SCAN says. */
export function nativeDataAddon(): NativeAddon<NativeDataAddon> {
  return loadNativeAddon(addonSpec());
}

/** The addon when it is built and loads, and CFM_NATIVE_SCAN is not 0; else null (never throws). */
export function loadNativeScan(): NativeDataAddon | null {
  if (!runtimeOptions().CFM_NATIVE_SCAN) return null;
  return nativeDataAddon().addon;
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
  /** runs DuckDB work on another connection (the key tables, the session keys, the catalogue check) */
  onSide: <T>(fn: (conn: DuckDBConnection) => Promise<T>) => Promise<T>;
}

export interface ScannedEvents extends ExtractedEvents {
  count: FileCount;
  /**
   * settles when DuckDB has the key tables, the rows their session keys (events.session held session codes until
   * then) and, with a catalogue, its check: undefined, or why the file must take the DuckDB ingest after all (the
   * caller then starts again without the scan; nothing of the scan is kept)
   */
  ready: Promise<string | undefined>;
  /** settles when the Parquet file is complete (at `parquetPath`, unless `ready` gave a reason) */
  parquet: Promise<void>;
}

/** A native scan under way (startScan): its result, with the arguments the Parquet writer takes again. */
export type StartedScan = Promise<
  { r: ScanOut; native: NativeDataAddon; args: readonly [number, number, Int32Array, number, string[], string[]] } | { fallback: string }
>;

/** What the scan must check besides plainness: the time rules and the null tokens of the run. */
export interface ScanRules {
  time: TimeRules;
  /** a field equal to one (other than '') sends the file to DuckDB */
  nullTokens: readonly string[];
}

/**
 * Start the native scan of a single events CSV (on libuv and its own threads: it needs nothing of DuckDB, so it can
 * start before the database is open). scanPlainCsv takes its result. The scan reads epoch-ms times only, and only
 * plausible ones (values.ts): a file with another unit, or with a time outside the window, takes the DuckDB ingest.
 */
export function startScan(file: string, rules: ScanRules = { time: timeRules(), nullTokens: nullTokens() }): StartedScan {
  const run = async (): StartedScan => {
    if (!runtimeOptions().CFM_NATIVE_SCAN) return { fallback: 'CFM_NATIVE_SCAN=0' };
    const loaded = nativeDataAddon();
    if (loaded.addon === null) return { fallback: loaded.why };
    const native = loaded.addon;
    if (file.endsWith('.gz')) return { fallback: 'compressed file' };
    if (rules.time.unit !== 'ms') return { fallback: `times in unit ${rules.time.unit}` };
    const [lo, hi] = rules.time.window;
    const delim = file.endsWith('.tsv') ? '\t' : ',';
    const header = await readCsvHeader(file, delim);
    const known = [...EVENT_COLUMNS.required, ...EVENT_COLUMNS.optional];
    if (new Set(header).size !== header.length || EVENT_COLUMNS.required.some((c) => !header.includes(c)))
      return { fallback: 'header: repeated or missing columns' };
    const index = Int32Array.from(known, (c) => header.indexOf(c));
    const types: string[] = [...EVENT_TYPES];
    // (a time after the window fails the line; one before it is found from the scan's smallest time)
    const args = [delim.charCodeAt(0), header.length, index, hi, types, nullTokens(rules.nullTokens)] as const;
    // (one thread per core, up to 8, each parsing a share of the lines; CFM_NATIVE_SCAN_THREADS sets it)
    const r = await native.scan(file, ...args, runtimeOptions().CFM_NATIVE_SCAN_THREADS);
    if (r.fail !== undefined) {
      mark(`native scan: not plain (${r.fail}); DuckDB path`);
      return { fallback: r.fail };
    }
    if (r.tsMin < lo) return { fallback: `a time before ${new Date(lo).toISOString().slice(0, 10)} (implausible for unit ms)` };
    return { r, native, args };
  };
  const started = run();
  started.catch(() => undefined); // awaited by scanPlainCsv (an unreadable file is reported by the DuckDB ingest)
  return started;
}

/**
 * Finish a native scan (startScan) of a single events CSV whose every line is plain: the events come back sorted, as
 * extractSortedEvents returns them, and the database gets the tables `customer_keys` and `item_keys` (as
 * ingestEvents makes them; the quarantine stays empty) once `ready` settles. `fallback` (why) when a line is not
 * plain: the file takes the DuckDB path (nothing made).
 */
export async function scanPlainCsv(started: StartedScan, file: string, opts: ScanOptions): Promise<ScannedEvents | { fallback: string }> {
  let s: Awaited<StartedScan>;
  try {
    s = await started;
  } catch (e) {
    return { fallback: (e as Error).message.split('\n')[0] };
  }
  if ('fallback' in s) return s;
  const { r, native, args } = s;
  mark('native scan: read');
  // the validated events' Parquet file, written by the addon on a libuv thread while the rest runs (to a name of its
  // own until the file is accepted: a fallback's DuckDB ingest writes `parquetPath` itself)
  const own = opts.parquetPath && `${opts.parquetPath}.native`;
  const written = own ? native.writeParquet(file, own, ...args) : Promise.resolve(r.n);
  written.catch(() => undefined); // awaited below

  const customerIds = r.customers.split('\n');
  const itemKeys = r.items.split('\n');
  // one id per line, no quoting (plain ids have no tab, quote or line break); ranked by bytes, as the scan sorted
  // them; and the session keys as the DuckDB path makes them (`hash(session_id) % 2147483647`), one per distinct
  // session id in code order: one round trip, on another connection, while the caller starts the JS stages
  const text = {
    customer: join(opts.tempDir, 'customers.tsv'),
    item: join(opts.tempDir, 'items.tsv'),
    session: join(opts.tempDir, 'sessions.tsv'),
  };
  writeFileSync(text.customer, `${r.customers}\n`);
  writeFileSync(text.item, `${r.items}\n`);
  if (r.sessionCount > 0) writeFileSync(text.session, `${r.sessions}\n`);
  const lines = (path: string, col: string) =>
    `read_csv(${sqlString(path)}, columns={'${col}': 'VARCHAR'}, header=false, delim='\\t', quote='', escape='', auto_detect=false)`;
  const session = r.sessionCount > 0 ? r.session : undefined;
  const events = {
    n: r.n,
    custStart: r.custStart,
    item: r.item,
    type: r.type,
    tsMs: r.tsMs,
    session,
    tsRange: [r.tsMin, r.tsMax] as [number, number],
  };
  const ready = opts.onSide(async (conn) => {
    const result =
      await conn.run(`CREATE OR REPLACE TABLE customer_keys AS SELECT customer_id, (row_number() OVER (ORDER BY customer_id) - 1)::INTEGER AS cix FROM ${lines(text.customer, 'customer_id')};
      CREATE OR REPLACE TABLE item_keys AS SELECT item_id, (row_number() OVER (ORDER BY item_id) - 1)::INTEGER AS iix FROM ${lines(text.item, 'item_id')};
      SELECT (SELECT count(*) FROM customer_keys)::INTEGER, (SELECT count(*) FROM item_keys)::INTEGER, NULL::INTEGER
      ${r.sessionCount > 0 ? `UNION ALL (SELECT NULL, NULL, (hash(s) % 2147483647)::INTEGER FROM ${lines(text.session, 's')})` : ''}`);
    mark('native scan: keys');
    const [c, i, key] = (await columnsOf(result, ['int32', 'int32', 'int32'], r.sessionCount + 1, true)) as Int32Array[];
    if (c[0] !== customerIds.length || i[0] !== itemKeys.length || key.length !== r.sessionCount + 1)
      return 'key tables do not match the scan';
    // (in place: the caller may have de-duplicated the rows meanwhile, which moves them but keeps their codes)
    if (session) for (let k = 0; k < session.length; k++) session[k] = session[k] < 0 ? -1 : key[session[k] + 1];
    // every item must be in the catalogue (its check waits for the catalogue, which loads during the scan)
    if (opts.checkCatalog) {
      await opts.catalogReady;
      if ((await queryNumber(conn, 'SELECT count(*) FROM item_keys WHERE item_id NOT IN (SELECT item_id FROM items)')) > 0)
        return 'items missing from the catalogue';
    }
    return undefined;
  });
  ready.catch(() => undefined); // awaited by the caller
  const count = reconcile({ file, kind: 'events', input: (await opts.lineCount) - 1, accepted: r.n, quarantined: 0 });
  const scratch = { int32: [], float64: [] };
  const parquet = Promise.all([written, ready]).then(async ([rows, why]) => {
    if (why) {
      if (own) await rm(own, { force: true });
      return;
    }
    if (rows !== r.n) throw new Error(`native Parquet writer wrote ${rows} rows of ${r.n}`);
    if (own) await rename(own, opts.parquetPath!);
    mark('native scan: parquet written');
  });
  parquet.catch(() => undefined); // awaited by the caller
  return { events, customerIds, itemKeys, scratch, count, parquet, ready };
}
