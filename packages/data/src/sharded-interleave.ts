/**
 * The per-customer parts of mergeShards: the shards' sequence files interleaved in global customer order (cut into
 * batches as one prep cuts them, items mapped to vocabulary ids), and the data hash over all shards' sorted events,
 * streamed in the order the single prep hashes them. Memory: one batch per shard and per-customer arrays.
 */
import { createHash } from 'node:crypto';
import type { CustomerSequences, EvalSet } from '@cfm/core';
import { BATCH_CUSTOMERS, SequenceShardFile, readSequenceShard, type SequenceShardBatch } from './shards';
import { ArrayReader, readIds, readInt32 } from './sharded-io';
import { emptySet } from './sharded-prepare';
import type { GlobalStats } from './sharded-types';
import { globalFiles } from './sharded-global';
import { statsFiles } from './sharded-stats';

/** One shard's part of a split: its sequence file (global item indices) and its customers' global ranks. */
export interface SplitPart {
  arrow: string;
  ranks: Int32Array;
}

/**
 * Write the parts as one sequence file in global customer order, every item and target mapped by `rawToId` (global
 * item index → vocabulary id). Same bytes as the single prep's file of the same customers.
 */
export async function interleaveSplit(parts: SplitPart[], rawToId: Int32Array, out: string, evalSet: boolean): Promise<void> {
  const readers = parts.map((p) => readSequenceShard(p.arrow)[Symbol.asyncIterator]());
  const state = parts.map(() => ({ batch: undefined as SequenceShardBatch | undefined, pos: 0, done: 0 }));
  const total = parts.reduce((a, p) => a + p.ranks.length, 0);
  const file = new SequenceShardFile(out);
  try {
    const pick: Array<{ b: SequenceShardBatch; i: number }> = [];
    for (let emitted = 0; emitted < total; emitted++) {
      // the shard whose next customer has the smallest global rank
      let best = -1;
      for (let k = 0; k < parts.length; k++) {
        const st = state[k];
        if (st.done < parts[k].ranks.length && (best < 0 || parts[k].ranks[st.done] < parts[best].ranks[state[best].done])) best = k;
      }
      const st = state[best];
      while (!st.batch || st.pos >= st.batch.sequences.customerIds.length) {
        const r = await readers[best].next();
        if (r.done) throw new Error(`${parts[best].arrow}: fewer customers than its ranks`);
        st.batch = r.value;
        st.pos = 0;
      }
      pick.push({ b: st.batch, i: st.pos++ });
      st.done++;
      if (pick.length === BATCH_CUSTOMERS || emitted === total - 1) {
        file.write(gather(pick, rawToId, evalSet));
        pick.length = 0;
      }
    }
    file.close(emptySet(evalSet));
  } catch (e) {
    file.abort();
    throw e;
  } finally {
    await Promise.all(readers.map((r) => r.return?.(undefined)));
  }
}

/** The picked customers as one set (offsets from 0), items and targets mapped to vocabulary ids. */
function gather(pick: Array<{ b: SequenceShardBatch; i: number }>, rawToId: Int32Array, evalSet: boolean): CustomerSequences | EvalSet {
  const m = pick.length;
  const offsets = new Int32Array(m + 1);
  for (let j = 0; j < m; j++) {
    const { b, i } = pick[j];
    offsets[j + 1] = offsets[j] + b.sequences.offsets[i + 1] - b.sequences.offsets[i];
  }
  const n = offsets[m];
  const withSessions = pick.every(({ b }) => b.sequences.sessions);
  const items = new Int32Array(n),
    types = new Int32Array(n),
    times = new Float64Array(n),
    sessions = withSessions ? new Int32Array(n) : undefined;
  const customerIds = new Array<string>(m);
  const targets = new Int32Array(m),
    targetTypes = new Int32Array(m),
    targetTimes = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    const { b, i } = pick[j];
    const s = b.sequences;
    const from = s.offsets[i],
      to = s.offsets[i + 1];
    customerIds[j] = s.customerIds[i];
    for (let a = from, d = offsets[j]; a < to; a++, d++) items[d] = rawToId[s.items[a]];
    types.set(s.types.subarray(from, to), offsets[j]);
    times.set(s.times.subarray(from, to), offsets[j]);
    if (sessions) sessions.set(s.sessions!.subarray(from, to), offsets[j]);
    if (evalSet) {
      targets[j] = rawToId[b.targets![i]];
      targetTypes[j] = b.targetTypes![i];
      targetTimes[j] = b.targetTimes![i];
    }
  }
  const history: CustomerSequences = { customerIds, offsets, items, types, times, ...(sessions ? { sessions } : {}) };
  return evalSet ? ({ history, targets, targetTypes, targetTimes } as EvalSet) : history;
}

/**
 * dataHash (manifest.ts) of all shards' sorted, de-duplicated events: the ids, the global custStart, then the raw item,
 * type and time of every event in global customer order, each column streamed from the shards' files.
 */
export async function mergedDataHash(global: GlobalStats, customerIds: string[], itemKeys: string[]): Promise<string> {
  const { split } = global;
  const g = globalFiles(split.dir);
  const nc = global.customers;
  const count = new Int32Array(nc);
  const shardOf = new Uint16Array(nc);
  const maps: Int32Array[] = [];
  for (let k = 0; k < split.n; k++) {
    const [cs, rank] = await Promise.all([readInt32(statsFiles(split.shards[k]).custStart), readInt32(g.rank(k))]);
    for (let c = 0; c < rank.length; c++) {
      count[rank[c]] = cs[c + 1] - cs[c];
      shardOf[rank[c]] = k;
    }
    maps.push(await readInt32(g.itemMap(k)));
  }
  const custStart = new Int32Array(nc + 1);
  for (let r = 0; r < nc; r++) custStart[r + 1] = custStart[r] + count[r];
  const h = createHash('sha256');
  h.update(customerIds.join('\n')).update('\0').update(itemKeys.join('\n')).update('\0');
  const bytes = (a: Int32Array | Float64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  h.update(bytes(custStart));
  const columns = [
    { file: (d: string) => statsFiles(d).item, make: (n: number) => new Int32Array(n), map: true },
    { file: (d: string) => statsFiles(d).type, make: (n: number) => new Int32Array(n), map: false },
    { file: (d: string) => statsFiles(d).ts, make: (n: number) => new Float64Array(n), map: false },
  ];
  for (const col of columns) {
    const readers = split.shards.map((d) => new ArrayReader<Int32Array | Float64Array>(col.file(d), col.make));
    const buf = col.make(1 << 18);
    let used = 0;
    try {
      for (let r = 0; r < nc; r++) {
        const k = shardOf[r];
        const v = readers[k].take(count[r]);
        if (used + v.length > buf.length) {
          h.update(bytes(buf.subarray(0, used)));
          used = 0;
        }
        if (v.length > buf.length) h.update(bytes(col.map ? Int32Array.from(v, (x) => maps[k][x]) : v));
        else if (col.map) {
          const m = maps[k];
          for (let i = 0; i < v.length; i++) buf[used + i] = m[v[i]];
          used += v.length;
        } else {
          buf.set(v, used);
          used += v.length;
        }
      }
      h.update(bytes(buf.subarray(0, used)));
    } finally {
      readers.forEach((x) => x.close());
    }
  }
  return h.digest('hex').slice(0, 16);
}

/** The ids the global orders list (customers, items). */
export async function globalIds(global: GlobalStats): Promise<{ customerIds: string[]; itemKeys: string[] }> {
  const g = globalFiles(global.split.dir);
  const [customerIds, itemKeys] = await Promise.all([readIds(g.customers), readIds(g.items)]);
  return { customerIds, itemKeys };
}
