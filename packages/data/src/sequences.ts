import type { CustomerSequences, EvalSet } from '@cfm/core';
import { assignSessions } from './sessions';
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
}

/** Customer sequences (CSR) of the rows [start, end) of each customer, keeping the most recent maxSeqLen. */
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
  const items = new Int32Array(total), types = new Int32Array(total), times = new Float64Array(total);
  const { item, type, tsMs, session } = ctx.events;
  const keys = session ? new Int32Array(total) : undefined;
  for (let k = 0; k < m; k++) {
    const len = offsets[k + 1] - offsets[k];
    const src = part.end[k] - len;
    let dst = offsets[k];
    for (let i = src; i < part.end[k]; i++, dst++) {
      items[dst] = ctx.rawToId[item[i]];
      types[dst] = type[i];
      times[dst] = tsMs[i] / 1000;
      if (keys) keys[dst] = session![i];
    }
  }
  const customerIds = Array.from(part.cust, (c) => ctx.customerIds[c]);
  const seq: CustomerSequences = { customerIds, offsets, items, types, times };
  seq.sessions = assignSessions(seq, { keys, gapSeconds: ctx.sessionGapSeconds });
  return { ...seq, truncated };
}

/** Eval set: each customer's history (strictly before the target row) and the target's item and type. */
export function buildEvalSet(ctx: SequenceContext, part: EvalPart): EvalSet & { truncated: number } {
  const { truncated, ...history } = buildCustomerSequences(ctx, part);
  const targets = new Int32Array(part.target.length);
  const targetTypes = new Int32Array(part.target.length);
  const targetTimes = new Float64Array(part.target.length);
  part.target.forEach((row, k) => {
    targets[k] = ctx.rawToId[ctx.events.item[row]];
    targetTypes[k] = ctx.events.type[row];
    targetTimes[k] = ctx.events.tsMs[row] / 1000;
  });
  return { history, targets, targetTypes, targetTimes, truncated } as EvalSet & { truncated: number };
}

/** Number of customers in a CSR set. */
export const customerCount = (s: CustomerSequences) => s.customerIds.length;
