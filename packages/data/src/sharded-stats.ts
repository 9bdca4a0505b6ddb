/**
 * Step 2 of the sharded prep, one shard on its own DuckDB: its rows validated as the ingest validates them (same
 * checks, same stored columns), quarantined with their file's line numbers, keyed, sorted by (customer, time, input
 * order) and de-duplicated. Writes <shard>/stats/: the events' Parquet files, the sorted events as raw arrays, the
 * shard's customer and item ids, its quarantine, and (temporal split without given cut-offs) its sorted times.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { CfmError, silentProgress, type ProgressReporter } from '@cfm/core';
import { implausibleTimeCounts, type RowRules } from './checks';
import { openDatabase, queryNumber, sqlString, withConnection } from './db';
import { eventPartsSql } from './event-parts';
import { dedupSorted, extractSortedEvents } from './extract';
import { EVENTS_CODED, PARQUET, checkedSelect, codedColumns, createTables } from './ingest';
import type { StagedSource } from './sources';
import type { SortedEvents } from './split';
import { FUTURE_AHEAD_MS, nullTokens, timeRules } from './values';
import { writeArray, writeIds, writeJson } from './sharded-io';
import { paths, type ShardStats, type SplitFile, type SplitResult } from './sharded-types';

export interface ShardStepOptions {
  threads?: number;
  /** DuckDB memory limit (default '1GB'; spills to <shard>/stats/.duckdb-tmp above it) */
  memoryLimit?: string;
  progress?: ProgressReporter;
}

/** The files shardStats writes, in <shard>/stats/. */
export const statsFiles = (shardDir: string) => {
  const d = paths.stats(shardDir);
  return {
    dir: d,
    json: join(d, 'stats.json'),
    events: (fileId: number) => join(d, `events-f${fileId}.parquet`),
    custStart: join(d, 'cust-start.i32'),
    item: join(d, 'item.i32'),
    type: join(d, 'type.i32'),
    ts: join(d, 'ts.f64'),
    session: join(d, 'session.i32'),
    sortedTimes: join(d, 'times-sorted.f64'),
    customers: join(d, 'customers.txt'),
    items: join(d, 'items.txt'),
    customerKeys: join(d, 'customer_keys.parquet'),
    itemKeys: join(d, 'item_keys.parquet'),
    quarantine: join(d, 'quarantine.parquet'),
  };
};

/** The shard index of a shard folder of the split. */
export function shardIndex(split: SplitResult, shardDir: string): number {
  const k = split.shards.indexOf(resolve(shardDir));
  if (k < 0) throw new CfmError('CFM_E_CONFIG', 'not a shard folder of this split', { file: shardDir });
  return k;
}

/** Validate, key, sort and de-duplicate one shard (see the file comment); returns its counts. */
export async function shardStats(shardDir: string, split: SplitResult, opts: ShardStepOptions = {}): Promise<ShardStats> {
  const k = shardIndex(split, shardDir);
  const progress = opts.progress ?? silentProgress;
  const out = statsFiles(split.shards[k]);
  await rm(out.dir, { recursive: true, force: true });
  const tempDir = join(out.dir, '.duckdb-tmp');
  await mkdir(tempDir, { recursive: true });
  const config = split.config;
  const rules: RowRules = { tokens: nullTokens(config.nullTokens), time: timeRules(config.tsUnit, split.nowMs) };
  progress.start(`shard ${k} stats`, 2);
  const db = await openDatabase(':memory:', opts.threads, { limit: opts.memoryLimit ?? '1GB', tempDir });
  try {
    const stats = await withConnection(db, async (conn) => {
      await createTables(conn);
      const checkCatalog = split.hasItems && config.unknownItems === 'quarantine';
      if (checkCatalog) await conn.run(`CREATE TABLE items AS SELECT * FROM read_parquet(${sqlString(paths.commonItems(split.dir))})`);
      await conn.run('CREATE TEMP TABLE keys_raw (customer_id VARCHAR, item_id VARCHAR)');
      const files: ShardStats['files'] = [];
      const stored: string[] = [];
      for (const f of split.files) {
        const c = await validateFile(conn, split, f, split.shards[k], checkCatalog, rules);
        files.push({ fileId: f.fileId, ...c });
        if (c.accepted) stored.push(out.events(f.fileId));
      }
      const implausible = await implausibleTimeCounts(conn);
      await conn.run(`
        CREATE TABLE customer_keys AS SELECT customer_id, (row_number() OVER (ORDER BY customer_id) - 1)::INTEGER AS cix
          FROM (SELECT DISTINCT customer_id FROM keys_raw WHERE customer_id IS NOT NULL);
        CREATE TABLE item_keys AS SELECT item_id, (row_number() OVER (ORDER BY item_id) - 1)::INTEGER AS iix
          FROM (SELECT DISTINCT item_id FROM keys_raw WHERE item_id IS NOT NULL);
        DROP TABLE keys_raw;
        COPY customer_keys TO ${sqlString(out.customerKeys)} ${PARQUET};
        COPY item_keys TO ${sqlString(out.itemKeys)} ${PARQUET};
        COPY (SELECT * FROM quarantine) TO ${sqlString(out.quarantine)} ${PARQUET};`);
      progress.update({ step: `shard ${k} stats`, done: 1, total: 2 });
      const sorted = await sortedEvents(conn, stored);
      const duplicates = dedupSorted(sorted.events, config.dedup);
      const ev = sorted.events;
      await writeSorted(out, sorted, split.config.split === 'temporal' && !config.cutoffsMs);
      const limit = split.nowMs + FUTURE_AHEAD_MS;
      let future = 0,
        min = Infinity,
        max = -Infinity;
      for (let i = 0; i < ev.n; i++) {
        const t = ev.tsMs[i];
        if (t > limit) future++;
        if (t < min) min = t;
        if (t > max) max = t;
      }
      const s: ShardStats = {
        shard: k,
        dir: split.shards[k],
        files,
        implausible,
        events: ev.n,
        duplicates,
        customers: sorted.customerIds.length,
        items: sorted.itemKeys.length,
        future,
        withSessions: !!ev.session,
        ...(ev.n ? { tsRange: [min, max] as [number, number] } : {}),
      };
      return s;
    });
    await writeJson(out.json, stats);
    progress.finish(`shard ${k} stats`, { events: stats.events, customers: stats.customers });
    return stats;
  } finally {
    db.closeSync();
    await rm(tempDir, { recursive: true, force: true });
  }
}

/**
 * One events file's rows of this shard: checked as the ingest checks them, the problem rows quarantined (line =
 * record + header + the parser's rejects before it), the accepted ones stored (events-f<id>.parquet) and keyed.
 */
async function validateFile(
  conn: DuckDBConnection,
  split: SplitResult,
  f: SplitFile,
  shardDir: string,
  catalog: boolean,
  rules: RowRules,
): Promise<{ accepted: number; quarantined: number }> {
  const parts = paths.shardFile(shardDir, f.fileId);
  if (!existsSync(parts)) return { accepted: 0, quarantined: 0 };
  const out = statsFiles(shardDir);
  const select = `SELECT * FROM read_parquet(${sqlString(join(parts, '*.parquet'))}, hive_partitioning = false)`;
  // (the staged rows as the ingest would stage them: `rec`, the JSONL flags, the contract columns)
  const src = {
    file: f.file,
    format: f.format,
    select,
    rescan: select,
    columns: [],
    typedColumns: f.typed,
    headerLines: f.headerLines,
    inputRows: Promise.resolve(0),
  } satisfies StagedSource;
  const all = join(out.dir, `f${f.fileId}.all.parquet`);
  await conn.run(
    `COPY (SELECT ${codedColumns(src, f.fileId, rules, true)}, problem FROM (${checkedSelect(src, catalog, rules)})) TO ${sqlString(all)} ${PARQUET}`,
  );
  const rows = `read_parquet(${sqlString(all)})`;
  let line = `rec + ${f.headerLines}`;
  if (f.rejected) {
    await conn.run(`CREATE OR REPLACE TEMP TABLE rejected AS SELECT a FROM read_parquet(${sqlString(paths.rejects(split.dir, f.fileId))})`);
    line += ' + (SELECT count(*) FROM rejected r WHERE r.a < q.rec)';
  }
  // one pass: the accepted rows' customers and items (the keys) and the counts
  await conn.run(`CREATE OR REPLACE TEMP TABLE grouped AS SELECT customer_id, item_id, count(*) FILTER (WHERE problem IS NULL) AS n, count(problem) AS bad,
      GROUPING(customer_id)::INTEGER AS gc, GROUPING(item_id)::INTEGER AS gi
    FROM ${rows} GROUP BY GROUPING SETS ((customer_id), (item_id), ());
    INSERT INTO keys_raw SELECT CASE WHEN gc = 0 THEN customer_id END, CASE WHEN gi = 0 THEN item_id END FROM grouped WHERE gc + gi = 1 AND n > 0`);
  const accepted = await queryNumber(conn, 'SELECT n FROM grouped WHERE gc = 1 AND gi = 1');
  const bad = await queryNumber(conn, 'SELECT bad FROM grouped WHERE gc = 1 AND gi = 1');
  await conn.run('DROP TABLE grouped');
  const quarantined = bad
    ? Number(
        (
          await conn.run(`INSERT INTO quarantine SELECT ${sqlString(f.file)}, ${line}, split_part(problem, '|', 1), substr(problem, strpos(problem, '|') + 1), 'events'
        FROM ${rows} q WHERE problem IS NOT NULL`)
        ).rowsChanged,
      )
    : 0;
  if (quarantined && accepted)
    await conn.run(`COPY (SELECT * EXCLUDE (problem) FROM ${rows} WHERE problem IS NULL) TO ${sqlString(out.events(f.fileId))} ${PARQUET}`);
  else if (accepted) await rename(all, out.events(f.fileId));
  await rm(all, { force: true });
  return { accepted, quarantined };
}

/** The shard's events sorted by (customer, time, input order), with its customer and item ids (sorted). */
async function sortedEvents(
  conn: DuckDBConnection,
  stored: string[],
): Promise<{ events: SortedEvents; customerIds: string[]; itemKeys: string[] }> {
  if (!stored.length)
    return {
      events: { n: 0, custStart: new Int32Array(1), item: new Int32Array(0), type: new Int32Array(0), tsMs: new Float64Array(0) },
      customerIds: [],
      itemKeys: [],
    };
  await conn.run(`CREATE TEMP VIEW ${EVENTS_CODED} AS ${eventPartsSql(stored)}`);
  const withSessions = (await queryNumber(conn, `SELECT count(session_id) FROM ${EVENTS_CODED}`)) > 0;
  const { events, customerIds, itemKeys } = await extractSortedEvents(conn, withSessions);
  return { events, customerIds, itemKeys };
}

/** The sorted, de-duplicated events as raw arrays, the ids, and (for the exact cut-offs) the sorted times. */
async function writeSorted(
  out: ReturnType<typeof statsFiles>,
  s: { events: SortedEvents; customerIds: string[]; itemKeys: string[] },
  sortedTimes: boolean,
): Promise<void> {
  const ev = s.events;
  await Promise.all([
    writeArray(out.custStart, ev.custStart),
    writeArray(out.item, ev.item.subarray(0, ev.n)),
    writeArray(out.type, ev.type.subarray(0, ev.n)),
    writeArray(out.ts, ev.tsMs.subarray(0, ev.n)),
    ...(ev.session ? [writeArray(out.session, ev.session.subarray(0, ev.n))] : []),
    writeIds(out.customers, s.customerIds),
    writeIds(out.items, s.itemKeys),
  ]);
  if (sortedTimes) await writeArray(out.sortedTimes, ev.tsMs.slice(0, ev.n).sort());
}
