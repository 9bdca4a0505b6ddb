import { createRequire } from 'node:module';
import {
  DuckDBInstance,
  DuckDBTypeId,
  type DuckDBConnection,
  type DuckDBDataChunk,
  type DuckDBMaterializedResult,
  type DuckDBResult,
} from '@duckdb/node-api';
import type * as DuckDBBindings from '@duckdb/node-bindings';

/**
 * The node API's own bindings (resolved from it, so the same module and version): numeric columns of a materialised
 * result are read from them directly, without the API's per-chunk vector, type and validity objects.
 */
const bindings = createRequire(require.resolve('@duckdb/node-api'))('@duckdb/node-bindings') as typeof DuckDBBindings;

/** Open (or create) a DuckDB file; ':memory:' for an in-memory catalog. */
export async function openDatabase(
  path = ':memory:',
  threads?: number,
  memory?: { limit: string; tempDir: string },
): Promise<DuckDBInstance> {
  // no ICU extension here: ISO strings without a zone parse as UTC
  // insertion order kept (DuckDB's default, stated here because the single-scan ingest relies on it: a row's record
  // number is its position in the Parquet file written from the CSV scan)
  const options: Record<string, string> = { preserve_insertion_order: 'true' };
  if (threads) options.threads = String(threads);
  // above the limit DuckDB spills to tempDir (also for an in-memory database)
  if (memory) Object.assign(options, { memory_limit: memory.limit, temp_directory: memory.tempDir });
  return DuckDBInstance.create(path, options);
}

/** Run fn on a fresh connection and always close it. */
export async function withConnection<T>(db: DuckDBInstance, fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  const conn = await db.connect();
  try {
    return await fn(conn);
  } finally {
    conn.closeSync();
  }
}

/**
 * Rows of a small result as plain objects (bigints turned into numbers). The result is materialised and its chunks
 * read synchronously: one round trip through the event loop per query (work on other connections, started from
 * this thread, waits for those turns while this thread computes).
 */
export async function queryRows(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const result = await conn.run(sql);
  const names = result.deduplicatedColumnNames();
  const rows: Record<string, unknown>[] = [];
  for (let k = 0; k < result.chunkCount; k++)
    for (const r of result.getChunk(k).getRowObjects(names))
      rows.push(Object.fromEntries(Object.entries(r).map(([c, v]) => [c, typeof v === 'bigint' ? Number(v) : v])));
  return rows;
}

export async function queryNumber(conn: DuckDBConnection, sql: string): Promise<number> {
  const rows = await queryRows(conn, sql);
  const v = rows[0] ? Object.values(rows[0])[0] : undefined;
  return v === null || v === undefined ? Number.NaN : Number(v);
}

/** Materialised results of at most this many chunks (2,048 rows each) are read synchronously (readColumns). */
const SYNC_CHUNKS = 1000;

export type ColumnKind = 'int32' | 'float64' | 'string';
type ColumnOut = Int32Array | Float64Array | string[];

/**
 * Typed-array view of column c of a chunk, through the chunk's public raw handle (DuckDBDataChunk.chunk) and the
 * bindings' vector_get_data: the buffer itself, NULLs included (they read as whatever the buffer holds).
 */
function columnView(chunk: DuckDBDataChunk, c: number, kind: 'int32' | 'float64', rows: number): Int32Array | Float64Array {
  const bytes = bindings.vector_get_data(bindings.data_chunk_get_vector(chunk.chunk, c), rows * (kind === 'int32' ? 4 : 8));
  return kind === 'int32' ? new Int32Array(bytes.buffer, bytes.byteOffset, rows) : new Float64Array(bytes.buffer, bytes.byteOffset, rows);
}

/**
 * Stream a query's result into typed columns chunk by chunk (no per-row JS objects).
 * `kinds` gives one entry per selected column, in order: INTEGER → int32, DOUBLE → float64, VARCHAR → string.
 * NULL numbers read as 0 / NaN, so select non-null columns. `materialize`: let DuckDB run the whole query first (on
 * all its threads; a streamed result is produced as the chunks are fetched) at the cost of holding the result.
 */
export async function readColumns(
  conn: DuckDBConnection,
  sql: string,
  kinds: ColumnKind[],
  expectedRows?: number,
  materialize = false,
  /** called once the query has run (materialised) or started (streamed), before the copy into JS */
  onResult?: () => void | Promise<void>,
): Promise<ColumnOut[]> {
  const result = materialize ? await conn.run(sql) : await conn.stream(sql);
  await onResult?.();
  return columnsOf(result, kinds, expectedRows, materialize);
}

/** The columns of a result (as readColumns reads them; `materialized`: the result came from `run`). */
export async function columnsOf(
  result: DuckDBResult,
  kinds: ColumnKind[],
  expectedRows?: number,
  materialized = false,
): Promise<ColumnOut[]> {
  const materialize = materialized;
  let cap = Math.max(1024, expectedRows ?? 0);
  let out: ColumnOut[] = kinds.map((k) => (k === 'int32' ? new Int32Array(cap) : k === 'float64' ? new Float64Array(cap) : []));
  let n = 0;
  // a materialised result of up to ~2M rows is read synchronously (fetchChunk is an async round trip per 2,048 rows;
  // getChunk copies each chunk, and the copies live until collected: +30 bytes per row at the peak, hence the limit)
  const sync = materialize && (result as DuckDBMaterializedResult).chunkCount <= SYNC_CHUNKS;
  const chunks = sync ? (result as DuckDBMaterializedResult).chunkCount : Infinity;
  const views = sync ? chunkViews(result as DuckDBMaterializedResult, kinds) : undefined;
  if (views) {
    // INTEGER / DOUBLE columns only: each chunk's vectors copied straight from DuckDB's buffers
    for (const { rows, cols } of views) {
      if (n + rows > cap) {
        cap = Math.max(cap * 2, n + rows);
        out = out.map((col) => grow(col as Int32Array | Float64Array, cap));
      }
      cols.forEach((col, c) => (out[c] as Int32Array | Float64Array).set(col, n));
      n += rows;
    }
    return out.map((col) => (col as Int32Array | Float64Array).subarray(0, n));
  }
  for (let k = 0; k < chunks; k++) {
    const chunk: DuckDBDataChunk | null = sync ? (result as DuckDBMaterializedResult).getChunk(k) : await result.fetchChunk();
    if (!chunk || (chunk.rowCount === 0 && !sync)) break;
    const rows = chunk.rowCount;
    if (n + rows > cap) {
      cap = Math.max(cap * 2, n + rows);
      out = out.map((col) => (Array.isArray(col) ? col : grow(col, cap)));
    }
    kinds.forEach((kind, c) => {
      const vec = chunk.getColumnVector(c);
      const col = out[c];
      if (kind === 'string') {
        const strs = col as string[];
        for (let i = 0; i < rows; i++) strs.push(String(vec.getItem(i) ?? ''));
        return;
      }
      const dst = col as Int32Array | Float64Array;
      const typeId = vec.type.typeId;
      if ((kind === 'int32' && typeId === DuckDBTypeId.INTEGER) || (kind === 'float64' && typeId === DuckDBTypeId.DOUBLE))
        dst.set(columnView(chunk, c, kind, rows), n);
      else for (let i = 0; i < rows; i++) dst[n + i] = Number(vec.getItem(i) ?? 0);
    });
    n += rows;
  }
  return out.map((col) => (Array.isArray(col) ? col : col.subarray(0, n)));
}

/**
 * Text columns of a table expression, ordered by `orderBy`, as JS string arrays (NULL reads as '').
 * Each column comes back as one joined string split here: reading strings value by value through the
 * node API costs ~2 µs each. Falls back to value-by-value reads when a value holds the separator.
 */
export async function readStringColumns(conn: DuckDBConnection, from: string, cols: string[], orderBy: string): Promise<string[][]> {
  const sep = '\x1f';
  const aggs = cols.map((c, k) => `string_agg(coalesce(CAST(${c} AS VARCHAR), ''), chr(31) ORDER BY ${orderBy}) AS s${k}`);
  const bad = cols.map((c) => `coalesce(bool_or(contains(CAST(${c} AS VARCHAR), chr(31))), false)`).join(' OR ');
  const result = await conn.run(`SELECT count(*) AS n, ${bad} AS bad, ${aggs.join(', ')} FROM ${from}`);
  const row = result.getChunk(0).getRows()[0];
  const n = Number(row[0]);
  if (row[1])
    return (await readColumns(
      conn,
      `SELECT ${cols.map((c) => `coalesce(CAST(${c} AS VARCHAR), '')`).join(', ')} FROM ${from} ORDER BY ${orderBy}`,
      cols.map(() => 'string'),
    )) as string[][];
  return cols.map((_, k) => (n === 0 ? [] : String(row[2 + k] ?? '').split(sep)));
}

/** One chunk of a materialised result: its numeric columns as views of DuckDB's buffers, valid while `chunk` is held. */
export interface ChunkView {
  rows: number;
  cols: Array<Int32Array | Float64Array>;
  /** the chunk the views belong to (its memory is freed when this is collected) */
  chunk: unknown;
}

/** Whether every column of a result is INTEGER (`int32`) or DOUBLE (`float64`) as `kinds` says. */
function numericResult(result: DuckDBMaterializedResult, kinds: ColumnKind[]): boolean {
  return kinds.every(
    (kind, c) =>
      (kind === 'int32' && result.columnTypeId(c) === DuckDBTypeId.INTEGER) ||
      (kind === 'float64' && result.columnTypeId(c) === DuckDBTypeId.DOUBLE),
  );
}

/** Chunk k of a materialised result with its numeric columns as views of the chunk's buffers (getChunk copies it once). */
function chunkView(result: DuckDBMaterializedResult, k: number, kinds: ColumnKind[]): ChunkView {
  const chunk = result.getChunk(k);
  const rows = chunk.rowCount;
  const cols = kinds.map((kind, c) => columnView(chunk, c, kind as 'int32' | 'float64', rows));
  return { rows, cols, chunk };
}

/**
 * The chunks of a materialised result of at most SYNC_CHUNKS chunks as typed views of DuckDB's buffers (no copy
 * into JS; result_get_chunk itself copies each chunk once), when every column is INTEGER (`int32`) or DOUBLE
 * (`float64`) as `kinds` says; undefined otherwise.
 */
export function chunkViews(result: DuckDBMaterializedResult, kinds: ColumnKind[]): ChunkView[] | undefined {
  const count = result.chunkCount;
  if (count > SYNC_CHUNKS || !numericResult(result, kinds)) return undefined;
  return Array.from({ length: count }, (_, k) => chunkView(result, k, kinds));
}

/**
 * A materialised numeric result (as chunkViews requires, of any size) copied into typed columns, one chunk at a time
 * and synchronously: no event-loop round trip per 2,048 rows (fetchChunk), and each chunk's copy is garbage as soon
 * as it is read. `n`: the result's row count. Undefined when a column is not numeric.
 */
export async function copyNumericResult(
  result: DuckDBMaterializedResult,
  kinds: ColumnKind[],
  n: number,
): Promise<Array<Int32Array | Float64Array> | undefined> {
  if (!numericResult(result, kinds)) return undefined;
  const out = kinds.map((k) => (k === 'int32' ? new Int32Array(n) : new Float64Array(n)));
  let at = 0;
  for (let k = 0; k < result.chunkCount; k++) {
    if (k % 256 === 255) await new Promise<void>((resolve) => setImmediate(resolve));
    const { rows, cols } = chunkView(result, k, kinds);
    if (at + rows > n) throw new Error(`result has more than the ${n} rows expected`);
    for (let c = 0; c < cols.length; c++) out[c].set(cols[c], at);
    at += rows;
  }
  if (at !== n) throw new Error(`result has ${at} rows, ${n} expected`);
  return out;
}

function grow<T extends Int32Array | Float64Array>(a: T, cap: number): T {
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a);
  return b;
}

/** Quote a string as an SQL literal. */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
