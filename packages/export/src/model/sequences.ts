import { CfmError, type CustomerSequences, type EvalSet } from '@cfm/core';

/** 'YYYY-MM-DD' (UTC midnight) or an ISO timestamp → epoch seconds. */
export function asOfSeconds(asOf: string): number {
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(asOf) ? `${asOf}T00:00:00Z` : asOf);
  if (!Number.isFinite(ms)) throw new CfmError('CFM_E_CONFIG', `expected a date like 2024-03-01, got "${asOf}"`, { field: 'asOf' });
  return ms / 1000;
}

/** Each customer's whole known history: an eval set's history with its target appended (the target
 * is the latest event). Needs the target times that loadPrepared's eval sets carry. */
export function fullSequences(set: EvalSet & { targetTimes?: Float64Array }): CustomerSequences {
  const h = set.history;
  const n = h.customerIds.length;
  if (!set.targetTimes) throw new CfmError('CFM_E_MISSING_COLUMN', 'eval set has no target times', { field: 'targetTimes' });
  const total = h.items.length + n;
  const out: CustomerSequences = {
    customerIds: h.customerIds,
    offsets: new Int32Array(n + 1),
    items: new Int32Array(total),
    types: new Int32Array(total),
    times: new Float64Array(total),
  };
  let t = 0;
  for (let c = 0; c < n; c++) {
    const s = h.offsets[c],
      e = h.offsets[c + 1];
    out.items.set(h.items.subarray(s, e), t);
    out.types.set(h.types.subarray(s, e), t);
    out.times.set(h.times.subarray(s, e), t);
    t += e - s;
    out.items[t] = set.targets[c];
    out.types[t] = set.targetTypes?.[c] ?? 0;
    out.times[t] = set.targetTimes[c];
    t++;
    out.offsets[c + 1] = t;
  }
  return out;
}

/** Per customer, the end offset (exclusive) of its events strictly before `asOfSec` (point-in-time:
 * nothing at or after the as-of instant is seen). Times within a customer are chronological. */
export function asOfEnds(seqs: CustomerSequences, asOfSec: number): Int32Array {
  const n = seqs.customerIds.length;
  const ends = new Int32Array(n);
  for (let c = 0; c < n; c++) {
    let lo = seqs.offsets[c],
      hi = seqs.offsets[c + 1];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (seqs.times[mid] < asOfSec) lo = mid + 1;
      else hi = mid;
    }
    ends[c] = lo;
  }
  return ends;
}

/** Customers with at least one event before the cut, ordered by history length (then index) so that
 * batches pad little. */
export function exportOrder(seqs: CustomerSequences, ends: Int32Array, maxLen: number): number[] {
  const rows: number[] = [];
  for (let c = 0; c < ends.length; c++) if (ends[c] > seqs.offsets[c]) rows.push(c);
  const len = (c: number) => Math.min(maxLen, ends[c] - seqs.offsets[c]);
  return rows.sort((a, b) => len(a) - len(b) || a - b);
}

/** Cut customers already ordered by length (`exportOrder`) into batches of at most `batchSize` rows and
 * at most `maxTokens` padded tokens (rows × the batch's longest length, +1 for an appended [MASK]), so that
 * the long tail of a short-sequence dataset does not pad a whole batch to maxLen. A row longer than the
 * budget on its own still gets a batch. Returns [start, end) ranges into `order`. */
export function exportBatches(
  order: ArrayLike<number>,
  length: (c: number) => number,
  batchSize: number,
  maxTokens = Infinity,
): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < order.length;) {
    let j = i + 1;
    while (j < order.length && j - i < batchSize && (j - i + 1) * (length(order[j]) + 1) <= maxTokens) j++;
    out.push([i, j]);
    i = j;
  }
  return out;
}

/** Every customer of a prepared dataset with their whole known history: the test set's history +
 * target, then customers only in valid (history + target), then customers only in train. */
export function allCustomers(data: { train: CustomerSequences; valid: EvalSet; test: EvalSet }): CustomerSequences {
  const parts: CustomerSequences[] = [];
  const seen = new Set<string>();
  const take = (s: CustomerSequences) => {
    const rows = s.customerIds.map((_, c) => c).filter((c) => !seen.has(s.customerIds[c]));
    rows.forEach((c) => seen.add(s.customerIds[c]));
    parts.push(pick(s, rows));
  };
  for (const set of [data.test, data.valid] as Array<EvalSet & { targetTimes?: Float64Array }>) {
    if (set.targetTimes && set.history.customerIds.length) take(fullSequences(set));
  }
  take(data.train);
  return concatSequences(parts);
}

function pick(s: CustomerSequences, rows: number[]): CustomerSequences {
  const total = rows.reduce((a, c) => a + s.offsets[c + 1] - s.offsets[c], 0);
  const out: CustomerSequences = {
    customerIds: rows.map((c) => s.customerIds[c]),
    offsets: new Int32Array(rows.length + 1),
    items: new Int32Array(total),
    types: new Int32Array(total),
    times: new Float64Array(total),
  };
  let t = 0;
  rows.forEach((c, r) => {
    const a = s.offsets[c],
      b = s.offsets[c + 1];
    out.items.set(s.items.subarray(a, b), t);
    out.types.set(s.types.subarray(a, b), t);
    out.times.set(s.times.subarray(a, b), t);
    t += b - a;
    out.offsets[r + 1] = t;
  });
  return out;
}

function concatSequences(parts: CustomerSequences[]): CustomerSequences {
  const rows = parts.reduce((a, p) => a + p.customerIds.length, 0);
  const total = parts.reduce((a, p) => a + p.items.length, 0);
  const out: CustomerSequences = {
    customerIds: [],
    offsets: new Int32Array(rows + 1),
    items: new Int32Array(total),
    types: new Int32Array(total),
    times: new Float64Array(total),
  };
  let c = 0,
    t = 0;
  for (const p of parts) {
    p.customerIds.forEach((id) => out.customerIds.push(id));
    for (let k = 1; k < p.offsets.length; k++) out.offsets[c + k] = t + p.offsets[k];
    out.items.set(p.items, t);
    out.types.set(p.types, t);
    out.times.set(p.times, t);
    c += p.customerIds.length;
    t += p.items.length;
  }
  return out;
}
