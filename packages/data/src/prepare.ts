import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { CfmError, RESERVED_IDS, configHash, silentProgress, type ProgressReporter, type Vocabularies } from '@cfm/core';
import { ingestItems, ingestUsers, readUserLabels } from './catalog';
import { parsePrepareConfig, type PrepareConfig, type PrepareConfigInput } from './config';
import type { DuckDBConnection } from '@duckdb/node-api';
import { openDatabase, queryNumber, queryRows, withConnection } from './db';
import { dedupSorted, extractSortedEvents } from './extract';
import { buildItemFeatures } from './features';
import { makeSideWork, type SideWork } from './side-work';
import { mark } from './debug';
import { countNonBlankLines, formatOf } from './files';
import { EVENTS_CODED, EVENTS_TABLE, createTables, ingestEvents, type FileCount } from './ingest';
import { dataHash, fileDigests, PREPARED_OUTPUTS, writeJsonAtomic, type PreparedManifest, type SplitCounts } from './manifest';
import { buildCustomerSequences, buildEvalSet, type SequenceContext } from './sequences';
import { writeItemFeatures } from './shards';
import { inlineShardWriter, startShardWriter, type ShardWriter } from './shard-writer';
import { loadNativeScan, scanPlainCsv, startScan, type ScannedEvents, type StartedScan } from './scan';
import { customerSplit, defaultCutoffs, leaveOneOutSplit, temporalSplit, type SplitPlan } from './split';
import { TYPE_VOCAB, itemVocabulary } from './vocab';
import { eventLines, findWarnings, logWarnings, quarantineRawLines, type RawSource } from './reconcile';
import { FUTURE_AHEAD_MS, timeRules, type TimeRules } from './values';

/** Contract files of one dataset (columns in docs/data.md). */
export interface ContractSources {
  events: string[];
  items?: string;
  users?: string;
  /** the raw files a dataset adapter converted into these (their refused lines are quarantined; reconcile.ts) */
  raw?: RawSource[];
}

export interface PrepareFromSourcesOptions {
  dataset: string;
  sources: ContractSources;
  /** output directory for shards, vocabularies, manifest and the DuckDB catalog */
  out: string;
  config?: PrepareConfigInput;
  /** DuckDB file; default <out>/catalog.duckdb; ':memory:' keeps no file */
  dbPath?: string;
  threads?: number;
  /** DuckDB memory limit; above it DuckDB spills to <out>/.duckdb-tmp (default '1GB') */
  memoryLimit?: string;
  progress?: ProgressReporter;
  /**
   * Write the sequence shards on a worker thread while the next split is built (same bytes). Default: when the event
   * files hold at least SHARD_WORKER_BYTES (the worker then loads while DuckDB reads them), else when there are at
   * least 2M events (below that the worker's start costs about what the overlap saves).
   */
  shardWorker?: boolean;
  /**
   * Validate a single events CSV into a table in memory and write its Parquet copy beside the JS stages, instead of
   * writing Parquet in the scan (same outputs). Default: when the file is at most 128 MB.
   */
  eventsInMemory?: boolean;
  /**
   * Try the native scan (scan.ts) on a single events CSV: every line plain → read outside DuckDB, same outputs;
   * otherwise the DuckDB ingest (writing Parquet in the scan). Default: when the addon is built and `eventsInMemory`
   * is not given (CFM_NATIVE_SCAN=0 turns it off).
   */
  nativeScan?: boolean;
  /** (internal) why the native scan passed the file on, when it did so after its scan */
  readerNote?: string;
}

/** Ingest → validate → dedup → split → vocabularies → sequences → Arrow shards + manifest. */
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
  const scanning = singleCsv && (opts.nativeScan ?? opts.eventsInMemory === undefined) && loadNativeScan() !== null ? startScan(first, { time, nullTokens: config.nullTokens }) : undefined;
  await mkdir(opts.out, { recursive: true });
  const dbPath = opts.dbPath ?? join(opts.out, 'catalog.duckdb');
  if (dbPath !== ':memory:') await rm(dbPath, { force: true });
  // work in memory (a file-backed catalog costs ~2x CPU to validate into); persist the catalog file at the end
  const tempDir = join(opts.out, '.duckdb-tmp');
  const db = await openDatabase(':memory:', opts.threads, { limit: opts.memoryLimit ?? '1GB', tempDir });
  mark('db open');
  // the validated events go straight to Parquet: beside the catalog file (temp name until the end), else in tempDir
  await mkdir(tempDir, { recursive: true });
  const parquetTmp = dbPath === ':memory:' ? join(tempDir, 'events.parquet') : resolve(dirname(dbPath), `events.parquet.tmp-${process.pid}`);
  // work started on other connections (catalog file, catalogue codes): settled before the database is closed
  const side: Promise<unknown>[] = [];
  const track = <T>(p: Promise<T>): Promise<T> => {
    side.push(p.catch(() => undefined)); // awaited (and its error raised) by the caller; handled here for the error path
    return p;
  };
  const onSide = <T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> => track(withConnection(db, fn));
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
    return await withConnection(db, (conn) => run(conn, opts, config, time, progress, inMemory ? undefined : parquetTmp, sideWork(), onSide, lineCounts, earlyWriter, native));
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
    await rm(tempDir, { recursive: true, force: true });
    await rm(parquetTmp, { force: true });
    await rm(`${parquetTmp}.all`, { force: true }); // ingestEvents' first copy, left behind only if it failed
    await rm(`${parquetTmp}.all.tidy`, { force: true }); // (its copy with tidied ids, likewise)
    await rm(`${parquetTmp}.native`, { force: true }); // (the native scan's file, left behind only if it failed)
    mark('prepare end');
  }
  // the native scan's checks after the scan failed (an item missing from the catalogue): again with the DuckDB ingest
  return prepareFromSources({ ...opts, nativeScan: false, readerNote: `native scan passed the file on: ${late.message}` });
}

/** A file the native scan read but its later checks refused: prepared again with the DuckDB ingest. */
class NativeFallback extends Error {}

/** Event files of at least this many bytes in all get the shard worker from the start (~2M events of the contract CSV). */
const SHARD_WORKER_BYTES = 96 * 2 ** 20;

/** The event files' total size (a missing file counts 0: the ingest reports it). */
async function eventBytes(files: string[]): Promise<number> {
  const sizes = await Promise.all(files.map((f) => stat(f).then((s) => s.size, () => 0)));
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

async function run(
  conn: DuckDBConnection,
  opts: PrepareFromSourcesOptions,
  config: PrepareConfig,
  time: TimeRules,
  progress: ProgressReporter,
  /** undefined: the events stay in memory (EVENTS_TABLE), and the side work writes their Parquet copy */
  parquetPath: string | undefined,
  side: SideWork,
  onSide: <T>(fn: (conn: DuckDBConnection) => Promise<T>) => Promise<T>,
  lineCounts: Map<string, Promise<number>>,
  /** the shard worker started by the caller (closed by it), if any */
  earlyWriter?: ShardWriter,
  /** the native scan of the single events CSV under way (startScan), with scanPlainCsv's Parquet path and temp dir */
  native?: { started: StartedScan; parquetPath?: string; tempDir: string },
): Promise<PreparedManifest> {
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
  // the catalogue and users load on another connection while the events are scanned (the events ingest waits for
  // the items table only where it checks the catalogue); the quarantine table exists before either appends to it
  await createTables(conn);
  const { items, users } = opts.sources;
  const catalogFiles = (async () => [
    ...(items ? [await onSide((c) => ingestItems(c, items, config.nullTokens)).then((r) => (mark('side: items'), r))] : []),
    ...(users ? [await onSide((c) => ingestUsers(c, users, config.nullTokens))] : []),
  ])();
  catalogFiles.catch(() => undefined); // awaited below; handled here in case the events ingest fails first
  const checkCatalog = !!items && config.unknownItems === 'quarantine';
  lap('catalog');
  const [onlyFile] = opts.sources.events;
  let fast: ScannedEvents | undefined;
  let readerNote: string | undefined;
  if (native) {
    progress.start('ingest events', 1);
    const r = await scanPlainCsv(native.started, onlyFile, { checkCatalog, catalogReady: catalogFiles, lineCount: lineCounts.get(onlyFile)!, onSide, ...native });
    if ('fallback' in r) readerNote = `native scan passed the file on: ${r.fallback}`;
    else {
      fast = r;
      progress.finish('ingest events');
    }
  }
  const eventFiles = fast
    ? [fast.count]
    : await ingestEvents(conn, opts.sources.events, { checkCatalog, catalogReady: catalogFiles, parquetPath, progress, lineCounts, time, nullTokens: config.nullTokens });
  const files: FileCount[] = [...(await catalogFiles), ...eventFiles];
  // (before the catalog tables are copied into the catalog file)
  if (opts.sources.raw) await quarantineRawLines(conn, opts.sources.raw);
  lap('ingest');
  const accepted = files.filter((f) => f.kind === 'events').reduce((a, f) => a + f.accepted, 0);
  if (accepted === 0) throw new CfmError('CFM_E_ROW_SCHEMA', 'no valid events after validation (see the quarantine table)', { file: opts.sources.events[0] });

  progress.start('sequences', 5);
  const withSessions = fast ? !!fast.events.session : (await queryNumber(conn, `SELECT count(session_id) FROM ${EVENTS_CODED}`)) > 0;
  // the catalog tables are complete after the ingest (listed here, where a query does not wait for a turn; after the
  // native scan, once its key tables are made)
  let tables: string[] = [];
  const listTables = async () =>
    (tables = (await queryRows(conn, `SELECT table_name AS t FROM duckdb_tables() WHERE database_name = 'memory' AND NOT temporary AND table_name <> '${EVENTS_TABLE}'`)).map((r) => String(r.t)));
  if (!fast) await listTables();
  // once DuckDB has the extraction result, the catalog file and the catalogue's codes (neither needs the JS part)
  // are made on other connections while this thread copies, sorts and builds the sequences (with the events in
  // memory, the codes start now: they are small, and the extraction's waits give them their turns)
  let catalogCodes = parquetPath || fast ? undefined : side.codes();
  let persisted: Promise<void> | undefined;
  const startSide = () => {
    persisted ??= side.persist(tables);
    catalogCodes ??= side.codes();
  };
  const { events, customerIds, itemKeys, scratch } = fast ?? (await extractSortedEvents(conn, withSessions, startSide));
  if (!fast) startSide();
  progress.update({ step: 'sequences', done: 1, total: 5, info: { events: events.n } });
  lap('extract');
  const duplicates = dedupSorted(events, config.dedup);
  mark('dedup');
  await turn();
  const plan = makePlan(events, config);
  mark('plan');
  await turn();
  const vocabFrom = config.vocabFrom ?? (config.split === 'loo' ? 'all' : 'train');
  const ranges = vocabFrom === 'all' ? [{ start: events.custStart.subarray(0, -1), end: events.custStart.subarray(1) }] : [plan.train];
  const { vocab: itemVocab, rawToId, counts: itemCounts } = itemVocabulary(itemKeys, events.item, ranges, config.minItemCount);
  mark('item vocab');
  if (fast) {
    // the native scan's DuckDB part (key tables, session keys, catalogue check) ran beside the stages above
    const why = await fast.ready;
    if (why) {
      await fast.parquet.catch(() => undefined);
      throw new NativeFallback(why);
    }
    mark('native scan: ready');
    await listTables();
    catalogCodes = side.codes(fast.itemKeys.length, !!opts.sources.items);
    // (the native scan's Parquet file is written beside the JS stages: the catalog tables are copied now, the view
    // over the Parquet file follows the file)
    persisted = side.persistAfter ? side.persistAfter(tables, fast.parquet) : fast.parquet.then(() => side.persist(tables));
  }
  progress.update({ step: 'sequences', done: 2, total: 5, info: { items: itemVocab.tokens.length } });
  await turn();
  const ctx: SequenceContext = { events, customerIds, rawToId, maxSeqLen: config.maxSeqLen, sessionGapSeconds: config.sessionGapMinutes * 60, scratch };
  // each split goes to the writer as soon as it is built (with a worker, its arrays are handed over: counted first)
  const writer: ShardWriter = earlyWriter ?? ((opts.shardWorker ?? events.n >= 2_000_000) ? startShardWriter() : inlineShardWriter);
  const writes: Promise<void>[] = [];
  const splits: Record<string, SplitCounts> = {};
  let feats: Awaited<ReturnType<typeof buildItemFeatures>>;
  let vocabs: Vocabularies;
  try {
    const train = buildCustomerSequences(ctx, plan.train);
    splits.train = { customers: train.customerIds.length, events: train.items.length, truncated: train.truncated };
    mark('train built');
    writes.push(writer.write(join(opts.out, 'train.arrow'), train));
    mark('train write called');
    await turn();
    // with a worker, the last split is written here once the item features are built: this thread is free then,
    // while the worker still writes the first two (10M bench: ~0.7 s waited for the worker's three writes before)
    let last: (() => Promise<void>) | undefined;
    for (const part of ['valid', 'test'] as const) {
      const set = buildEvalSet(ctx, plan[part]);
      splits[part] = { customers: set.history.customerIds.length, events: set.history.items.length, truncated: set.truncated, skippedCustomers: plan.skipped[part] };
      mark(`${part} built`);
      const path = join(opts.out, `${part}.arrow`);
      if (part === 'test' && writer !== inlineShardWriter) last = () => inlineShardWriter.write(path, set);
      else writes.push(writer.write(path, set));
      mark(`${part} write called`);
      await turn();
    }
    writes.forEach((w) => w.catch(() => undefined)); // awaited below
    progress.update({ step: 'sequences', done: 3, total: 5 });
    lap('split+sequences');
    // the sequences are built: the catalog tables on another connection now if the side one is still writing Parquet
    if (persisted) side.catalogTablesNow?.();
    feats = await buildItemFeatures(conn, itemVocab, rawToId, config.minAttrCount, config.priceBuckets, catalogCodes);
    mark('features built');
    if (last) writes.push(last());
    vocabs = { item: itemVocab, type: TYPE_VOCAB, ...feats.vocabs };
    await Promise.all([
      ...writes,
      writeItemFeatures(join(opts.out, 'item_features.arrow'), feats.itemFeatures),
      writeJsonAtomic(join(opts.out, 'vocabs.json'), vocabs),
    ]);
  } finally {
    await Promise.allSettled(writes);
    if (writer !== earlyWriter) await writer.close();
  }
  const hasUsers = !!opts.sources.users;
  if (hasUsers) await writeJsonAtomic(join(opts.out, 'users.json'), await readUserLabels(conn));
  progress.update({ step: 'sequences', done: 4, total: 5 });
  lap('features+write');

  const quarantined = await queryNumber(conn, 'SELECT count(*) FROM quarantine');
  const lines = eventLines(files, opts.sources.raw, duplicates, events.n);
  const splitCustomers = Object.fromEntries(Object.entries(splits).map(([k, v]) => [k, v.customers]));
  const facts = { splitCustomers, itemCounts, vocabItems: itemVocab.tokens.length - RESERVED_IDS, minItemCount: config.minItemCount, tsMs: events.tsMs, n: events.n, nowMs: time.nowMs };
  const warnings = logWarnings(findWarnings(facts, FUTURE_AHEAD_MS), progress);
  mark('quarantine counted');
  await persisted;
  lap('persist catalog');
  const manifest: PreparedManifest = {
    dataset: opts.dataset,
    split: config.split,
    config,
    configHash: configHash(config),
    dataHash: dataHash(events, customerIds, itemKeys),
    counts: { users: customerIds.length, items: itemKeys.length, events: events.n, accepted, quarantined, duplicates, warnings: warnings.length },
    files,
    ...(opts.sources.raw ? { raw: opts.sources.raw.map(({ quarantine, ...r }) => ({ ...r, quarantined: quarantine.length })) } : {}),
    eventLines: lines,
    warnings,
    splits,
    cutoffsMs: plan.cutoffsMs,
    vocabFrom,
    vocabSizes: Object.fromEntries(Object.entries(vocabs).map(([k, v]) => [k, v.tokens.length])),
    vocabHashes: Object.fromEntries(Object.entries(vocabs).map(([k, v]) => [k, v.hash])),
    priceEdges: feats.priceEdges,
    hasUsers,
    reader: fast ? 'native-scan' : 'duckdb',
    ...(readerNote || opts.readerNote ? { readerNote: readerNote ?? opts.readerNote } : {}),
    createdAt: new Date().toISOString(),
    timingsMs,
    cpuMs,
  };
  manifest.outputs = await fileDigests(opts.out, PREPARED_OUTPUTS.filter((f) => f !== 'users.json' || hasUsers));
  mark('manifest built');
  await writeJsonAtomic(join(opts.out, 'manifest.json'), manifest);
  mark('manifest written');
  progress.finish('sequences', { events: events.n, customers: customerIds.length });
  return manifest;
}

/**
 * One turn of the event loop: work started on other connections goes on only when this thread lets their results
 * in (each query's completion, and the start of the next, waits for such a turn).
 */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

function makePlan(events: Parameters<typeof leaveOneOutSplit>[0], config: PrepareConfig): SplitPlan {
  if (config.split === 'loo') return leaveOneOutSplit(events);
  if (config.split === 'customer') return customerSplit(events, config.customerFractions, config.seed);
  const [t1, t2] = config.cutoffsMs ?? defaultCutoffs(events);
  return temporalSplit(events, t1, t2);
}
