/**
 * The stages of one prepare, in order (prepare.ts composes them, each under its own name in the progress output and
 * in the manifest's timingsMs / cpuMs):
 * ingest → quarantine → keys → split → vocabularies → catalog → sequences → features → shards → persist → manifest.
 * Each takes one object: the run (PrepareRun: options, connection, the work started beside it) and what the stages
 * before it made. Work on other DuckDB connections (the catalogue's codes, the catalog file) runs beside the JS
 * stages; `turn()` lets its results in between them.
 */
import { join } from 'node:path';
import { CfmError, RESERVED_IDS, configHash, type ProgressReporter, type Vocabularies, type Vocabulary } from '@cfm/core';
import type { DuckDBConnection } from '@duckdb/node-api';
import { ingestItems, ingestUsers, readUserLabels } from './catalog';
import type { PrepareConfig } from './config';
import { queryNumber, queryRows } from './db';
import { mark } from './debug';
import { dedupSorted, extractSortedEvents, type ExtractedEvents } from './extract';
import { buildItemFeatures, type ItemCatalogCodes } from './features';
import { EVENTS_CODED, EVENTS_TABLE, createTables, ingestEvents, type FileCount } from './ingest';
import { dataHash, fileDigests, PREPARED_OUTPUTS, writeJsonAtomic, type PreparedManifest, type SplitCounts } from './manifest';
import type { PrepareFromSourcesOptions } from './prepare-options';
import { eventLines, findWarnings, logWarnings, quarantineRawLines, type PrepareWarning } from './reconcile';
import { scanPlainCsv, type ScannedEvents, type StartedScan } from './scan';
import { buildCustomerSequences, buildEvalSet, type SequenceContext } from './sequences';
import { inlineShardWriter, startShardWriter, type ShardWriter } from './shard-writer';
import { writeItemFeatures } from './shards';
import type { SideWork } from './side-work';
import { customerSplit, defaultCutoffs, leaveOneOutSplit, temporalSplit, type SplitPlan } from './split';
import { FUTURE_AHEAD_MS, type TimeRules } from './values';
import { TYPE_VOCAB, itemVocabulary } from './vocab';

/** What every stage reads: the run's options and connection, and the work prepareFromSources started beside it. */
export interface PrepareRun {
  conn: DuckDBConnection;
  opts: PrepareFromSourcesOptions;
  config: PrepareConfig;
  time: TimeRules;
  progress: ProgressReporter;
  /** undefined: the events stay in memory (EVENTS_TABLE), and the side work writes their Parquet copy */
  parquetPath: string | undefined;
  side: SideWork;
  onSide: <T>(fn: (conn: DuckDBConnection) => Promise<T>) => Promise<T>;
  lineCounts: Map<string, Promise<number>>;
  /** the shard worker started by the caller (closed by it), if any */
  earlyWriter?: ShardWriter;
  /** the native scan of the single events CSV under way (startScan), with scanPlainCsv's Parquet path and temp dir */
  native?: { started: StartedScan; parquetPath?: string; tempDir: string };
}

/** A file the native scan read but its later checks refused: prepared again with the DuckDB ingest. */
export class NativeFallback extends Error {}

/**
 * One turn of the event loop: work started on other connections goes on only when this thread lets their results
 * in (each query's completion, and the start of the next, waits for such a turn).
 */
export const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The catalog file and the catalogue's codes, made on other connections (side-work.ts), started by the stages. */
export interface CatalogWork {
  /** the catalog tables besides the events (listed once complete) */
  tables: string[];
  codes?: Promise<ItemCatalogCodes>;
  persisted?: Promise<void>;
}

export interface Ingested {
  /** one per catalogue / users / events file */
  files: FileCount[];
  /** the native scan's events, when it read the file */
  fast?: ScannedEvents;
  /** why the native scan passed the file on, when it did so in its scan */
  readerNote?: string;
}

/** ingest: the catalogue and users (on another connection) and the events, validated (native scan or DuckDB ingest). */
export async function ingest(run: PrepareRun): Promise<Ingested> {
  const { conn, opts, config, native } = run;
  // the catalogue and users load on another connection while the events are scanned (the events ingest waits for
  // the items table only where it checks the catalogue); the quarantine table exists before either appends to it
  await createTables(conn);
  const { items, users } = opts.sources;
  const catalogFiles = (async () => [
    ...(items ? [await run.onSide((c) => ingestItems(c, items, config.nullTokens)).then((r) => (mark('side: items'), r))] : []),
    ...(users ? [await run.onSide((c) => ingestUsers(c, users, config.nullTokens))] : []),
  ])();
  catalogFiles.catch(() => undefined); // awaited below; handled here in case the events ingest fails first
  const checkCatalog = !!items && config.unknownItems === 'quarantine';
  const [onlyFile] = opts.sources.events;
  let fast: ScannedEvents | undefined;
  let readerNote: string | undefined;
  if (native) {
    const r = await scanPlainCsv(native.started, onlyFile, {
      checkCatalog,
      catalogReady: catalogFiles,
      lineCount: run.lineCounts.get(onlyFile)!,
      onSide: run.onSide,
      ...native,
    });
    if ('fallback' in r) readerNote = `native scan passed the file on: ${r.fallback}`;
    else fast = r;
  }
  const eventFiles = fast
    ? [fast.count]
    : await ingestEvents(conn, opts.sources.events, {
        checkCatalog,
        catalogReady: catalogFiles,
        parquetPath: run.parquetPath,
        progress: run.progress,
        lineCounts: run.lineCounts,
        time: run.time,
        nullTokens: config.nullTokens,
      });
  return { files: [...(await catalogFiles), ...eventFiles], fast, readerNote };
}

/** quarantine: the raw lines a dataset adapter refused (before the catalog tables are copied); at least one event kept. */
export async function quarantine({ conn, opts, ingested }: PrepareRun & { ingested: Ingested }): Promise<number> {
  if (opts.sources.raw) await quarantineRawLines(conn, opts.sources.raw);
  const accepted = ingested.files.filter((f) => f.kind === 'events').reduce((a, f) => a + f.accepted, 0);
  if (accepted === 0)
    throw new CfmError('CFM_E_ROW_SCHEMA', 'no valid events after validation (see the quarantine table)', { file: opts.sources.events[0] });
  return accepted;
}

/** The catalog tables besides the events, complete after the ingest (listed where a query does not wait for a turn). */
async function listTables(conn: DuckDBConnection): Promise<string[]> {
  const rows = await queryRows(
    conn,
    `SELECT table_name AS t FROM duckdb_tables() WHERE database_name = 'memory' AND NOT temporary AND table_name <> '${EVENTS_TABLE}'`,
  );
  return rows.map((r) => String(r.t));
}

/**
 * keys: the events sorted by (customer, time, record) with dense customer and item keys (the native scan's, or read
 * from DuckDB). Once DuckDB has the extraction result, the catalog file and the catalogue's codes (neither needs the
 * JS part) start on other connections; with the events in memory the codes start at once (they are small, and the
 * extraction's waits give them their turns). After the native scan they start at the catalog stage.
 */
export async function keys({
  conn,
  parquetPath,
  side,
  ingested,
  catalog,
}: PrepareRun & { ingested: Ingested; catalog: CatalogWork }): Promise<ExtractedEvents> {
  const { fast } = ingested;
  if (fast) return fast;
  const withSessions = (await queryNumber(conn, `SELECT count(session_id) FROM ${EVENTS_CODED}`)) > 0;
  catalog.tables = await listTables(conn);
  if (!parquetPath) catalog.codes = side.codes();
  const startSide = () => {
    catalog.persisted ??= side.persist(catalog.tables);
    catalog.codes ??= side.codes();
  };
  const extracted = await extractSortedEvents(conn, withSessions, startSide);
  startSide();
  return extracted;
}

export interface Split {
  plan: SplitPlan;
  /** events dropped as duplicates */
  duplicates: number;
}

/** split: duplicates dropped (config.dedup), then the customers' events assigned to train / valid / test. */
export async function split({ config, extracted }: PrepareRun & { extracted: ExtractedEvents }): Promise<Split> {
  const duplicates = dedupSorted(extracted.events, config.dedup);
  mark('dedup');
  await turn();
  const plan = makePlan(extracted.events, config);
  mark('plan');
  await turn();
  return { plan, duplicates };
}

function makePlan(events: Parameters<typeof leaveOneOutSplit>[0], config: PrepareConfig): SplitPlan {
  if (config.split === 'loo') return leaveOneOutSplit(events);
  if (config.split === 'customer') return customerSplit(events, config.customerFractions, config.seed);
  const [t1, t2] = config.cutoffsMs ?? defaultCutoffs(events);
  return temporalSplit(events, t1, t2);
}

export interface ItemVocab {
  vocabFrom: 'all' | 'train';
  vocab: Vocabulary;
  rawToId: Int32Array;
  counts: Int32Array;
}

/** vocabularies: the item vocabulary, counted over the train split (or all events: config.vocabFrom). */
export function vocabularies({ config, extracted, plan }: PrepareRun & { extracted: ExtractedEvents; plan: SplitPlan }): ItemVocab {
  const { events, itemKeys } = extracted;
  const vocabFrom = config.vocabFrom ?? (config.split === 'loo' ? 'all' : 'train');
  const ranges = vocabFrom === 'all' ? [{ start: events.custStart.subarray(0, -1), end: events.custStart.subarray(1) }] : [plan.train];
  const { vocab, rawToId, counts } = itemVocabulary(itemKeys, events.item, ranges, config.minItemCount);
  mark('item vocab');
  return { vocabFrom, vocab, rawToId, counts };
}

/**
 * catalog: after the native scan, its DuckDB part (key tables, session keys, catalogue check; run beside the stages
 * above) is awaited, and the catalog file and the catalogue's codes start (the catalog tables now, the view over the
 * Parquet file once the file is written). A refusal there throws NativeFallback. (After the DuckDB ingest they
 * started at the keys.)
 */
export async function catalogFile({
  conn,
  opts,
  side,
  ingested,
  catalog,
}: PrepareRun & { ingested: Ingested; catalog: CatalogWork }): Promise<void> {
  const { fast } = ingested;
  if (fast) {
    const why = await fast.ready;
    if (why) {
      await fast.parquet.catch(() => undefined);
      throw new NativeFallback(why);
    }
    mark('native scan: ready');
    catalog.tables = await listTables(conn);
    catalog.codes = side.codes(fast.itemKeys.length, !!opts.sources.items);
    catalog.persisted = side.persistAfter
      ? side.persistAfter(catalog.tables, fast.parquet)
      : fast.parquet.then(() => side.persist(catalog.tables));
  }
  await turn();
}

/** The shard writes under way: a worker's or this thread's (inline). */
export interface ShardWrites {
  writer: ShardWriter;
  pending: Promise<void>[];
  /** with a worker: the last split, written on this thread once the item features are built */
  last?: () => Promise<void>;
}

/** The shard writer for this run: the caller's early worker, else a worker from 2M events (opts.shardWorker). */
export function shardWrites({ opts, earlyWriter }: PrepareRun, events: number): ShardWrites {
  return { writer: earlyWriter ?? ((opts.shardWorker ?? events >= 2_000_000) ? startShardWriter() : inlineShardWriter), pending: [] };
}

/** Closes the writer (unless it is the caller's) once every write has settled. */
export async function closeShardWrites({ earlyWriter }: PrepareRun, writes: ShardWrites): Promise<void> {
  await Promise.allSettled(writes.pending);
  if (writes.writer !== earlyWriter) await writes.writer.close();
}

/**
 * sequences: each split's customer sequences, handed to the writer as soon as it is built (with a worker, its arrays
 * are handed over: counted first). With a worker, the last split is written on this thread after the features: this
 * thread is free then, while the worker still writes the first two.
 */
export async function sequences(
  s: PrepareRun & { extracted: ExtractedEvents; plan: SplitPlan; vocab: ItemVocab; writes: ShardWrites },
): Promise<Record<string, SplitCounts>> {
  const { extracted, plan, writes, config } = s;
  const ctx: SequenceContext = {
    events: extracted.events,
    customerIds: extracted.customerIds,
    rawToId: s.vocab.rawToId,
    maxSeqLen: config.maxSeqLen,
    sessionGapSeconds: config.sessionGapMinutes * 60,
    scratch: extracted.scratch,
  };
  const splits: Record<string, SplitCounts> = {};
  const train = buildCustomerSequences(ctx, plan.train);
  splits.train = { customers: train.customerIds.length, events: train.items.length, truncated: train.truncated };
  mark('train built');
  writes.pending.push(writes.writer.write(join(s.opts.out, 'train.arrow'), train));
  mark('train write called');
  await turn();
  for (const part of ['valid', 'test'] as const) {
    const set = buildEvalSet(ctx, plan[part]);
    splits[part] = {
      customers: set.history.customerIds.length,
      events: set.history.items.length,
      truncated: set.truncated,
      skippedCustomers: plan.skipped[part],
    };
    mark(`${part} built`);
    const path = join(s.opts.out, `${part}.arrow`);
    if (part === 'test' && writes.writer !== inlineShardWriter) writes.last = () => inlineShardWriter.write(path, set);
    else writes.pending.push(writes.writer.write(path, set));
    mark(`${part} write called`);
    await turn();
  }
  writes.pending.forEach((w) => w.catch(() => undefined)); // awaited by the shards stage
  return splits;
}

export type ItemFeatures = Awaited<ReturnType<typeof buildItemFeatures>>;

/** features: the items' feature vocabularies and codes (the catalogue's codes read on the side). */
export async function features({
  conn,
  config,
  side,
  vocab,
  catalog,
}: PrepareRun & { vocab: ItemVocab; catalog: CatalogWork }): Promise<ItemFeatures> {
  // the sequences are built: the catalog tables on another connection now if the side one is still writing Parquet
  if (catalog.persisted) side.catalogTablesNow?.();
  const feats = await buildItemFeatures(conn, vocab.vocab, vocab.rawToId, config.minAttrCount, config.priceBuckets, catalog.codes);
  mark('features built');
  return feats;
}

/** shards: every split's Arrow file, the item features, vocabs.json (and users.json with a users file) on disk. */
export async function shards({
  opts,
  writes,
  vocab,
  feats,
}: PrepareRun & { writes: ShardWrites; vocab: ItemVocab; feats: ItemFeatures }): Promise<Vocabularies> {
  if (writes.last) writes.pending.push(writes.last());
  const vocabs: Vocabularies = { item: vocab.vocab, type: TYPE_VOCAB, ...feats.vocabs };
  await Promise.all([
    ...writes.pending,
    writeItemFeatures(join(opts.out, 'item_features.arrow'), feats.itemFeatures),
    writeJsonAtomic(join(opts.out, 'vocabs.json'), vocabs),
  ]);
  return vocabs;
}

/** (shards, with a users file) users.json: the users' labels. */
export async function usersFile({ conn, opts }: PrepareRun): Promise<void> {
  if (opts.sources.users) await writeJsonAtomic(join(opts.out, 'users.json'), await readUserLabels(conn));
}

export interface Persisted {
  quarantined: number;
  warnings: PrepareWarning[];
}

/** persist: the quarantine counted, the outcome's warnings logged, and the catalog file complete. */
export async function persist(
  s: PrepareRun & { extracted: ExtractedEvents; splits: Record<string, SplitCounts>; vocab: ItemVocab; catalog: CatalogWork },
): Promise<Persisted> {
  const { events } = s.extracted;
  const quarantined = await queryNumber(s.conn, 'SELECT count(*) FROM quarantine');
  const splitCustomers = Object.fromEntries(Object.entries(s.splits).map(([k, v]) => [k, v.customers]));
  const facts = {
    splitCustomers,
    itemCounts: s.vocab.counts,
    vocabItems: s.vocab.vocab.tokens.length - RESERVED_IDS,
    minItemCount: s.config.minItemCount,
    tsMs: events.tsMs,
    n: events.n,
    nowMs: s.time.nowMs,
  };
  const warnings = logWarnings(findWarnings(facts, FUTURE_AHEAD_MS), s.progress);
  mark('quarantine counted');
  await s.catalog.persisted;
  return { quarantined, warnings };
}

/** manifest: manifest.json, with the digests of the outputs (its last write; docs/data.md "Manifest"). */
export async function manifest(
  s: PrepareRun & {
    ingested: Ingested;
    accepted: number;
    extracted: ExtractedEvents;
    split: Split;
    splits: Record<string, SplitCounts>;
    vocab: ItemVocab;
    vocabs: Vocabularies;
    feats: ItemFeatures;
    persisted: Persisted;
    timingsMs: Record<string, number>;
    cpuMs: Record<string, number>;
  },
): Promise<PreparedManifest> {
  const { opts, config, ingested, extracted, split: sp, persisted } = s;
  const { events, customerIds, itemKeys } = extracted;
  const hasUsers = !!opts.sources.users;
  const readerNote = ingested.readerNote ?? opts.readerNote;
  const m: PreparedManifest = {
    dataset: opts.dataset,
    split: config.split,
    config,
    configHash: configHash(config),
    dataHash: dataHash(events, customerIds, itemKeys),
    counts: {
      users: customerIds.length,
      items: itemKeys.length,
      events: events.n,
      accepted: s.accepted,
      quarantined: persisted.quarantined,
      duplicates: sp.duplicates,
      warnings: persisted.warnings.length,
    },
    files: ingested.files,
    ...(opts.sources.raw ? { raw: opts.sources.raw.map(({ quarantine: q, ...r }) => ({ ...r, quarantined: q.length })) } : {}),
    eventLines: eventLines(ingested.files, opts.sources.raw, sp.duplicates, events.n),
    warnings: persisted.warnings,
    splits: s.splits,
    cutoffsMs: sp.plan.cutoffsMs,
    vocabFrom: s.vocab.vocabFrom,
    vocabSizes: Object.fromEntries(Object.entries(s.vocabs).map(([k, v]) => [k, v.tokens.length])),
    vocabHashes: Object.fromEntries(Object.entries(s.vocabs).map(([k, v]) => [k, v.hash])),
    priceEdges: s.feats.priceEdges,
    hasUsers,
    reader: ingested.fast ? 'native-scan' : 'duckdb',
    ...(readerNote ? { readerNote } : {}),
    createdAt: new Date().toISOString(),
    timingsMs: s.timingsMs,
    cpuMs: s.cpuMs,
  };
  m.outputs = await fileDigests(
    opts.out,
    PREPARED_OUTPUTS.filter((f) => f !== 'users.json' || hasUsers),
  );
  mark('manifest built');
  await writeJsonAtomic(join(opts.out, 'manifest.json'), m);
  mark('manifest written');
  return m;
}
