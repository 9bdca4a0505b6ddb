/** The options of prepareFromSources (prepare.ts), read by its stages (prepare-stages.ts). */
import type { ProgressReporter } from '@cfm/core';
import type { PrepareConfigInput } from './config';
import type { RawSource } from './reconcile';

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
