/**
 * Step 3 of the sharded prep: the shards' counts merged (the per-file reconciliation and refusals of the ingest), the
 * global customer and item orders (every id's rank among all sorted ids, as one ingest would number them), the exact
 * temporal cut-offs, and the customer-disjoint roles. The result does not depend on the order of `stats`.
 * Writes <split>/global/: customers.txt, items.txt, customer_keys.parquet, item_keys.parquet, per shard its
 * customers' global ranks (rank-<k>.i32) and items' global indices (items-<k>.i32), and roles.i8 (customer split).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CfmError, silentProgress, type ProgressReporter } from '@cfm/core';
import { implausibleTimesError, type ImplausibleTimes } from './checks';
import { openDatabase, readColumns, sqlString, withConnection } from './db';
import type { FileCount } from './file-count';
import { PARQUET, reconcile } from './ingest';
import { customerRoles } from './split';
import { timeRules } from './values';
import { readIds, writeArray, writeIds, writeJson } from './sharded-io';
import { statsFiles } from './sharded-stats';
import { paths, type GlobalStats, type ShardStats, type SplitResult } from './sharded-types';

/** The files mergeStats writes, in <split>/global/. */
export const globalFiles = (splitDir: string) => {
  const d = paths.global(splitDir);
  return {
    dir: d,
    json: join(d, 'global.json'),
    customers: join(d, 'customers.txt'),
    items: join(d, 'items.txt'),
    customerKeys: join(d, 'customer_keys.parquet'),
    itemKeys: join(d, 'item_keys.parquet'),
    rank: (k: number) => join(d, `rank-${k}.i32`),
    itemMap: (k: number) => join(d, `items-${k}.i32`),
    roles: join(d, 'roles.i8'),
  };
};

/** Merge the shards' stats (any order) into the global orders, counts and cut-offs; see the file comment. */
export async function mergeStats(
  stats: ShardStats[],
  split: SplitResult,
  opts: { progress?: ProgressReporter; threads?: number } = {},
): Promise<GlobalStats> {
  const progress = opts.progress ?? silentProgress;
  const byShard = [...stats].sort((a, b) => a.shard - b.shard);
  if (byShard.length !== split.n || byShard.some((s, k) => s.shard !== k))
    throw new CfmError(
      'CFM_E_CONFIG',
      `need the stats of each of the ${split.n} shards once, got shards ${stats.map((s) => s.shard).join(', ') || 'none'}`,
      { field: 'stats' },
    );
  progress.start('merge stats', 3);
  const files = reconcileFiles(split, byShard);
  const accepted = files.filter((f) => f.kind === 'events').reduce((a, f) => a + f.accepted, 0);
  if (accepted === 0)
    throw new CfmError('CFM_E_ROW_SCHEMA', 'no valid events after validation (see the quarantine table)', { file: split.files[0].file });
  const out = globalFiles(split.dir);
  await rm(out.dir, { recursive: true, force: true });
  await mkdir(out.dir, { recursive: true });
  const { customers, items } = await globalKeys(split, byShard, opts.threads);
  progress.update({ step: 'merge stats', done: 1, total: 3, info: { customers, items } });
  const sum = (f: (s: ShardStats) => number) => byShard.reduce((a, s) => a + f(s), 0);
  const events = sum((s) => s.events);
  const config = split.config;
  let cutoffsMs: [number, number] | undefined;
  if (config.split === 'temporal') cutoffsMs = config.cutoffsMs ?? (await exactCutoffs(byShard, events));
  progress.update({ step: 'merge stats', done: 2, total: 3 });
  if (config.split === 'customer') await writeArray(out.roles, customerRoles(customers, config.customerFractions, config.seed));
  const global: GlobalStats = {
    dir: out.dir,
    split,
    customers,
    items,
    events,
    duplicates: sum((s) => s.duplicates),
    future: sum((s) => s.future),
    files,
    ...(cutoffsMs ? { cutoffsMs } : {}),
    shardSizes: byShard.map((s) => ({ customers: s.customers, items: s.items })),
  };
  await writeJson(out.json, global);
  progress.finish('merge stats', { customers, items, events });
  return global;
}

/** Per input file, input = accepted + quarantined over every shard (and the parser's rejects); the ingest's refusals. */
function reconcileFiles(split: SplitResult, stats: ShardStats[]): FileCount[] {
  const events = split.files.map((f) =>
    reconcile({
      file: f.file,
      kind: 'events',
      input: f.input,
      accepted: stats.reduce((a, s) => a + s.files[f.fileId].accepted, 0),
      quarantined: f.rejected + stats.reduce((a, s) => a + s.files[f.fileId].quarantined, 0),
    }),
  );
  // (the implausible-time rows of a file, per unit they fit, summed over the shards: ordered as the ingest's query)
  const sums = new Map<string, ImplausibleTimes>();
  for (const r of stats.flatMap((s) => s.implausible)) {
    const key = JSON.stringify([r.file, r.fits]);
    const had = sums.get(key);
    sums.set(key, { ...r, n: (had?.n ?? 0) + r.n });
  }
  const rows = [...sums.values()].sort((a, b) => b.n - a.n || (a.fits < b.fits ? -1 : a.fits > b.fits ? 1 : 0));
  const refused = implausibleTimesError(events, rows, timeRules(split.config.tsUnit, split.nowMs));
  if (refused) throw refused;
  return [...split.catalog, ...events];
}

/**
 * The global customer and item orders: every shard's sorted ids merged and ranked by DuckDB (the order the ingest's
 * key tables have), each shard's ranks written for it.
 */
async function globalKeys(split: SplitResult, stats: ShardStats[], threads?: number): Promise<{ customers: number; items: number }> {
  const out = globalFiles(split.dir);
  const union = (file: (s: ReturnType<typeof statsFiles>) => string, ix: string) =>
    stats
      .map((s) => `SELECT *, ${s.shard} AS shard, ${ix} AS local FROM read_parquet(${sqlString(file(statsFiles(s.dir)))})`)
      .join(' UNION ALL ');
  const db = await openDatabase(':memory:', threads);
  try {
    return await withConnection(db, async (conn) => {
      await conn.run(`
        CREATE TABLE gc AS SELECT customer_id, (row_number() OVER (ORDER BY customer_id) - 1)::INTEGER AS cix, shard, local FROM (${union((f) => f.customerKeys, 'cix')});
        CREATE TABLE gi AS SELECT item_id, (row_number() OVER (ORDER BY item_id) - 1)::INTEGER AS iix FROM (SELECT DISTINCT item_id FROM (${union((f) => f.itemKeys, 'iix')}));
        COPY (SELECT customer_id, cix FROM gc ORDER BY cix) TO ${sqlString(out.customerKeys)} ${PARQUET};
        COPY (SELECT item_id, iix FROM gi ORDER BY iix) TO ${sqlString(out.itemKeys)} ${PARQUET};`);
      const [nc, ni] = (
        await readColumns(conn, 'SELECT (SELECT count(*) FROM gc)::INTEGER, (SELECT count(*) FROM gi)::INTEGER', ['int32', 'int32'])
      ).map((c) => (c as Int32Array)[0]);
      const customerIds = new Array<string>(nc);
      const itemKeys = new Array<string>(ni);
      for (const s of stats) {
        const f = statsFiles(s.dir);
        const [rank] = (await readColumns(
          conn,
          `SELECT cix FROM gc WHERE shard = ${s.shard} ORDER BY local`,
          ['int32'],
          s.customers,
        )) as Int32Array[];
        const [map] = (await readColumns(
          conn,
          `SELECT gi.iix FROM read_parquet(${sqlString(f.itemKeys)}) l JOIN gi USING (item_id) ORDER BY l.iix`,
          ['int32'],
          s.items,
        )) as Int32Array[];
        if (rank.length !== s.customers || map.length !== s.items)
          throw new CfmError('CFM_E_STATE', `shard ${s.shard}: its key files do not match its stats`, { file: f.dir });
        const [ids, keys] = [await readIds(f.customers), await readIds(f.items)];
        rank.forEach((r, c) => (customerIds[r] = ids[c]));
        map.forEach((g, i) => (itemKeys[g] = keys[i]));
        await writeArray(out.rank(s.shard), rank);
        await writeArray(out.itemMap(s.shard), map);
      }
      await writeIds(out.customers, customerIds);
      await writeIds(out.items, itemKeys);
      return { customers: nc, items: ni };
    });
  } finally {
    db.closeSync();
  }
}

/**
 * The temporal split's default cut-offs over all shards, exactly as defaultCutoffs takes them of one sorted event list:
 * the values of rank floor(0.8 n) and floor(0.9 n) of all times. Each shard's times are sorted in a file; the value of
 * a rank is found by bisection on the (whole-ms) time, counting the times up to it in each file by bisection too.
 */
async function exactCutoffs(stats: ShardStats[], n: number): Promise<[number, number]> {
  const shards = stats.filter((s) => s.events > 0);
  const fds = shards.map((s) => openSync(statsFiles(s.dir).sortedTimes, 'r'));
  try {
    const cell = Buffer.alloc(8);
    const at = (fd: number, i: number) => (readSync(fd, cell, 0, 8, i * 8), cell.readDoubleLE(0));
    // times <= v in one sorted file
    const upTo = (fd: number, len: number, v: number) => {
      let lo = 0,
        hi = len;
      while (lo < hi) {
        const m = (lo + hi) >>> 1;
        if (at(fd, m) <= v) lo = m + 1;
        else hi = m;
      }
      return lo;
    };
    const min = Math.min(...shards.map((s) => s.tsRange![0])),
      max = Math.max(...shards.map((s) => s.tsRange![1]));
    if (!Number.isInteger(min) || !Number.isInteger(max)) throw new CfmError('CFM_E_STATE', 'event times are not whole milliseconds');
    // the smallest time t with more than `rank` times <= t
    const valueOf = (rank: number) => {
      let lo = min,
        hi = max;
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        const count = shards.reduce((a, s, j) => a + upTo(fds[j], s.events, mid), 0);
        if (count > rank) hi = mid;
        else lo = mid + 1;
      }
      return lo;
    };
    const k = (p: number) => Math.min(n - 1, Math.floor(p * n));
    const t1 = valueOf(k(0.8)),
      t2 = valueOf(k(0.9));
    return [t1, t2 <= t1 ? t1 + 1 : t2];
  } finally {
    fds.forEach((fd) => closeSync(fd));
  }
}
