/** Sessions of (item, event) pairs in flat CSR form, the unit the session heads train on (MeLi §3). */
import { CfmError, type CustomerSequences } from '@cfm/core';

export interface SessionSet {
  /** [sessions + 1]; session s owns positions offsets[s] .. offsets[s+1]-1 */
  offsets: Int32Array;
  /** item index of each event (0 .. items-1, the row of the item in ItemAttributes) */
  items: Int32Array;
  /** 1 = buy event, 0 = view (every other interaction) */
  buys: Uint8Array;
  /** start time of each session (epoch ms), for chronological splits */
  start: Float64Array;
}

export const sessionCount = (s: SessionSet): number => s.offsets.length - 1;
export const sessionLength = (s: SessionSet, i: number): number => s.offsets[i + 1] - s.offsets[i];

/** A session ends in a purchase when its last event is a buy (paper Fig. 1). */
export const endsInPurchase = (s: SessionSet, i: number): boolean => s.offsets[i + 1] > s.offsets[i] && s.buys[s.offsets[i + 1] - 1] === 1;

/** Build sessions from rows grouped by session (rows of one session contiguous and in time order).
 * Consecutive events on the same item collapse into one (a buy wins), so a session is a walk over items. */
export function buildSessions(
  rows: { session: ArrayLike<number>; item: ArrayLike<number>; buy: ArrayLike<number>; ts: ArrayLike<number> },
  minLength = 1,
): SessionSet {
  const offsets = [0];
  const items: number[] = [];
  const buys: number[] = [];
  const start: number[] = [];
  const n = rows.session.length;
  let i = 0;
  while (i < n) {
    let j = i;
    const from = items.length;
    while (j < n && rows.session[j] === rows.session[i]) {
      if (j > i && rows.ts[j] < rows.ts[j - 1])
        throw new CfmError('CFM_E_ROW_SCHEMA', 'session rows out of time order', { row: j, field: 'ts' });
      if (items.length > from && items[items.length - 1] === rows.item[j]) buys[buys.length - 1] ||= rows.buy[j] ? 1 : 0;
      else {
        items.push(rows.item[j]);
        buys.push(rows.buy[j] ? 1 : 0);
      }
      j++;
    }
    if (items.length - from >= minLength) {
      offsets.push(items.length);
      start.push(rows.ts[i]);
    } else {
      items.length = from;
      buys.length = from;
    }
    i = j;
  }
  return { offsets: Int32Array.from(offsets), items: Int32Array.from(items), buys: Uint8Array.from(buys), start: Float64Array.from(start) };
}

/** Sessions of a PreparedDataset's customer sequences (sessions from `@cfm/data`'s builder); item index = vocab id. */
export function sessionsFromSequences(seq: CustomerSequences, buyType: number, minLength = 1): SessionSet {
  if (!seq.sessions) throw new CfmError('CFM_E_DATASET', 'sequences carry no session index (prepare with sessions)', { field: 'sessions' });
  const key = new Float64Array(seq.items.length);
  let k = 0;
  for (let c = 0; c + 1 < seq.offsets.length; c++)
    for (let i = seq.offsets[c]; i < seq.offsets[c + 1]; i++)
      key[i] = i > seq.offsets[c] && seq.sessions[i] === seq.sessions[i - 1] ? k : ++k;
  const buy = Uint8Array.from(seq.types, (t) => (t === buyType ? 1 : 0));
  return buildSessions({ session: key, item: seq.items, buy, ts: Float64Array.from(seq.times, (t) => t * 1000) }, minLength);
}

/** The sessions at the given indices, in that order. */
export function subset(s: SessionSet, idx: ArrayLike<number>): SessionSet {
  const offsets = new Int32Array(idx.length + 1);
  for (let k = 0; k < idx.length; k++) offsets[k + 1] = offsets[k] + sessionLength(s, idx[k]);
  const items = new Int32Array(offsets[idx.length]);
  const buys = new Uint8Array(items.length);
  const start = new Float64Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    const a = s.offsets[idx[k]];
    items.set(s.items.subarray(a, s.offsets[idx[k] + 1]), offsets[k]);
    buys.set(s.buys.subarray(a, s.offsets[idx[k] + 1]), offsets[k]);
    start[k] = s.start[idx[k]];
  }
  return { offsets, items, buys, start };
}

/** Chronological split by session start: fractions of sessions in time order (e.g. [0.7, 0.15, 0.15]). */
export function chronologicalSplit(s: SessionSet, fractions: number[]): SessionSet[] {
  const order = Array.from({ length: sessionCount(s) }, (_, i) => i).sort((a, b) => s.start[a] - s.start[b] || a - b);
  const out: SessionSet[] = [];
  let from = 0;
  let acc = 0;
  for (const f of fractions) {
    acc += f;
    const to = Math.round(acc * order.length);
    out.push(subset(s, order.slice(from, to)));
    from = to;
  }
  return out;
}
