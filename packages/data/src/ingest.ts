import type { DuckDBConnection } from '@duckdb/node-api';
import { CfmError, EVENT_TYPES, type ProgressReporter, silentProgress } from '@cfm/core';
import { queryNumber, queryRows, sqlString } from './db';
import { csvColumnLooksInteger, formatOf } from './files';
import { rejectsSelect, stageSource, type StagedSource } from './sources';

export const EVENT_COLUMNS = { required: ['customer_id', 'item_id', 'ts', 'event_type'], optional: ['session_id', 'position', 'page', 'query', 'price'] };
export const MAX_TS_MS = Date.UTC(2100, 0, 1);

/** Per-file reconciliation: input rows must equal accepted + quarantined. */
export interface FileCount {
  file: string;
  kind: 'events' | 'items' | 'users';
  input: number;
  accepted: number;
  quarantined: number;
}

export async function createTables(conn: DuckDBConnection): Promise<void> {
  await conn.run(`
    CREATE TABLE IF NOT EXISTS events (file_id INTEGER, rec BIGINT, customer_id VARCHAR, item_id VARCHAR, ts BIGINT, event_type VARCHAR,
      session_id VARCHAR, position INTEGER, page INTEGER, query VARCHAR, price DOUBLE);
    CREATE TABLE IF NOT EXISTS quarantine (file VARCHAR, "row" BIGINT, field VARCHAR, reason VARCHAR, kind VARCHAR);`);
}

/** ts text → epoch ms: integer epoch ms, or ISO-8601 (no zone = UTC). */
const TS_MS = `COALESCE(TRY_CAST(ts AS BIGINT), epoch_ms(TRY_CAST(ts AS TIMESTAMPTZ)))`;
const blank = (c: string) => `(${c} IS NULL OR trim(${c}) = '')`;
const badInt = (c: string) => `(${c} IS NOT NULL AND trim(${c}) <> '' AND (TRY_CAST(${c} AS INTEGER) IS NULL OR TRY_CAST(${c} AS INTEGER) < 0))`;
const badNum = (c: string) => `(${c} IS NOT NULL AND trim(${c}) <> '' AND (TRY_CAST(${c} AS DOUBLE) IS NULL OR NOT isfinite(TRY_CAST(${c} AS DOUBLE)) OR TRY_CAST(${c} AS DOUBLE) < 0))`;

/**
 * Columns the CSV reader parses itself when the file allows it (the fast path): an empty field is NULL and a
 * value that does not parse is a CAST reject, after which the file is read again as text.
 */
const TYPED_COLUMNS: Record<string, string> = { position: 'INTEGER', page: 'INTEGER', price: 'DOUBLE' };

/** The first problem of a row as 'field|reason', NULL when the row is valid. `typed` columns arrive parsed. */
function problemExpr(typed: Set<string>, jsonl: boolean): string {
  const types = EVENT_TYPES.map(sqlString).join(', ');
  const intCheck = (c: string) => (typed.has(c) ? `${c} < 0` : badInt(c));
  const text = (c: string) => (typed.has(c) ? `CAST(${c} AS VARCHAR)` : c);
  return `CASE
    ${jsonl ? `WHEN bad_json THEN 'line|malformed JSON'` : ''}
    WHEN ${blank('customer_id')} THEN 'customer_id|null or empty id'
    WHEN ${blank('item_id')} THEN 'item_id|null or empty id'
    WHEN ${typed.has('ts') ? 'ts IS NULL' : blank('ts')} THEN 'ts|null or empty timestamp'
    WHEN ts_ms IS NULL THEN 'ts|unparseable timestamp "' || left(${text('ts')}, 40) || '" (want ISO-8601 or epoch ms)'
    WHEN ts_ms < 0 OR ts_ms > ${MAX_TS_MS} THEN 'ts|timestamp out of range [1970, 2100]: ' || ${text('ts')}
    WHEN ${blank('event_type')} THEN 'event_type|null or empty event type'
    WHEN event_type NOT IN (${types}) THEN 'event_type|unknown event type "' || left(event_type, 40) || '"'
    WHEN ${intCheck('position')} THEN 'position|not a non-negative integer: ' || left(${text('position')}, 40)
    WHEN ${intCheck('page')} THEN 'page|not a non-negative integer: ' || left(${text('page')}, 40)
    WHEN ${typed.has('price') ? `(NOT isfinite(price) OR price < 0)` : badNum('price')} THEN 'price|not a non-negative number: ' || left(${text('price')}, 40)
    ELSE NULL END`;
}

export interface IngestOptions {
  /** quarantine events whose item is not in the `items` table (when one was loaded) */
  checkCatalog?: boolean;
  progress?: ProgressReporter;
}

/** Ingest event files into `events`; bad rows go to `quarantine`. Returns the per-file reconciliation. */
export async function ingestEvents(conn: DuckDBConnection, files: string[], opts: IngestOptions = {}): Promise<FileCount[]> {
  const progress = opts.progress ?? silentProgress;
  await createTables(conn);
  const counts: FileCount[] = [];
  progress.start('ingest events', files.length);
  for (const [fileId, file] of files.entries()) {
    counts.push(await ingestEventFile(conn, file, fileId, opts.checkCatalog ?? false));
    progress.update({ step: 'ingest events', done: fileId + 1, total: files.length, info: { rows: counts.at(-1)!.input } });
  }
  progress.finish('ingest events');
  return counts;
}

const DEBUG = !!process.env.CFM_DEBUG_TIMING;
async function timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
  if (!DEBUG) return fn();
  const t0 = Date.now(), c0 = process.cpuUsage();
  const r = await fn();
  const c = process.cpuUsage(c0);
  process.stderr.write(`${name}: wall ${Date.now() - t0} ms, cpu ${Math.round((c.user + c.system) / 1000)} ms\n`);
  return r;
}

/**
 * Fast path first: CSV with the numeric columns (and `ts`, when it looks like epoch ms) parsed by the reader.
 * If that read rejects any value as a CAST error, the file is read again with text columns, so a row is
 * accepted or quarantined exactly as the text path decides.
 */
async function ingestEventFile(conn: DuckDBConnection, file: string, fileId: number, withCatalog: boolean): Promise<FileCount> {
  const all = EVENT_COLUMNS;
  if (formatOf(file) === 'csv') {
    const delim = file.endsWith('.tsv') ? '\t' : ',';
    const typed = { ...TYPED_COLUMNS, ...((await csvColumnLooksInteger(file, 'ts', delim)) ? { ts: 'BIGINT' } : {}) };
    const src = await stageSource(conn, file, all.required, all.optional, typed);
    const fast = await ingestEventSource(conn, src, fileId, withCatalog);
    if (fast) return fast;
  }
  const src = await stageSource(conn, file, all.required, all.optional);
  return (await ingestEventSource(conn, src, fileId, withCatalog))!;
}

async function ingestEventSource(conn: DuckDBConnection, src: StagedSource, fileId: number, withCatalog: boolean): Promise<FileCount | undefined> {
  const jsonl = src.format === 'jsonl';
  const typed = new Set(src.typedColumns);
  const run = (name: string, sql: string) => timed(name, () => conn.run(sql));
  // the first file becomes the events table itself (no second copy in memory); later ones are appended
  const first = (await queryRows(conn, 'SELECT count(*) AS n FROM events'))[0].n === 0;
  const tsMs = typed.has('ts') ? 'ts' : TS_MS;
  const asInt = (c: string) => (typed.has(c) ? c : `TRY_CAST(${c} AS INTEGER)`);
  // one pass over the file: typed columns in the events layout + the first problem of each row
  await run('validate', `CREATE OR REPLACE ${first ? '' : 'TEMP'} TABLE checked AS
    SELECT ${fileId}::INTEGER AS file_id, rec::BIGINT AS rec, trim(customer_id) AS customer_id, trim(item_id) AS item_id, ts_ms::BIGINT AS ts,
      event_type, NULLIF(trim(session_id), '') AS session_id, ${asInt('position')} AS position,
      ${asInt('page')} AS page, query, ${typed.has('price') ? 'price' : 'TRY_CAST(price AS DOUBLE)'} AS price, ${problemExpr(typed, jsonl)} AS problem
    FROM (SELECT s.*, ${tsMs} AS ts_ms FROM (${src.select}) s)`);
  if (typed.size && src.rejectsTable && (await queryNumber(conn, `SELECT count(*) FROM ${src.rejectsTable} WHERE error_type = 'CAST'`)) > 0) {
    await conn.run('DROP TABLE checked');
    return undefined;
  }
  if (withCatalog)
    await run('catalogue', `UPDATE checked SET problem = 'item_id|item missing from the catalogue: ' || left(item_id, 40)
      WHERE problem IS NULL AND item_id NOT IN (SELECT item_id FROM items)`);
  const quarantined = await quarantineRows(conn, src, 'events');
  let accepted: number;
  if (first) {
    if (quarantined) await conn.run('DELETE FROM checked WHERE problem IS NOT NULL');
    accepted = Number((await queryRows(conn, 'SELECT count(*) AS n FROM checked'))[0].n);
    await run('rename', 'ALTER TABLE checked DROP COLUMN problem; DROP TABLE events; ALTER TABLE checked RENAME TO events;');
  } else {
    const ins = await run('insert', `INSERT INTO events SELECT * EXCLUDE (problem) FROM checked WHERE problem IS NULL`);
    accepted = ins.rowsChanged;
    await conn.run('DROP TABLE checked');
  }
  return reconcile({ file: src.file, kind: 'events', input: src.inputRows, accepted, quarantined });
}


/** Move the rows of `checked` with a problem, and the parser rejects, into `quarantine`. Returns how many. */
export async function quarantineRows(conn: DuckDBConnection, src: StagedSource, kind: string): Promise<number> {
  const rej = rejectsSelect(src);
  const file = sqlString(src.file);
  // line of record k = k + header + rejected lines before it; a_j = records before the j-th rejected line
  const lineOf = rej
    ? `rec + ${src.headerLines} + (SELECT count(*) FROM (SELECT line - ${src.headerLines} - row_number() OVER (ORDER BY line) AS a FROM (${rej})) r WHERE r.a < q.rec)`
    : `rec + ${src.headerLines}`;
  const a = await conn.run(`INSERT INTO quarantine SELECT ${file}, ${lineOf}, split_part(problem, '|', 1), substr(problem, strpos(problem, '|') + 1), '${kind}'
    FROM checked q WHERE problem IS NOT NULL`);
  let n = a.rowsChanged;
  if (rej) {
    const b = await conn.run(`INSERT INTO quarantine SELECT ${file}, line, coalesce(field, ''), 'malformed row: ' || reason, '${kind}' FROM (${rej})`);
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
export async function readQuarantine(conn: DuckDBConnection, limit = 1000): Promise<Array<{ file: string; row: number; field: string; reason: string }>> {
  const rows = await queryRows(conn, `SELECT file, "row", field, reason FROM quarantine ORDER BY file, "row" LIMIT ${limit}`);
  return rows as Array<{ file: string; row: number; field: string; reason: string }>;
}
