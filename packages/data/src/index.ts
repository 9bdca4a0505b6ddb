// Config
export { PrepareConfig, SplitKind, TsUnit, NULL_TOKENS, BehaviourSpec, DMT_BEHAVIOURS, parsePrepareConfig } from './config';
export type { PrepareConfigInput } from './config';
// Prepare and load
export { prepareFromSources } from './prepare';
export type { ContractSources, PrepareFromSourcesOptions } from './prepare';
export { nativeDataAddon } from './scan';
export type { NativeDataAddon } from './scan';
export type { RawSource, EventLines, PrepareWarning } from './reconcile';
export { loadPrepared, loadSequences, loadEvalSet, readManifest, verifyPrepared } from './load';
export { relocatePrepared } from './relocate';
export type { PreparedManifest, SplitCounts } from './manifest';
// DuckDB ingest and validation
export { openDatabase, withConnection, queryRows, readColumns, sqlString } from './db';
export { csvColumnLooksInteger } from './files';
export { ingestEvents, readQuarantine, EVENT_COLUMNS, PARQUET } from './ingest';
export type { IngestOptions } from './ingest';
export { timeRules, nullTokens, snippet, PLAUSIBLE_FROM_MS, PLAUSIBLE_AHEAD_MS, FUTURE_AHEAD_MS } from './values';
export type { TimeRules } from './values';
export type { FileCount } from './ingest';
export { ingestItems, ingestUsers, readUserLabels, ITEM_COLUMNS } from './catalog';
export { extractSortedEvents, dedupSorted } from './extract';
// Splits, vocabularies, sequences
export { leaveOneOutSplit, temporalSplit, customerSplit, defaultCutoffs } from './split';
export type { SortedEvents, SplitPlan, TrainPart, EvalPart } from './split';
export { TYPE_VOCAB, typeId, makeVocabulary, vocabularyFromCounts, vocabLookup, itemVocabulary } from './vocab';
export { buildCustomerSequences, buildEvalSet } from './sequences';
export { buildMultiBehaviour } from './behaviours';
export { assignSessions, sessionSequences } from './sessions';
export { ITEM_FEATURES } from './features';
// Shards
export { writeSequenceShard, readSequenceShard, writeItemFeatures, readItemFeatures, BATCH_CUSTOMERS } from './shards';
export type { SequenceShardBatch } from './shards';
// Sharded prep (customer-hash shards, merged into one prepared folder equal to prepareFromSources')
export { prepareSharded, splitSources, shardStats, mergeStats, prepareShard, mergeShards } from './sharded';
export type {
  PrepareShardedOptions,
  SplitSourcesOptions,
  ShardStepOptions,
  MergeShardsOptions,
  SplitResult,
  SplitFile,
  ShardStats,
  GlobalStats,
  ShardOutput,
} from './sharded';
