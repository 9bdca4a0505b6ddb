import { rename, rm } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { CfmError, EVENT_TYPES, RESERVED_IDS, type ProgressReporter, silentProgress } from '@cfm/core';
import { queryNumber, queryRows, sqlString } from './db';
import { timed } from './debug';
import { csvColumnLooksInteger, formatOf } from './files';
import { rejectsSelect, stageSource, type StagedSource } from './sources';
import { MAX_TS_MS, numOf, problemExpr, refuseImplausibleTimes, tidy, tsColumns, type RowRules } from './checks';
import { isNullToken, nullTokens, timeRules, type TimeRules } from './values';
import type { FileCount } from './file-count';

export const EVENT_COLUMNS = {
  required: ['customer_id', 'item_id', 'ts', 'event_type'],
  optional: ['session_id', 'position', 'page', 'query', 'price'],
};
export { MAX_TS_MS, tidy };

/** Per-file reconciliation: input rows must equal accepted + quarantined. */
export type { FileCount };

export async function createTables(conn: DuckDBConnection): Promise<void> {
  await conn.run(`CREATE TABLE IF NOT EXISTS quarantine (file VARCHAR, "row" BIGINT, field VARCHAR, reason VARCHAR, kind VARCHAR);`);
}

/** Event types in vocabulary order: the stored `type` code is the type's vocabulary id (4..9). */
const TYPE_LIST = `[${EVENT_TYPES.map(sqlString).join(', ')}]`;
const TYPE_CODE = `(list_position(${TYPE_LIST}, event_type) + ${RESERVED_IDS - 1})::TINYINT`;

/**
 * The validated events as stored (`events_coded`: file_id, rec, customer_id, item_id, ts, type, session_id,
 * position, page, query, price; type as its vocabulary id) and the view `events` with the contract columns.
 */
export const EVENTS_CODED = 'events_coded';
/** The table that holds the validated events when they are not written to Parquet (same columns as that file). */
export const EVENTS_TABLE = `${EVENTS_CODED}_t`;

/**
 * The stored rows as EVENTS_CODED columns. A single clean CSV is written without record numbers (`rec` NULL, see
 * StagedSource.unnumbered) in file order, so its record number is the row's position in the Parquet file / table.
 */
export function codedSql(parquetPathOrTable: string, isTable = false): string {
  const src = isTable
    ? `(SELECT *, rowid AS file_row_number FROM ${parquetPathOrTable})`
    : `read_parquet(${sqlString(parquetPathOrTable)}, file_row_number = true)`;
  return `SELECT * EXCLUDE (rec, file_row_number), coalesce(rec, file_row_number + 1)::BIGINT AS rec FROM ${src}`;
}

export function eventsViewSql(coded: string): string {
  return `SELECT file_id, rec, customer_id, item_id, ts, ${TYPE_LIST}[type - ${RESERVED_IDS - 1}] AS event_type, session_id, position, page, query, price
    FROM ${coded}`;
}

/**
 * Columns the CSV reader parses itself when the file allows it (the fast path): an empty field is NULL and a
 * value that does not parse is a CAST reject, after which the file is read again as text. Numbers are read as DOUBLE,
 * so that a fraction in `position` or `page` is seen (an INTEGER read rounds it).
 */
export const TYPED_COLUMNS: Record<string, string> = { position: 'DOUBLE', page: 'DOUBLE', price: 'DOUBLE' };

export interface IngestOptions {
  /** quarantine events whose item is not in the `items` table (when one was loaded) */
  checkCatalog?: boolean;
  /** settles when the `items` table is complete (it may be loaded on another connection meanwhile) */
  catalogReady?: Promise<unknown>;
  /**
   * write the validated events here as Parquet (`events_coded` is then a view over it); default the table `events_coded_t`
   * of the database (a plain table: other connections can read it; EVENTS_TABLE)
   */
  parquetPath?: string;
  /**
   * the non-blank line counts (countNonBlankLines) of event files, started by the caller (the independent input count
   * can then run while DuckDB starts; counted here otherwise)
   */
  lineCounts?: Map<string, Promise<number>>;
  /** 'always': number rows in both scans even for a single clean CSV (slower; for tests of the parallel path) */
  numberRows?: 'auto' | 'always';
  /** the unit of numeric times and their plausible window (default: ms, taken now) */
  time?: TimeRules;
  /** strings read as null (default NULL_TOKENS; '' always) */
  nullTokens?: readonly string[];
  progress?: ProgressReporter;
}

/** How one file is read: its staged source (typed fast path or text) and its reconciliation. */
interface FilePlan {
  src: StagedSource;
  fileId: number;
  count: FileCount;
  /** temp table with the record numbers of the rows the first scan found a problem in (none: undefined) */
  bad?: string;
}

/**
 * Ingest event files: validate every row in SQL, quarantine the bad ones (`quarantine`), and store the accepted
 * ones (`events_coded`, see EVENTS_CODED; Parquet at `parquetPath`, else a temp table) with the key tables
 * `customer_keys` / `item_keys` (ids sorted, indices dense) and the view `events`. No table of raw rows in memory.
 * A single CSV is read once, in parallel (ingestSingleCsv); several files, or other formats, are read twice with
 * numbered rows (ingestNumbered). Returns the per-file reconciliation.
 */
export async function ingestEvents(conn: DuckDBConnection, files: string[], opts: IngestOptions = {}): Promise<FileCount[]> {
  const progress = opts.progress ?? silentProgress;
  await createTables(conn);
  await conn.run(`DROP VIEW IF EXISTS events; DROP VIEW IF EXISTS ${EVENTS_CODED}; DROP TABLE IF EXISTS ${EVENTS_TABLE};
    CREATE OR REPLACE TEMP TABLE keys_raw (customer_id VARCHAR, item_id VARCHAR);`);
  progress.start('ingest events', files.length + 1);
  const single = files.length === 1 && opts.numberRows !== 'always' && formatOf(files[0]) === 'csv';
  const rules: RowRules = { tokens: nullTokens(opts.nullTokens), time: opts.time ?? timeRules() };
  const counts = single ? [await ingestSingleCsv(conn, files[0], opts, rules)] : await ingestNumbered(conn, files, opts, rules);
  await refuseImplausibleTimes(conn, counts, rules.time);
  await timed('keys', () =>
    conn.run(`
    CREATE OR REPLACE TABLE customer_keys AS SELECT customer_id, (row_number() OVER (ORDER BY customer_id) - 1)::INTEGER AS cix
      FROM (SELECT DISTINCT customer_id FROM keys_raw WHERE customer_id IS NOT NULL);
    CREATE OR REPLACE TABLE item_keys AS SELECT item_id, (row_number() OVER (ORDER BY item_id) - 1)::INTEGER AS iix
      FROM (SELECT DISTINCT item_id FROM keys_raw WHERE item_id IS NOT NULL);
    DROP TABLE keys_raw;`),
  );
  await conn.run(
    `CREATE ${opts.parquetPath ? '' : 'TEMP'} VIEW ${EVENTS_CODED} AS ${opts.parquetPath ? codedSql(opts.parquetPath) : codedSql(EVENTS_TABLE, true)}`,
  );
  await conn.run(`CREATE ${opts.parquetPath ? '' : 'TEMP'} VIEW events AS ${eventsViewSql(EVENTS_CODED)}`);
  const accepted = counts.reduce((a, c) => a + c.accepted, 0);
  const stored = await queryNumber(conn, `SELECT count(*) FROM ${EVENTS_CODED}`);
  if (stored !== accepted) throw new CfmError('CFM_E_RECONCILE', `accepted ${accepted} rows but stored ${stored}`, { file: files[0] });
  progress.finish('ingest events');
  return counts;
}

/**
 * The stored columns (EVENTS_CODED) of a select with `ts_ms` (`typePos`: and `type_pos`, as `checkedSelect` gives).
 * `tidyIds` false: customer and item ids as read (the caller tidies them where needed).
 */
export function codedColumns(src: StagedSource, fileId: number, rules: RowRules, typePos = false, tidyIds = true): string {
  const id = (c: string) => (tidyIds ? tidy(c) : c);
  const typed = new Set(src.typedColumns);
  const session = `CASE WHEN ${isNullToken('session_id', rules.tokens)} THEN NULL ELSE ${tidy('session_id')} END`;
  return `${fileId}::INTEGER AS file_id, rec::BIGINT AS rec, ${id('customer_id')} AS customer_id, ${id('item_id')} AS item_id, ts_ms::BIGINT AS ts,
    ${typePos ? `(type_pos + ${RESERVED_IDS - 1})::TINYINT` : TYPE_CODE} AS type, ${session} AS session_id, TRY_CAST(${numOf(typed, 'position')} AS INTEGER) AS position,
    TRY_CAST(${numOf(typed, 'page')} AS INTEGER) AS page, query, ${numOf(typed, 'price')} AS price`;
}

// plain encoding, no compression: a third of the CPU of the default (dictionary + snappy) write
export const PARQUET = '(FORMAT parquet, COMPRESSION uncompressed, DICTIONARY_SIZE_LIMIT 0)';

/**
 * One CSV file, read once and in parallel: every row is stored in file order with its problem (no row_number(),
 * which would keep DuckDB on one thread, and no join, which would not keep the order; the record number is the
 * row's position in the output). The distinct
 * customers and items, the counts and the problem rows then come from that columnar copy. Only when some row has a
 * problem are the accepted rows copied once more, without it, with their record numbers.
 */
async function ingestSingleCsv(conn: DuckDBConnection, file: string, opts: IngestOptions, rules: RowRules): Promise<FileCount> {
  const { required, optional } = EVENT_COLUMNS;
  const catalog = opts.checkCatalog ?? false;
  const out = opts.parquetPath;
  const all = out ? `${out}.all` : `${EVENTS_CODED}_all`;
  const stored = out ? `read_parquet(${sqlString(all)}, file_row_number = true)` : `(SELECT *, rowid AS file_row_number FROM ${all})`;
  // the catalogue check is a join, which would not keep the file order in the write, so it runs here, on the
  // stored rows that already carry their position (and it is the last check, as in problemExpr)
  const withCatalog = `(SELECT * EXCLUDE (problem), coalesce(problem, CASE WHEN item_id NOT IN (SELECT item_id FROM items)
         THEN 'item_id|item missing from the catalogue: ' || left(item_id, 40) END) AS problem FROM ${stored})`;
  const drop = () => (out ? rm(all, { force: true }) : conn.run(`DROP TABLE IF EXISTS ${all}`));
  const delim = file.endsWith('.tsv') ? '\t' : ',';
  const fastTyped = { ...TYPED_COLUMNS, ...((await csvColumnLooksInteger(file, 'ts', delim)) ? { ts: 'DOUBLE' } : {}) };
  for (const typed of [fastTyped, {}]) {
    const src = await stageSource(conn, file, required, optional, { typed, lines: opts.lineCounts?.get(file), nullTokens: rules.tokens });
    // the ids are stored as read: whether one of an accepted row needs its spaces trimmed (tidy) is asked of the
    // distinct ids after the grouping, and only then are the stored ids tidied (a second copy; ~45 ms CPU less in the
    // scan of the 1M bench file otherwise)
    const select = `SELECT ${codedColumns(src, 0, rules, true, false)}, problem FROM (${checkedSelect(src, false, rules, true)})`;
    await timed('scan+write', () =>
      conn.run(out ? `COPY (${select}) TO ${sqlString(all)} ${PARQUET}` : `CREATE TABLE ${all} AS ${select}`),
    );
    if (
      src.typedColumns.length &&
      src.rejectsTable &&
      (await queryNumber(conn, `SELECT count(*) FROM ${src.rejectsTable} WHERE error_type = 'CAST'`)) > 0
    ) {
      await drop();
      continue; // a value the typed reader could not parse: read as text
    }
    const group = (from: string) =>
      timed('group', () =>
        conn.run(`CREATE OR REPLACE TEMP TABLE checked AS
        SELECT customer_id, item_id, count(*) FILTER (WHERE problem IS NULL) AS n, count(problem) AS bad,
          GROUPING(customer_id)::INTEGER AS gc, GROUPING(item_id)::INTEGER AS gi
        FROM ${from} GROUP BY GROUPING SETS ((customer_id), (item_id), ())`),
      );
    await group(stored);
    const untidy = `(CASE WHEN gc = 0 THEN customer_id IS DISTINCT FROM ${tidy('customer_id')} ELSE item_id IS DISTINCT FROM ${tidy('item_id')} END)`;
    if ((await queryNumber(conn, `SELECT count(*) FROM checked WHERE gc + gi = 1 AND n > 0 AND ${untidy}`)) > 0) {
      const tidied = `SELECT * REPLACE (${tidy('customer_id')} AS customer_id, ${tidy('item_id')} AS item_id) FROM`;
      await timed<unknown>('tidy ids', () =>
        out
          ? conn
              .run(`COPY (${tidied} read_parquet(${sqlString(all)})) TO ${sqlString(`${all}.tidy`)} ${PARQUET}`)
              .then(() => rename(`${all}.tidy`, all))
          : conn.run(`CREATE TABLE ${all}_tidy AS ${tidied} ${all}; DROP TABLE ${all}; ALTER TABLE ${all}_tidy RENAME TO ${all}`),
      );
      await group(stored);
    }
    // the catalogue check per distinct item first: when every item of an otherwise valid row is in the catalogue,
    // the check changes no row and the grouping without it stands (else it runs again, row by row, with the check)
    if (catalog) await opts.catalogReady;
    const rel =
      catalog &&
      (await queryNumber(
        conn,
        `SELECT count(*) FROM checked WHERE gc = 1 AND gi = 0 AND n > 0 AND item_id NOT IN (SELECT item_id FROM items)`,
      )) > 0
        ? withCatalog
        : stored;
    if (rel !== stored) await group(rel);
    const bad = await queryNumber(conn, 'SELECT bad FROM checked WHERE gc = 1 AND gi = 1');
    await conn.run(
      `INSERT INTO keys_raw SELECT CASE WHEN gc = 0 THEN customer_id END, CASE WHEN gi = 0 THEN item_id END FROM checked WHERE gc + gi = 1 AND n > 0`,
    );
    const accepted = await queryNumber(conn, 'SELECT coalesce(sum(n), 0) FROM checked WHERE gc = 0');
    // the problem rows (a second pass over the copy, with the catalogue check again), only when the grouping found some
    await conn.run(
      bad
        ? `CREATE OR REPLACE TEMP TABLE checked AS SELECT file_row_number + 1 AS rec, problem FROM ${rel} WHERE problem IS NOT NULL`
        : 'CREATE OR REPLACE TEMP TABLE checked (rec BIGINT, problem VARCHAR)',
    );
    const quarantined = await quarantineRows(conn, src, 'events');
    await conn.run('DROP TABLE checked');
    const accepted_rows = `SELECT * EXCLUDE (rec, problem, file_row_number), file_row_number + 1 AS rec FROM ${rel} WHERE problem IS NULL`;
    if (out) {
      if (bad) await timed('rewrite', () => conn.run(`COPY (${accepted_rows}) TO ${sqlString(out)} ${PARQUET}`));
      else await rename(all, out);
      await drop();
    } else {
      if (bad) await conn.run(`CREATE TABLE ${EVENTS_TABLE} AS ${accepted_rows}`);
      // (without the all-NULL `problem` column: its Parquet copy is then a column shorter)
      else await conn.run(`ALTER TABLE ${all} DROP COLUMN problem; ALTER TABLE ${all} RENAME TO ${EVENTS_TABLE}`);
      await drop();
    }
    return reconcile({ file: src.file, kind: 'events', input: await src.inputRows, accepted, quarantined });
  }
  throw new Error('unreachable: the text read has no CAST rejects');
}

/**
 * Several files (or JSONL / Parquet): two scans of each file with numbered rows. The first finds the problems and
 * the distinct customers and items of the accepted rows; the second stores the accepted rows (all rows minus the
 * problem rows of the first scan; parser rejects are skipped by both scans alike, so record numbers agree).
 */
async function ingestNumbered(conn: DuckDBConnection, files: string[], opts: IngestOptions, rules: RowRules): Promise<FileCount[]> {
  if (opts.checkCatalog) await opts.catalogReady; // the first scans check the catalogue
  const plans: FilePlan[] = [];
  for (const [fileId, file] of files.entries()) {
    plans.push(await scanEventFile(conn, file, fileId, opts.checkCatalog ?? false, rules, opts.lineCounts?.get(file)));
    opts.progress?.update({ step: 'ingest events', done: fileId + 1, total: files.length + 1, info: { rows: plans.at(-1)!.count.input } });
  }
  const coded = plans
    .map(
      ({
        src,
        fileId,
        bad,
      }) => `SELECT ${codedColumns(src, fileId, rules)} FROM (SELECT s.*, ${tsColumns(new Set(src.typedColumns), rules, 's.')} FROM (${src.rescan}) s)
      ${bad ? `WHERE rec NOT IN (SELECT rec FROM ${bad})` : ''}`,
    )
    .join('\nUNION ALL\n');
  if (opts.parquetPath) await timed('write', () => conn.run(`COPY (${coded}) TO ${sqlString(opts.parquetPath!)} ${PARQUET}`));
  else await conn.run(`CREATE TABLE ${EVENTS_TABLE} AS ${coded}`);
  await conn.run(plans.map((p) => (p.bad ? `DROP TABLE IF EXISTS ${p.bad};` : '')).join(''));
  return plans.map((p) => p.count);
}

/** The staged rows with `ts_ms`, `type_pos` and `problem` (first problem as 'field|reason', NULL when valid). */
export function checkedSelect(src: StagedSource, catalog: boolean, rules: RowRules, unnumbered = false): string {
  const typed = new Set(src.typedColumns);
  return `SELECT *, ${problemExpr(typed, src.format === 'jsonl', catalog, rules)} AS problem
    FROM (SELECT s.*, ${tsColumns(typed, rules, 's.')}, list_position(${TYPE_LIST}, s.event_type) AS type_pos${catalog ? `, ${tidy('s.item_id')} IN (SELECT item_id FROM items) AS in_catalog` : ''}
          FROM (${unnumbered ? src.unnumbered!.select : src.select}) s)`;
}

/**
 * First scan of one file (numbered). Fast path first: CSV with the numeric columns (and `ts`, when it looks like
 * epoch ms) parsed by the reader; if that read rejects any value as a CAST error, the file is read again with text
 * columns, so a row is accepted or quarantined exactly as the text path decides.
 */
async function scanEventFile(
  conn: DuckDBConnection,
  file: string,
  fileId: number,
  withCatalog: boolean,
  rules: RowRules,
  lines?: Promise<number>,
): Promise<FilePlan> {
  const { required, optional } = EVENT_COLUMNS;
  const read = { lines, nullTokens: rules.tokens };
  if (formatOf(file) === 'csv') {
    const delim = file.endsWith('.tsv') ? '\t' : ',';
    const typed = { ...TYPED_COLUMNS, ...((await csvColumnLooksInteger(file, 'ts', delim)) ? { ts: 'DOUBLE' } : {}) };
    const fast = await scanEventSource(
      conn,
      await stageSource(conn, file, required, optional, { ...read, typed }),
      fileId,
      withCatalog,
      rules,
    );
    if (fast) return fast;
  }
  return (await scanEventSource(conn, await stageSource(conn, file, required, optional, read), fileId, withCatalog, rules))!;
}

/**
 * One pass over the file grouped two ways at once: by (customer, problem row) and by (item, problem row). Accepted
 * rows have no problem row, so they collapse into one group per distinct customer / item (with their count); each
 * rejected row is a group of its own, with its record number and problem.
 */
async function scanEventSource(
  conn: DuckDBConnection,
  src: StagedSource,
  fileId: number,
  withCatalog: boolean,
  rules: RowRules,
): Promise<FilePlan | undefined> {
  await timed(`scan ${fileId}`, () =>
    conn.run(`CREATE OR REPLACE TEMP TABLE checked AS
    SELECT customer_id, item_id, rec, problem, count(*) AS n, GROUPING(customer_id)::INTEGER AS by_item
    FROM (SELECT ${tidy('customer_id')} AS customer_id, ${tidy('item_id')} AS item_id, CASE WHEN problem IS NOT NULL THEN rec END AS rec, problem
          FROM (${checkedSelect(src, withCatalog, rules)}))
    GROUP BY GROUPING SETS ((customer_id, rec, problem), (item_id, rec, problem))`),
  );
  if (
    src.typedColumns.length &&
    src.rejectsTable &&
    (await queryNumber(conn, `SELECT count(*) FROM ${src.rejectsTable} WHERE error_type = 'CAST'`)) > 0
  ) {
    await conn.run('DROP TABLE checked');
    return undefined;
  }
  await conn.run(`DELETE FROM checked WHERE by_item = 1 AND rec IS NOT NULL;
    INSERT INTO keys_raw SELECT CASE WHEN by_item = 0 THEN customer_id END, CASE WHEN by_item = 1 THEN item_id END FROM checked WHERE rec IS NULL;`);
  const quarantined = await quarantineRows(conn, src, 'events');
  const accepted = await queryNumber(conn, 'SELECT coalesce(sum(n), 0) FROM checked WHERE by_item = 0 AND rec IS NULL');
  const bad = `bad_${fileId}`;
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${bad} AS SELECT rec FROM checked WHERE rec IS NOT NULL`);
  const nBad = await queryNumber(conn, `SELECT count(*) FROM ${bad}`);
  await conn.run(`DROP TABLE checked;${nBad ? '' : ` DROP TABLE ${bad};`}`);
  return {
    src,
    fileId,
    bad: nBad ? bad : undefined,
    count: reconcile({ file: src.file, kind: 'events', input: await src.inputRows, accepted, quarantined }),
  };
}

/** Move the rows of `checked` with a problem (and a `rec`), and the parser rejects, into `quarantine`. Returns how many. */
export async function quarantineRows(conn: DuckDBConnection, src: StagedSource, kind: string): Promise<number> {
  const rej = rejectsSelect(src);
  const file = sqlString(src.file);
  // line of record k = k + header + rejected lines before it; a_j = records before the j-th rejected line
  const lineOf = rej
    ? `rec + ${src.headerLines} + (SELECT count(*) FROM (SELECT line - ${src.headerLines} - row_number() OVER (ORDER BY line) AS a FROM (${rej})) r WHERE r.a < q.rec)`
    : `rec + ${src.headerLines}`;
  const a =
    await conn.run(`INSERT INTO quarantine SELECT ${file}, ${lineOf}, split_part(problem, '|', 1), substr(problem, strpos(problem, '|') + 1), '${kind}'
    FROM checked q WHERE problem IS NOT NULL`);
  let n = a.rowsChanged;
  if (rej) {
    const b = await conn.run(
      `INSERT INTO quarantine SELECT ${file}, line, coalesce(field, ''), 'malformed row: ' || reason, '${kind}' FROM (${rej})`,
    );
    n += b.rowsChanged;
  }
  return n;
}

export function reconcile(c: FileCount): FileCount {
  if (c.input !== c.accepted + c.quarantined)
    throw new CfmError('CFM_E_RECONCILE', `input ${c.input} != accepted ${c.accepted} + quarantined ${c.quarantined}`, { file: c.file });
  return c;
}

/** The quarantine table as rows (for reports and tests). */
export async function readQuarantine(
  conn: DuckDBConnection,
  limit = 1000,
): Promise<Array<{ file: string; row: number; field: string; reason: string }>> {
  const rows = await queryRows(conn, `SELECT file, "row", field, reason FROM quarantine ORDER BY file, "row" LIMIT ${limit}`);
  return rows as Array<{ file: string; row: number; field: string; reason: string }>;
}
