import type { CustomerSequences, EvalSet } from '@cfm/core';
import type { EvalPart, SortedEvents, TrainPart } from './split';

export interface SequenceContext {
  events: SortedEvents;
  customerIds: string[];
  /** raw item index → item vocab id */
  rawToId: Int32Array;
  /** keep at most this many most recent events per customer */
  maxSeqLen: number;
  /** inactivity gap that starts a new session when the source has no session ids (default 30 min) */
  sessionGapSeconds?: number;
  /** arrays free for reuse (at least `events.n` long to be used): the per-event arrays are taken from them */
  scratch?: { int32: Int32Array[]; float64: Float64Array[] };
}

/** Per event, computed once per context and shared by every split: vocab item id, time in s, session index. */
interface PerEvent {
  items: Int32Array;
  times: Float64Array;
  /** session index within the customer's whole sorted history (a split's index = this minus its first token's) */
  sessions: Int32Array;
}
const perEventCache = new WeakMap<SequenceContext, PerEvent>();

function perEvent(ctx: SequenceContext): PerEvent {
  const cached = perEventCache.get(ctx);
  if (cached) return cached;
  const { item, tsMs, session, custStart, n } = ctx.events;
  const rawToId = ctx.rawToId;
  // (every element is written below, so reused arrays need no clearing)
  const take = <T extends Int32Array | Float64Array>(free: T[] | undefined, make: (n: number) => T): T => {
    const i = free?.findIndex((a) => a.length >= n) ?? -1;
    return i < 0 ? make(n) : (free!.splice(i, 1)[0].subarray(0, n) as T);
  };
  const items = take(ctx.scratch?.int32, (m) => new Int32Array(m)),
    times = take(ctx.scratch?.float64, (m) => new Float64Array(m));
  for (let i = 0; i < n; i++) {
    items[i] = rawToId[item[i]];
    times[i] = tsMs[i] / 1000;
  }
  // the rule of assignSessions, over each customer's full history: a new session when the key changes (both keys
  // >= 0), else (no key on either side) after a gap longer than gapSeconds (one loop per case: no test of
  // `session` per event)
  const gap = ctx.sessionGapSeconds ?? 30 * 60;
  const sessions = take(ctx.scratch?.int32, (m) => new Int32Array(m));
  // the rest is let go (the lists are emptied: the caller may still hold them)
  if (ctx.scratch) ctx.scratch.int32.length = ctx.scratch.float64.length = 0;
  const nc = custStart.length - 1;
  for (let c = 0; c < nc; c++) {
    const s = custStart[c],
      e = custStart[c + 1];
    if (e > s) sessions[s] = 0; // (a reused array is not zeroed)
    let k = 0;
    if (session)
      for (let i = s + 1; i < e; i++) {
        const a = session[i - 1],
          b = session[i];
        if (a >= 0 && b >= 0 ? a !== b : times[i] - times[i - 1] > gap) k++;
        sessions[i] = k;
      }
    else
      for (let i = s + 1; i < e; i++) {
        if (times[i] - times[i - 1] > gap) k++;
        sessions[i] = k;
      }
  }
  const out = { items, times, sessions };
  perEventCache.set(ctx, out);
  return out;
}

/**
 * Customer sequences (CSR) of the rows [start, end) of each customer, keeping the most recent maxSeqLen.
 * Items, times and session indices are computed once per event (perEvent) and copied per split, so a split
 * costs plain copies; the sessions equal assignSessions on the truncated sequence (its index restarts at 0).
 */
export function buildCustomerSequences(ctx: SequenceContext, part: TrainPart): CustomerSequences & { truncated: number } {
  const m = part.cust.length;
  const offsets = new Int32Array(m + 1);
  let truncated = 0;
  for (let k = 0; k < m; k++) {
    const len = part.end[k] - part.start[k];
    if (len > ctx.maxSeqLen) truncated += len - ctx.maxSeqLen;
    offsets[k + 1] = offsets[k] + Math.min(len, ctx.maxSeqLen);
  }
  const total = offsets[m];
  const pe = perEvent(ctx);
  const items = new Int32Array(total),
    types = new Int32Array(total),
    times = new Float64Array(total),
    sessions = new Int32Array(total);
  const { type } = ctx.events;
  const { items: peItems, times: peTimes, sessions: peSessions } = pe;
  const ends = part.end;
  for (let k = 0; k < m; k++) {
    const dst = offsets[k];
    const end = ends[k];
    const src = end - (offsets[k + 1] - dst);
    const first = peSessions[src];
    // plain loops: a subarray() per customer and array costs more than the copy of ~100 values
    for (let i = src, j = dst; i < end; i++, j++) {
      items[j] = peItems[i];
      types[j] = type[i];
      times[j] = peTimes[i];
      sessions[j] = peSessions[i] - first;
    }
  }
  const customerIds = Array.from(part.cust, (c) => ctx.customerIds[c]);
  const seq: CustomerSequences = { customerIds, offsets, items, types, times, sessions };
  return { ...seq, truncated };
}

/** Eval set: each customer's history (strictly before the target row) and the target's item and type. */
export function buildEvalSet(ctx: SequenceContext, part: EvalPart): EvalSet & { truncated: number } {
  const { truncated, ...history } = buildCustomerSequences(ctx, part);
  const targets = new Int32Array(part.target.length);
  const targetTypes = new Int32Array(part.target.length);
  const targetTimes = new Float64Array(part.target.length);
  const pe = perEvent(ctx);
  part.target.forEach((row, k) => {
    targets[k] = pe.items[row];
    targetTypes[k] = ctx.events.type[row];
    targetTimes[k] = pe.times[row];
  });
  return { history, targets, targetTypes, targetTimes, truncated } as EvalSet & { truncated: number };
}

/** Number of customers in a CSR set. */
export const customerCount = (s: CustomerSequences) => s.customerIds.length;
