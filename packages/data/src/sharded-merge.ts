/**
 * Step 5 of the sharded prep: one prepared folder from the shards, the same as the single prep's of the same input
 * (docs/data.md, "Sharded prep"): the item vocabulary of every shard's counts, the item features, the sequence files
 * interleaved in global customer order, users.json, vocabs.json, the catalog (quarantine, items, users, key tables,
 * and the view `events` over the shards' Parquet files in <out>/events/) and the manifest, written last.
 */
import { existsSync } from 'node:fs';
import { copyFile, link, mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CfmError, RESERVED_IDS, configHash, silentProgress, type ProgressReporter, type Vocabularies } from '@cfm/core';
import { readUserLabels } from './catalog';
import { openDatabase, queryNumber, sqlString, withConnection } from './db';
import { eventPartsSql } from './event-parts';
import { buildItemFeatures, readItemCatalogCodes } from './features';
import { eventsViewSql } from './ingest';
import { PREPARED_OUTPUTS, fileDigests, writeJsonAtomic, type PreparedManifest, type SplitCounts } from './manifest';
import { eventLines, findWarnings, logWarnings } from './reconcile';
import { writeItemFeatures } from './shards';
import { FUTURE_AHEAD_MS } from './values';
import { TYPE_VOCAB, itemVocabularyFromCounts } from './vocab';
import { globalFiles } from './sharded-global';
import { globalIds, interleaveSplit, mergedDataHash } from './sharded-interleave';
import { readInt32 } from './sharded-io';
import { preparedFiles } from './sharded-prepare';
import { statsFiles } from './sharded-stats';
import { paths, SPLIT_PARTS, type GlobalStats, type ShardOutput } from './sharded-types';

export interface MergeShardsOptions {
  dataset: string;
  global: GlobalStats;
  /** every shard's prepareShard result, in any order */
  shards: ShardOutput[];
  /** the prepared folder */
  out: string;
  progress?: ProgressReporter;
  /** wall / CPU ms of the earlier steps, for the manifest (this step's are added) */
  timingsMs?: Record<string, number>;
  cpuMs?: Record<string, number>;
}

/** Merge the shards into one prepared folder (see the file comment); returns its manifest. */
export async function mergeShards(opts: MergeShardsOptions): Promise<PreparedManifest> {
  const { global } = opts;
  const { split } = global;
  const config = split.config;
  const progress = opts.progress ?? silentProgress;
  const t0 = Date.now(),
    cpu0 = process.cpuUsage();
  const shards = [...opts.shards].sort((a, b) => a.shard - b.shard);
  if (shards.length !== split.n || shards.some((s, k) => s.shard !== k))
    throw new CfmError(
      'CFM_E_CONFIG',
      `need the output of each of the ${split.n} shards once, got shards ${opts.shards.map((s) => s.shard).join(', ') || 'none'}`,
      { field: 'shards' },
    );
  const out = resolve(opts.out);
  await mkdir(out, { recursive: true });
  progress.start('merge shards', 5);
  // the item vocabulary of all shards' counts (ties by global item index = by id, as in one prep)
  const itemCounts = new Int32Array(global.items);
  for (const s of shards) {
    const c = await readInt32(preparedFiles(s.dir).itemCounts);
    for (let i = 0; i < c.length; i++) itemCounts[i] += c[i];
  }
  const { customerIds, itemKeys } = await globalIds(global);
  const { vocab: itemVocab, rawToId } = itemVocabularyFromCounts(itemKeys, itemCounts, config.minItemCount);
  progress.update({ step: 'merge shards', done: 1, total: 5, info: { items: itemVocab.tokens.length } });
  const g = globalFiles(split.dir);
  const tempDir = join(out, '.duckdb-tmp');
  const db = await openDatabase(':memory:', undefined, { limit: '1GB', tempDir });
  let manifest: PreparedManifest;
  try {
    manifest = await withConnection(db, async (conn) => {
      const parquet = (f: string) => `read_parquet(${sqlString(f)})`;
      await conn.run(`CREATE TABLE item_keys AS SELECT * FROM ${parquet(g.itemKeys)}`);
      if (split.hasItems) await conn.run(`CREATE TABLE items AS SELECT * FROM ${parquet(paths.commonItems(split.dir))}`);
      if (split.hasUsers) await conn.run(`CREATE TABLE users AS SELECT * FROM ${parquet(paths.commonUsers(split.dir))}`);
      const codes = await readItemCatalogCodes(conn, global.items, split.hasItems);
      const feats = await buildItemFeatures(conn, itemVocab, rawToId, config.minAttrCount, config.priceBuckets, codes);
      const vocabs: Vocabularies = { item: itemVocab, type: TYPE_VOCAB, ...feats.vocabs };
      // the sequence files, in global customer order
      const splits: Record<string, SplitCounts> = {};
      for (const part of SPLIT_PARTS) {
        const parts = await Promise.all(
          shards.map(async (s) => ({ arrow: preparedFiles(s.dir).arrow(part), ranks: await readInt32(preparedFiles(s.dir).rank(part)) })),
        );
        await interleaveSplit(parts, rawToId, join(out, `${part}.arrow`), part !== 'train');
        splits[part] = sumCounts(
          shards.map((s) => s.splits[part]),
          part !== 'train',
        );
      }
      progress.update({ step: 'merge shards', done: 2, total: 5 });
      await Promise.all([
        writeItemFeatures(join(out, 'item_features.arrow'), feats.itemFeatures),
        writeJsonAtomic(join(out, 'vocabs.json'), vocabs),
      ]);
      if (split.hasUsers) await writeJsonAtomic(join(out, 'users.json'), await readUserLabels(conn));
      const quarantined = await writeCatalog(conn, global, out);
      progress.update({ step: 'merge shards', done: 3, total: 5 });
      const hash = await mergedDataHash(global, customerIds, itemKeys);
      progress.update({ step: 'merge shards', done: 4, total: 5 });
      const splitCustomers = Object.fromEntries(Object.entries(splits).map(([k, v]) => [k, v.customers]));
      const facts = {
        splitCustomers,
        itemCounts,
        vocabItems: itemVocab.tokens.length - RESERVED_IDS,
        minItemCount: config.minItemCount,
        n: global.events,
        nowMs: split.nowMs,
        future: global.future,
      };
      const warnings = logWarnings(findWarnings(facts, FUTURE_AHEAD_MS), progress);
      const accepted = global.files.filter((f) => f.kind === 'events').reduce((a, f) => a + f.accepted, 0);
      const lines = eventLines(global.files, split.raw, global.duplicates, global.events);
      // (the single prep's manifest, key for key, in its order)
      const m: PreparedManifest = {
        dataset: opts.dataset,
        split: config.split,
        config,
        configHash: configHash(config),
        dataHash: hash,
        counts: {
          users: global.customers,
          items: global.items,
          events: global.events,
          accepted,
          quarantined,
          duplicates: global.duplicates,
          warnings: warnings.length,
        },
        files: global.files,
        ...(split.raw ? { raw: split.raw } : {}),
        eventLines: lines,
        warnings,
        splits,
        ...(global.cutoffsMs ? { cutoffsMs: global.cutoffsMs } : {}),
        vocabFrom: config.vocabFrom ?? (config.split === 'loo' ? 'all' : 'train'),
        vocabSizes: Object.fromEntries(Object.entries(vocabs).map(([k, v]) => [k, v.tokens.length])),
        vocabHashes: Object.fromEntries(Object.entries(vocabs).map(([k, v]) => [k, v.hash])),
        priceEdges: feats.priceEdges,
        hasUsers: split.hasUsers,
        reader: 'duckdb',
        readerNote: `sharded prep: ${split.n} shard${split.n === 1 ? '' : 's'}`,
        createdAt: new Date().toISOString(),
      };
      return m;
    });
  } finally {
    db.closeSync();
    await rm(tempDir, { recursive: true, force: true });
  }
  const outputs = await fileDigests(
    out,
    PREPARED_OUTPUTS.filter((f) => f !== 'users.json' || split.hasUsers),
  );
  const cpu = process.cpuUsage(cpu0);
  manifest.timingsMs = { ...opts.timingsMs, merge: Date.now() - t0 };
  manifest.cpuMs = { ...opts.cpuMs, merge: Math.round((cpu.user + cpu.system) / 1000) };
  manifest.outputs = outputs;
  await writeJsonAtomic(join(out, 'manifest.json'), manifest);
  progress.finish('merge shards', { events: global.events, customers: global.customers });
  return manifest;
}

/** Split counts summed over the shards (`skippedCustomers` for the eval parts). */
function sumCounts(parts: SplitCounts[], evalPart: boolean): SplitCounts {
  const sum = (f: (c: SplitCounts) => number) => parts.reduce((a, c) => a + f(c), 0);
  const c: SplitCounts = { customers: sum((p) => p.customers), events: sum((p) => p.events), truncated: sum((p) => p.truncated) };
  return evalPart ? { ...c, skippedCustomers: sum((p) => p.skippedCustomers ?? 0) } : c;
}

/**
 * The catalog file: the quarantine of every step, the catalogue, users and key tables, and the view `events` over the
 * shards' events files, linked (or copied) into <out>/events/. Returns the quarantined rows.
 */
async function writeCatalog(conn: Parameters<typeof readUserLabels>[0], global: GlobalStats, out: string): Promise<number> {
  const { split } = global;
  const g = globalFiles(split.dir);
  const eventsDir = join(out, 'events');
  await rm(eventsDir, { recursive: true, force: true });
  await rm(join(out, 'events.parquet'), { force: true });
  await mkdir(eventsDir, { recursive: true });
  for (const [k, dir] of split.shards.entries()) {
    const stats = statsFiles(dir);
    for (const f of split.files) {
      const from = stats.events(f.fileId);
      if (!existsSync(from)) continue; // (no accepted row of that file in this shard)
      const to = join(eventsDir, `s${k}-f${f.fileId}.parquet`);
      await link(from, to).catch(() => copyFile(from, to));
    }
  }
  const quarantines = [paths.commonQuarantine(split.dir), ...split.shards.map((d) => statsFiles(d).quarantine)];
  await conn.run(
    `CREATE TABLE quarantine AS SELECT * FROM read_parquet([${quarantines.map(sqlString).join(', ')}]) ORDER BY kind, file, "row", field, reason`,
  );
  await conn.run(`CREATE TABLE customer_keys AS SELECT * FROM read_parquet(${sqlString(g.customerKeys)})`);
  const tables = ['quarantine', ...(split.hasItems ? ['items'] : []), ...(split.hasUsers ? ['users'] : []), 'customer_keys', 'item_keys'];
  const dbPath = join(out, 'catalog.duckdb');
  await rm(dbPath, { force: true });
  await rm(`${dbPath}.wal`, { force: true });
  const sql = tables.map((t) => `CREATE TABLE catalog."${t}" AS SELECT * FROM memory."${t}";`).join(' ');
  const view = `CREATE VIEW catalog.events AS ${eventsViewSql(`(${eventPartsSql(join(eventsDir, '*.parquet'))})`)};`;
  try {
    await conn.run(`SET force_compression = 'uncompressed'; ATTACH ${sqlString(dbPath)} AS catalog; ${sql} ${view} DETACH catalog`);
  } catch (e) {
    await conn.run('DETACH DATABASE IF EXISTS catalog');
    throw e;
  }
  return queryNumber(conn, 'SELECT count(*) FROM quarantine');
}
