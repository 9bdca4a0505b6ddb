/**
 * Step 4 of the sharded prep, one shard: its sorted events split with the global cut-offs / roles, and its train /
 * valid / test sequences built as the single prep builds them, with items as global item indices (the item vocabulary
 * needs every shard's counts: mergeShards maps them). Writes <shard>/prepared/: <part>.arrow, <part>.rank.i32 (each
 * customer's global rank) and item-counts.i32 (the counts the item vocabulary takes, per global item).
 */
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { silentProgress, type CustomerSequences, type EvalSet, type ProgressReporter } from '@cfm/core';
import { buildCustomerSequences, buildEvalSet, type SequenceContext } from './sequences';
import { SequenceShardFile, type ShardSet } from './shards';
import { customerSplitByRole, leaveOneOutSplit, temporalSplit, type SortedEvents, type SplitPlan } from './split';
import { globalFiles } from './sharded-global';
import { readFloat64, readIds, readInt32, readInt8, writeArray, writeJson } from './sharded-io';
import { shardIndex, statsFiles } from './sharded-stats';
import { paths, SPLIT_PARTS, type GlobalStats, type ShardOutput } from './sharded-types';

/** The files prepareShard writes, in <shard>/prepared/. */
export const preparedFiles = (shardDir: string) => {
  const d = paths.prepared(shardDir);
  return {
    dir: d,
    json: join(d, 'output.json'),
    arrow: (part: string) => join(d, `${part}.arrow`),
    rank: (part: string) => join(d, `${part}.rank.i32`),
    itemCounts: join(d, 'item-counts.i32'),
  };
};

/** Split one shard's events and build its sequences (see the file comment). */
export async function prepareShard(
  shardDir: string,
  global: GlobalStats,
  opts: { progress?: ProgressReporter } = {},
): Promise<ShardOutput> {
  const split = global.split;
  const k = shardIndex(split, shardDir);
  const progress = opts.progress ?? silentProgress;
  const config = split.config;
  const dir = split.shards[k];
  const s = statsFiles(dir);
  const g = globalFiles(split.dir);
  const out = preparedFiles(dir);
  await rm(out.dir, { recursive: true, force: true });
  await mkdir(out.dir, { recursive: true });
  progress.start(`shard ${k} sequences`, 4);
  const [custStart, item, type, tsMs, rank, itemMap, customerIds] = await Promise.all([
    readInt32(s.custStart),
    readInt32(s.item),
    readInt32(s.type),
    readFloat64(s.ts),
    readInt32(g.rank(k)),
    readInt32(g.itemMap(k)),
    readIds(s.customers),
  ]);
  const session = existsSync(s.session) ? await readInt32(s.session) : undefined;
  const events: SortedEvents = { n: item.length, custStart, item, type, tsMs, ...(session ? { session } : {}) };
  let plan: SplitPlan;
  if (config.split === 'loo') plan = leaveOneOutSplit(events);
  else if (config.split === 'customer') {
    const roles = await readInt8(g.roles);
    plan = customerSplitByRole(
      events,
      Int8Array.from(rank, (r) => roles[r]),
    );
  } else plan = temporalSplit(events, global.cutoffsMs![0], global.cutoffsMs![1]);
  progress.update({ step: `shard ${k} sequences`, done: 1, total: 4 });
  // the item counts the vocabulary takes (all events for loo, else the training rows), per global item
  const vocabFrom = config.vocabFrom ?? (config.split === 'loo' ? 'all' : 'train');
  const counts = new Int32Array(global.items);
  const ranges = vocabFrom === 'all' ? { start: custStart.subarray(0, -1), end: custStart.subarray(1) } : plan.train;
  for (let c = 0; c < ranges.start.length; c++) for (let i = ranges.start[c]; i < ranges.end[c]; i++) counts[itemMap[item[i]]]++;
  await writeArray(out.itemCounts, counts);
  const ctx: SequenceContext = {
    events,
    customerIds,
    rawToId: itemMap,
    maxSeqLen: config.maxSeqLen,
    sessionGapSeconds: config.sessionGapMinutes * 60,
  };
  const splits = {} as ShardOutput['splits'];
  for (const [j, part] of SPLIT_PARTS.entries()) {
    const p = part === 'train' ? plan.train : plan[part];
    const set = part === 'train' ? buildCustomerSequences(ctx, p) : buildEvalSet(ctx, plan[part as 'valid' | 'test']);
    const seq = 'history' in set ? set.history : set;
    splits[part] = {
      customers: seq.customerIds.length,
      events: seq.items.length,
      truncated: set.truncated,
      ...(part === 'train' ? {} : { skippedCustomers: plan.skipped[part as 'valid' | 'test'] }),
    };
    const file = new SequenceShardFile(out.arrow(part));
    try {
      file.write(set as ShardSet);
      file.close(set as ShardSet);
    } catch (e) {
      file.abort();
      throw e;
    }
    await writeArray(
      out.rank(part),
      Int32Array.from(p.cust, (c) => rank[c]),
    );
    progress.update({ step: `shard ${k} sequences`, done: 2 + j, total: 4 });
  }
  const output: ShardOutput = { shard: k, dir, splits };
  await writeJson(out.json, output);
  progress.finish(`shard ${k} sequences`, { customers: customerIds.length, events: events.n });
  return output;
}

/** An empty sequence set (the schema of an empty shard: CustomerSequences, or with `evalSet` an EvalSet). */
export function emptySet(evalSet: boolean): ShardSet {
  const history: CustomerSequences = {
    customerIds: [],
    offsets: new Int32Array(1),
    items: new Int32Array(0),
    types: new Int32Array(0),
    times: new Float64Array(0),
    sessions: new Int32Array(0),
  };
  if (!evalSet) return history;
  return { history, targets: new Int32Array(0), targetTypes: new Int32Array(0), targetTimes: new Float64Array(0) } as EvalSet;
}
