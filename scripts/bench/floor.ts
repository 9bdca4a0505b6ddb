/**
 * DuckDB's bare work on a contract events CSV, for bench:data --floor: what the prepare cannot go below while DuckDB
 * reads and stores the events. Each step is one statement on a fresh in-memory database, timed alone (wall and process
 * CPU): `parse` counts the rows (DuckDB skips making the text columns), `read` materialises every column as the
 * typed reader gives it, `copy` writes every column to Parquet as the ingest does (plain, uncompressed). No
 * validation, no record numbers, no keys, no sort, no sequences, no shards.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { csvColumnLooksInteger, EVENT_COLUMNS, PARQUET, sqlString } from '@cfm/data';

export interface FloorTimes {
  [step: string]: { wallMs: number; cpuMs: number };
}

export async function duckdbFloor(file: string, tmpDir: string): Promise<FloorTimes> {
  const typed: Record<string, string> = { position: 'INTEGER', page: 'INTEGER', price: 'DOUBLE' };
  if (await csvColumnLooksInteger(file, 'ts', ',')) typed.ts = 'BIGINT';
  const cols = [...EVENT_COLUMNS.required, ...EVENT_COLUMNS.optional]
    .map((c) => `${sqlString(c)}: ${sqlString(typed[c] ?? 'VARCHAR')}`)
    .join(', ');
  const read = `read_csv(${sqlString(file)}, columns={${cols}}, header=true, auto_detect=false, delim=',', quote='"', escape='"', ignore_errors=true)`;
  const parquet = join(tmpDir, `floor-${process.pid}.parquet`);
  const steps: Record<string, string> = {
    parse: `SELECT count(*) FROM ${read}`,
    read: `SELECT * FROM ${read}`,
    copy: `COPY (SELECT * FROM ${read}) TO ${sqlString(parquet)} ${PARQUET}`,
  };
  const out: FloorTimes = {};
  for (const [name, sql] of Object.entries(steps)) {
    const db = await DuckDBInstance.create(':memory:', { preserve_insertion_order: 'true' });
    const conn = await db.connect();
    const t0 = performance.now(),
      c0 = process.cpuUsage();
    await conn.run(sql);
    const c = process.cpuUsage(c0);
    out[name] = { wallMs: Math.round(performance.now() - t0), cpuMs: Math.round((c.user + c.system) / 1000) };
    conn.closeSync();
    db.closeSync();
  }
  rmSync(parquet, { force: true });
  return out;
}
