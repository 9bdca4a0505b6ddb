/** A prepared folder moved as a whole (built beside its final name, then renamed into place): its catalog's
 * `events` view names events.parquet (or, after a sharded prep, the files of events/) by absolute path, so the view
 * is re-pointed at the folder's current place. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { eventPartsSql } from './event-parts';
import { codedSql, eventsViewSql } from './ingest';

export async function relocatePrepared(dir: string): Promise<void> {
  const db = join(dir, 'catalog.duckdb');
  const parquet = resolve(dir, 'events.parquet');
  const parts = resolve(dir, 'events');
  const source = existsSync(parquet) ? codedSql(parquet) : existsSync(parts) ? eventPartsSql(join(parts, '*.parquet')) : undefined;
  if (!existsSync(db) || !source) return;
  const instance = await DuckDBInstance.create(db);
  try {
    const conn = await instance.connect();
    try {
      await conn.run(`CREATE OR REPLACE VIEW events AS ${eventsViewSql(`(${source})`)}`);
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}
