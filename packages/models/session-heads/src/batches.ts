/** Padded training batches of sessions with the label positions of the four tasks. */
import { createRng } from '@cfm/core';
import { endsInPurchase, sessionCount, sessionLength, type SessionSet } from './sessions';

export interface SessionBatch {
  batchSize: number;
  maxLen: number;
  /** [B, L] item index, left-padded with 0 */
  items: Int32Array;
  /** [B, L] 1 = event */
  mask: Float32Array;
  /** flat positions (row·L + t) of every event, with this-item purchase and session purchase labels */
  eventPos: Int32Array;
  buyLabels: Float32Array;
  sessionLabels: Float32Array;
  /** positions that have a next event, and that event's item */
  nextPos: Int32Array;
  nextItems: Int32Array;
  /** positions before the last event of sessions ending in a purchase, and the purchased item */
  purchasedPos: Int32Array;
  purchasedItems: Int32Array;
}

/** The most recent `maxLen` events of each listed session, left-padded to the longest of them. */
export function makeBatch(s: SessionSet, idx: ArrayLike<number>, maxLen: number): SessionBatch {
  const B = idx.length;
  let L = 1;
  for (let r = 0; r < B; r++) L = Math.max(L, Math.min(maxLen, sessionLength(s, idx[r])));
  const items = new Int32Array(B * L);
  const mask = new Float32Array(B * L);
  const ev: number[] = [],
    buy: number[] = [],
    sess: number[] = [],
    np: number[] = [],
    ni: number[] = [],
    pp: number[] = [],
    pi: number[] = [];
  for (let r = 0; r < B; r++) {
    const k = idx[r];
    const end = s.offsets[k + 1];
    const n = Math.min(L, end - s.offsets[k]);
    const bought = endsInPurchase(s, k);
    for (let t = 0; t < n; t++) {
      const src = end - n + t;
      const pos = r * L + (L - n) + t;
      items[pos] = s.items[src];
      mask[pos] = 1;
      ev.push(pos);
      buy.push(s.buys[src]);
      sess.push(bought ? 1 : 0);
      if (t < n - 1) {
        np.push(pos);
        ni.push(s.items[src + 1]);
        if (bought) {
          pp.push(pos);
          pi.push(s.items[end - 1]);
        }
      }
    }
  }
  return {
    batchSize: B,
    maxLen: L,
    items,
    mask,
    eventPos: Int32Array.from(ev),
    buyLabels: Float32Array.from(buy),
    sessionLabels: Float32Array.from(sess),
    nextPos: Int32Array.from(np),
    nextItems: Int32Array.from(ni),
    purchasedPos: Int32Array.from(pp),
    purchasedItems: Int32Array.from(pi),
  };
}

/** Sessions with at least two events, shuffled per epoch from (seed, epoch): batch(e, i) is a pure function. */
export class SessionSampler {
  readonly usable: Int32Array;
  private cache: { epoch: number; order: Int32Array } | undefined;
  constructor(
    readonly sessions: SessionSet,
    readonly o: { batchSize: number; maxLen: number; seed: number },
  ) {
    const keep: number[] = [];
    for (let k = 0; k < sessionCount(sessions); k++) if (sessionLength(sessions, k) >= 2) keep.push(k);
    this.usable = Int32Array.from(keep);
  }
  get batchesPerEpoch(): number {
    return Math.max(1, Math.ceil(this.usable.length / this.o.batchSize));
  }
  batch(epoch: number, i: number): SessionBatch {
    if (this.cache?.epoch !== epoch) {
      const order = Array.from(this.usable);
      createRng(this.o.seed).fork(`epoch-${epoch}`).shuffle(order);
      this.cache = { epoch, order: Int32Array.from(order) };
    }
    return makeBatch(this.sessions, this.cache.order.subarray(i * this.o.batchSize, (i + 1) * this.o.batchSize), this.o.maxLen);
  }
  /** every usable session once, in order (validation) */
  *all(): Generator<SessionBatch> {
    for (let i = 0; i < this.usable.length; i += this.o.batchSize)
      yield makeBatch(this.sessions, this.usable.subarray(i, i + this.o.batchSize), this.o.maxLen);
  }
}
