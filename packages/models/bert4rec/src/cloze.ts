/** Cloze training batches (paper §3.6): random items of each sequence are replaced by [MASK]
 * (always [MASK], as the reference code does) and predicted; some sequences mask only their last item. */
import { MASK, PAD, createRng, type CustomerSequences } from '@cfm/core';
import { lengthBuckets, padBatch } from '@cfm/tensor';

export interface ClozeBatch {
  batchSize: number;
  maxLen: number;
  /** [B, L] input ids with [MASK] at masked positions */
  items: Int32Array;
  /** flat indices b * L + t of masked positions */
  positions: Int32Array;
  /** original item at each masked position */
  labels: Int32Array;
}

/** Training instances: (customer, end) windows of at most maxLen items ending at `end`. */
export function windows(seqs: CustomerSequences, maxLen: number, stride: number): { customers: Int32Array; ends: Int32Array; lengths: Int32Array } {
  const c: number[] = [];
  const e: number[] = [];
  const step = Math.max(1, Math.round(stride * maxLen));
  for (let u = 0; u < seqs.customerIds.length; u++) {
    const start = seqs.offsets[u];
    const end = seqs.offsets[u + 1];
    if (end - start < 2) continue; // nothing to learn from a single item
    for (let x = end; x > start; x -= step) {
      c.push(u);
      e.push(x);
      if (x - maxLen <= start) break;
    }
  }
  const customers = Int32Array.from(c);
  const ends = Int32Array.from(e);
  const lengths = Int32Array.from(c, (u, i) => Math.min(maxLen, ends[i] - seqs.offsets[u]));
  return { customers, ends, lengths };
}

export class ClozeSampler {
  readonly inst: ReturnType<typeof windows>;
  private epochBatches = new Map<number, number[][]>();
  constructor(readonly seqs: CustomerSequences, readonly o: { maxLen: number; batchSize: number; maskProb: number; lastItemMaskProb: number; windowStride: number; seed: number }) {
    this.inst = windows(seqs, o.maxLen, o.windowStride);
  }
  get batchesPerEpoch(): number {
    return Math.ceil(this.inst.customers.length / this.o.batchSize);
  }
  private order(epoch: number): number[][] {
    let b = this.epochBatches.get(epoch);
    if (!b) {
      this.epochBatches.clear();
      b = lengthBuckets(this.inst.lengths, this.o.batchSize, createRng(this.o.seed).fork(`epoch/${epoch}`));
      this.epochBatches.set(epoch, b);
    }
    return b;
  }
  /** deterministic in (seed, epoch, index) */
  batch(epoch: number, index: number): ClozeBatch {
    const rows = this.order(epoch)[index];
    const pb = padBatch(this.seqs, rows.map((r) => this.inst.customers[r]), { maxLen: this.o.maxLen, ends: Int32Array.from(rows, (r) => this.inst.ends[r]) });
    const rng = createRng(this.o.seed).fork(`mask/${epoch}/${index}`);
    const items = pb.items;
    const L = pb.maxLen;
    const pos: number[] = [];
    const labels: number[] = [];
    for (let b = 0; b < pb.batchSize; b++) {
      const row = b * L;
      const onlyLast = rng.next() < this.o.lastItemMaskProb;
      let first = L;
      while (first > 0 && items[row + first - 1] !== PAD) first--;
      const chosen: number[] = [];
      if (onlyLast) chosen.push(L - 1);
      else for (let t = first; t < L; t++) if (rng.next() < this.o.maskProb) chosen.push(t);
      if (!chosen.length) chosen.push(first + rng.int(L - first));
      for (const t of chosen) {
        pos.push(row + t);
        labels.push(items[row + t]);
        items[row + t] = MASK;
      }
    }
    return { batchSize: pb.batchSize, maxLen: L, items, positions: Int32Array.from(pos), labels: Int32Array.from(labels) };
  }
}
