/**
 * What the steps of the sharded prep hand each other (docs/data.md, "Sharded prep"): small JSON values; the data stays
 * in the folders they name (absolute paths).
 */
import { join } from 'node:path';
import type { PrepareConfig } from './config';
import type { FileCount } from './file-count';
import type { FileFormat } from './files';
import type { ImplausibleTimes } from './checks';
import type { SplitCounts } from './manifest';
import type { RawSummary } from './reconcile';

/** One events file as splitSources read it. */
export interface SplitFile {
  /** its place in `sources.events` (the `file_id` of its events) */
  fileId: number;
  /** as given (named so in the quarantine and the manifest) */
  file: string;
  format: FileFormat;
  /** columns the reader parsed as numbers (the typed CSV read), the others are text */
  typed: string[];
  /** 1 for CSV (line = record + header + parser rejects before it), else 0 */
  headerLines: number;
  /** input rows, counted independently of the parser */
  input: number;
  /** lines the parser rejected (quarantined by splitSources) */
  rejected: number;
}

/** splitSources' result: the shard folders and what every later step needs to know of the input. */
export interface SplitResult {
  /** the split folder: common/ (catalogue, users, parser rejects), shard-<k>/ */
  dir: string;
  n: number;
  config: PrepareConfig;
  /** the run's `now` (the plausible-time window and the far-future warning use it in every step) */
  nowMs: number;
  files: SplitFile[];
  /** the items and users files' reconciliation (in that order) */
  catalog: FileCount[];
  raw?: RawSummary[];
  hasItems: boolean;
  hasUsers: boolean;
  /** shard folders, index = shard */
  shards: string[];
}

/** One shard's shardStats: its counts, and files in <shard>/stats/. */
export interface ShardStats {
  shard: number;
  dir: string;
  /** per events file of the split (fileId order): rows accepted and quarantined in this shard */
  files: Array<{ fileId: number; accepted: number; quarantined: number }>;
  /** rows quarantined for an implausible time, per file and the unit they fit */
  implausible: ImplausibleTimes[];
  /** events after de-duplication */
  events: number;
  duplicates: number;
  customers: number;
  items: number;
  /** events more than FUTURE_AHEAD_MS after the run's now */
  future: number;
  withSessions: boolean;
  /** the events' time range (epoch ms), when there are events */
  tsRange?: [number, number];
}

/** mergeStats' result: the global key order, cut-offs and counts (files in <split>/global/). */
export interface GlobalStats {
  dir: string;
  split: SplitResult;
  customers: number;
  items: number;
  events: number;
  duplicates: number;
  future: number;
  /** every input file's reconciliation, as the manifest lists them (items, users, then events files) */
  files: FileCount[];
  /** the temporal split's cut-offs (given, or the exact 80% / 90% quantiles of all events' times) */
  cutoffsMs?: [number, number];
  /** per shard: its customers and distinct items */
  shardSizes: Array<{ customers: number; items: number }>;
}

/** One shard's prepareShard: its split counts, and files in <shard>/prepared/. */
export interface ShardOutput {
  shard: number;
  dir: string;
  splits: { train: SplitCounts; valid: SplitCounts; test: SplitCounts };
}

export const SPLIT_PARTS = ['train', 'valid', 'test'] as const;

/** Paths inside the folders of the sharded prep. */
export const paths = {
  splitJson: (dir: string) => join(dir, 'split.json'),
  common: (dir: string) => join(dir, 'common'),
  commonItems: (dir: string) => join(dir, 'common', 'items.parquet'),
  commonUsers: (dir: string) => join(dir, 'common', 'users.parquet'),
  commonQuarantine: (dir: string) => join(dir, 'common', 'quarantine.parquet'),
  rejects: (dir: string, fileId: number) => join(dir, 'common', `rejects-f${fileId}.parquet`),
  shard: (dir: string, k: number) => join(dir, `shard-${k}`),
  /** a shard's rows of one events file (Parquet parts) */
  shardFile: (shardDir: string, fileId: number) => join(shardDir, `f${fileId}`),
  stats: (shardDir: string) => join(shardDir, 'stats'),
  prepared: (shardDir: string) => join(shardDir, 'prepared'),
  global: (dir: string) => join(dir, 'global'),
};
