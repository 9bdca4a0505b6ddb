import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { CfmError, silentProgress, type Vocabularies } from '@cfm/core';
import { parsePrepareConfig } from './config';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { openDatabase, withConnection } from './db';
import { makeSideWork } from './side-work';
import { mark } from './debug';
import { countNonBlankLines, formatOf } from './files';
import type { PreparedManifest, SplitCounts } from './manifest';
import {
  NativeFallback,
  catalogFile,
  closeShardWrites,
  features,
  ingest,
  keys,
  manifest,
  persist,
  quarantine,
  sequences,
  shardWrites,
  shards,
  split,
  usersFile,
  vocabularies,
  type CatalogWork,
  type ItemFeatures,
  type PrepareRun,
} from './prepare-stages';
import { startShardWriter } from './shard-writer';
import { loadNativeScan, startScan } from './scan';
import type { PrepareFromSourcesOptions } from './prepare-options';
import { timeRules } from './values';

export type { ContractSources, PrepareFromSourcesOptions } from './prepare-options';

/**
 * Ingest → quarantine → keys → split → vocabularies → catalog → sequences → features → shards → persist → manifest
 * (prepare-stages.ts): opens the database and starts the work beside the stages (line counts, the native scan, the
 * shard worker), runs the stages (runStages), and cleans up.
 */
export async function prepareFromSources(opts: PrepareFromSourcesOptions): Promise<PreparedManifest> {
  mark('prepare start');
  const config = parsePrepareConfig(opts.config);
  const progress = opts.progress ?? silentProgress;
  if (!opts.sources.events.length) throw new CfmError('CFM_E_CONFIG', 'no event files given', { field: 'sources.events' });
  // the independent line counts of the CSV event files start now, beside DuckDB's start (a missing or empty file is
  // reported by the ingest, as before)
  const lineCounts = new Map(opts.sources.events.filter(isCsv).map((f) => [f, countNonBlankLines(f)] as const));
  for (const p of lineCounts.values()) p.catch(() => undefined);
  // the native scan of a single events CSV starts now too: it needs nothing of DuckDB (scan.ts)
  const [first] = opts.sources.events;
  const singleCsv = opts.sources.events.length === 1 && isCsv(first);
  // (the time rules are taken once: both readers, and the far-future warning, use the same `now`)
  const time = timeRules(config.tsUnit);
  const scanning =
    singleCsv && (opts.nativeScan ?? opts.eventsInMemory === undefined) && loadNativeScan() !== null
      ? startScan(first, { time, nullTokens: config.nullTokens })
      : undefined;
  await mkdir(opts.out, { recursive: true });
  const dbPath = opts.dbPath ?? join(opts.out, 'catalog.duckdb');
  if (dbPath !== ':memory:') await rm(dbPath, { force: true });
  // work in memory (a file-backed catalog costs ~2x CPU to validate into); persist the catalog file at the end
  const tempDir = join(opts.out, '.duckdb-tmp');
  const db = await openDatabase(':memory:', opts.threads, { limit: opts.memoryLimit ?? '1GB', tempDir });
  mark('db open');
  // the validated events go straight to Parquet: beside the catalog file (temp name until the end), else in tempDir
  await mkdir(tempDir, { recursive: true });
  const parquetTmp =
    dbPath === ':memory:' ? join(tempDir, 'events.parquet') : resolve(dirname(dbPath), `events.parquet.tmp-${process.pid}`);
  const { side, track, onSide } = sideTracker(db);
  // a small single CSV is validated into a table in memory (no Parquet write in the scan, and the later reads are
  // faster); the table's Parquet copy is written on a side connection while this thread runs the JS stages
  // (with the native scan, a file that is not plain takes the DuckDB ingest that writes Parquet in the scan)
  const native = scanning ? { started: scanning, parquetPath: dbPath === ':memory:' ? undefined : parquetTmp, tempDir } : undefined;
  const inMemory = !native && singleCsv && (opts.eventsInMemory ?? (await stat(first)).size <= IN_MEMORY_CSV_BYTES);
  const sideConns = inMemory ? [await db.connect(), await db.connect()] : [];
  const sideWork = () => makeSideWork({ inMemory, sideConns, onSide, track, dbPath, parquetTmp });
  // a worker for the shards of a large input starts here: it loads (~0.4 s of CPU) while DuckDB reads the events, not
  // at the sequences, where its load held up the last writes (10M bench: ~0.8 s waited at the end)
  const earlyWriter = (opts.shardWorker ?? (await eventBytes(opts.sources.events)) >= SHARD_WORKER_BYTES) ? startShardWriter() : undefined;
  let late: NativeFallback;
  try {
    return await withConnection(db, (conn) =>
      runStages({
        conn,
        opts,
        config,
        time,
        progress,
        parquetPath: inMemory ? undefined : parquetTmp,
        side: sideWork(),
        onSide,
        lineCounts,
        earlyWriter,
        native,
      }),
    );
  } catch (e) {
    if (!(e instanceof NativeFallback)) throw e;
    late = e;
  } finally {
    mark('run done');
    await earlyWriter?.close();
    await Promise.all(side);
    for (const c of sideConns) c.closeSync();
    db.closeSync();
    mark('db closed');
    await removeScratch(tempDir, parquetTmp);
    mark('prepare end');
  }
  // the native scan's checks after the scan failed (an item missing from the catalogue): again with the DuckDB ingest
  return prepareFromSources({ ...opts, nativeScan: false, readerNote: `native scan passed the file on: ${late.message}` });
}

/** Work started on other connections (catalog file, catalogue codes): `side` is settled before the database is closed. */
function sideTracker(db: DuckDBInstance) {
  const side: Promise<unknown>[] = [];
  const track = <T>(p: Promise<T>): Promise<T> => {
    side.push(p.catch(() => undefined)); // awaited (and its error raised) by the caller; handled here for the error path
    return p;
  };
  const onSide = <T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> => track(withConnection(db, fn));
  return { side, track, onSide };
}

/** The DuckDB temp folder and the Parquet files a run leaves behind only if it failed. */
async function removeScratch(tempDir: string, parquetTmp: string): Promise<void> {
  await rm(tempDir, { recursive: true, force: true });
  await rm(parquetTmp, { force: true });
  await rm(`${parquetTmp}.all`, { force: true }); // ingestEvents' first copy, left behind only if it failed
  await rm(`${parquetTmp}.all.tidy`, { force: true }); // (its copy with tidied ids, likewise)
  await rm(`${parquetTmp}.native`, { force: true }); // (the native scan's file, left behind only if it failed)
}

/** Event files of at least this many bytes in all get the shard worker from the start (~2M events of the contract CSV). */
const SHARD_WORKER_BYTES = 96 * 2 ** 20;

/** The event files' total size (a missing file counts 0: the ingest reports it). */
async function eventBytes(files: string[]): Promise<number> {
  const sizes = await Promise.all(
    files.map((f) =>
      stat(f).then(
        (s) => s.size,
        () => 0,
      ),
    ),
  );
  return sizes.reduce((a, b) => a + b, 0);
}

const isCsv = (file: string): boolean => {
  try {
    return formatOf(file) === 'csv';
  } catch {
    return false; // (an unsupported file type is reported by the ingest)
  }
};

/**
 * Up to this size a single events CSV is validated into a table in memory (about 2.7x the file's bytes: 124 MB for
 * the 1M-event bench file); larger ones go straight to Parquet in the scan.
 */
const IN_MEMORY_CSV_BYTES = 128 * 2 ** 20;

/** The timings of each stage (wall and this process's CPU), kept in the manifest (timingsMs, cpuMs). */
function stageClock() {
  const timingsMs: Record<string, number> = {};
  const cpuMs: Record<string, number> = {};
  let last = Date.now();
  let lastCpu = process.cpuUsage();
  const lap = (name: string) => {
    const now = Date.now();
    const cpu = process.cpuUsage(lastCpu);
    timingsMs[name] = now - last;
    mark(`lap ${name}`);
    cpuMs[name] = Math.round((cpu.user + cpu.system) / 1000);
    last = now;
    lastCpu = process.cpuUsage();
  };
  return { timingsMs, cpuMs, lap };
}

/**
 * The prepare's stages in order (prepare-stages.ts), each reported by name on `progress` (start, and done with its
 * numbers) and timed under its name in the manifest.
 */
async function runStages(run: PrepareRun): Promise<PreparedManifest> {
  const { progress } = run;
  const clock = stageClock();
  const stage = async <T>(name: string, fn: () => T | Promise<T>, info?: (r: T) => Record<string, number | string>): Promise<T> => {
    progress.start(name);
    const r = await fn();
    clock.lap(name);
    progress.finish(name, info?.(r));
    return r;
  };
  const catalog: CatalogWork = { tables: [] };
  const ingested = await stage(
    'ingest',
    () => ingest(run),
    (r) => ({ reader: r.fast ? 'native-scan' : 'duckdb' }),
  );
  const accepted = await stage(
    'quarantine',
    () => quarantine({ ...run, ingested }),
    (n) => ({ accepted: n }),
  );
  const extracted = await stage(
    'keys',
    () => keys({ ...run, ingested, catalog }),
    (r) => ({ events: r.events.n, customers: r.customerIds.length, items: r.itemKeys.length }),
  );
  const sp = await stage(
    'split',
    () => split({ ...run, extracted }),
    (r) => ({ duplicates: r.duplicates }),
  );
  const vocab = await stage(
    'vocabularies',
    () => vocabularies({ ...run, extracted, plan: sp.plan }),
    (r) => ({ items: r.vocab.tokens.length }),
  );
  await stage('catalog', () => catalogFile({ ...run, ingested, catalog }));
  const writes = shardWrites(run, extracted.events.n);
  let splits: Record<string, SplitCounts>;
  let feats: ItemFeatures;
  let vocabs: Vocabularies;
  try {
    splits = await stage(
      'sequences',
      () => sequences({ ...run, extracted, plan: sp.plan, vocab, writes }),
      (r) => ({ customers: r.train.customers }),
    );
    feats = await stage('features', () => features({ ...run, vocab, catalog }));
    vocabs = await stage('shards', () => shards({ ...run, writes, vocab, feats }));
  } finally {
    await closeShardWrites(run, writes);
  }
  if (run.opts.sources.users) await stage('users', () => usersFile(run));
  const persisted = await stage(
    'persist',
    () => persist({ ...run, extracted, splits, vocab, catalog }),
    (r) => ({ quarantined: r.quarantined, warnings: r.warnings.length }),
  );
  // (the manifest holds the timings, so its own stage is not timed)
  progress.start('manifest');
  const m = await manifest({
    ...run,
    ingested,
    accepted,
    extracted,
    split: sp,
    splits,
    vocab,
    vocabs,
    feats,
    persisted,
    timingsMs: clock.timingsMs,
    cpuMs: clock.cpuMs,
  });
  progress.finish('manifest', { events: m.counts.events, customers: m.counts.users });
  return m;
}
