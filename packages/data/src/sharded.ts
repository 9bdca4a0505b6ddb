/**
 * The sharded prep (docs/data.md, "Sharded prep"): the contract files split by customer hash into n shards, each
 * validated, sorted and turned into sequences on its own DuckDB, then merged into one prepared folder equal to the
 * single prep's. Five steps, each a plain function of small JSON and folders (one Temporal activity each):
 *   splitSources → shardStats (per shard) → mergeStats → prepareShard (per shard) → mergeShards.
 * prepareSharded runs them in this process.
 */
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { silentProgress, type ProgressReporter } from '@cfm/core';
import type { PrepareConfigInput } from './config';
import type { PreparedManifest } from './manifest';
import type { ContractSources } from './prepare';
import { mapLimit } from './sharded-io';
import { mergeStats } from './sharded-global';
import { mergeShards } from './sharded-merge';
import { prepareShard } from './sharded-prepare';
import { splitSources } from './sharded-split';
import { shardStats } from './sharded-stats';

export { splitSources, type SplitSourcesOptions } from './sharded-split';
export { shardStats, type ShardStepOptions } from './sharded-stats';
export { mergeStats } from './sharded-global';
export { prepareShard } from './sharded-prepare';
export { mergeShards, type MergeShardsOptions } from './sharded-merge';
export type { SplitResult, SplitFile, ShardStats, GlobalStats, ShardOutput } from './sharded-types';

export interface PrepareShardedOptions {
  dataset: string;
  sources: ContractSources;
  /** shards */
  n: number;
  /** the prepared folder */
  out: string;
  config?: PrepareConfigInput;
  progress?: ProgressReporter;
  /** shards worked on at once (default 1) */
  concurrency?: number;
  /** the split folder (default <out>/.sharded); removed at the end unless `keepWork` */
  workDir?: string;
  keepWork?: boolean;
  /** DuckDB threads and memory limit of each step */
  threads?: number;
  memoryLimit?: string;
}

/** All five steps in this process, the shards one after the other (or `concurrency` at once). */
export async function prepareSharded(opts: PrepareShardedOptions): Promise<PreparedManifest> {
  const progress = opts.progress ?? silentProgress;
  const work = resolve(opts.workDir ?? join(opts.out, '.sharded'));
  const step = { threads: opts.threads, memoryLimit: opts.memoryLimit, progress };
  const timingsMs: Record<string, number> = {},
    cpuMs: Record<string, number> = {};
  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t = Date.now(),
      c = process.cpuUsage();
    try {
      return await fn();
    } finally {
      const u = process.cpuUsage(c);
      timingsMs[name] = Date.now() - t;
      cpuMs[name] = Math.round((u.user + u.system) / 1000);
    }
  };
  const conc = opts.concurrency ?? 1;
  try {
    const split = await timed('split', () => splitSources({ sources: opts.sources, n: opts.n, out: work, config: opts.config, ...step }));
    const stats = await timed('shard stats', () => mapLimit(split.shards, conc, (d) => shardStats(d, split, step)));
    const global = await timed('merge stats', () => mergeStats(stats, split, step));
    const outputs = await timed('shard sequences', () => mapLimit(split.shards, conc, (d) => prepareShard(d, global, step)));
    return await mergeShards({ dataset: opts.dataset, global, shards: outputs, out: opts.out, progress, timingsMs, cpuMs });
  } finally {
    if (!opts.keepWork) await rm(work, { recursive: true, force: true });
  }
}
