/** Next-item training batches (SASRec, paper §III-E): each window of n + 1 items gives the input ids (the first n)
 * and, at every position, the next item as target (the last n); positions whose input is padding are left out. */
import { PAD, createRng, type CustomerSequences } from '@cfm/core';
import { lengthBuckets, padBatch } from '@cfm/tensor';

export interface ShiftedBatch {
  batchSize: number;
  /** columns of `items` (at most the config's maxLen) */
  maxLen: number;
  /** [B, L] input ids, left-padded */
  items: Int32Array;
  /** flat indices b * L + t of the real input positions */
  positions: Int32Array;
  /** the item after each of those positions */
  labels: Int32Array;
}

/** Training instances: (customer, end) windows of at most maxLen + 1 items ending at `end`, every
 * stride × maxLen items back from the last one, while a window still holds one transition. */
export function windows(seqs: CustomerSequences, maxLen: number, stride: number): { customers: Int32Array; ends: Int32Array; lengths: Int32Array } {
  const c: number[] = [];
  const e: number[] = [];
  const step = Math.max(1, Math.round(stride * maxLen));
  for (let u = 0; u < seqs.customerIds.length; u++) {
    const start = seqs.offsets[u];
    for (let x = seqs.offsets[u + 1]; x - start >= 2; x -= step) {
      c.push(u);
      e.push(x);
      if (x - (maxLen + 1) <= start) break;
    }
  }
  const customers = Int32Array.from(c);
  const ends = Int32Array.from(e);
  const lengths = Int32Array.from(c, (u, i) => Math.min(maxLen + 1, ends[i] - seqs.offsets[u]));
  return { customers, ends, lengths };
}

export class NextItemSampler {
  readonly inst: ReturnType<typeof windows>;
  private epochBatches = new Map<number, number[][]>();
  constructor(readonly seqs: CustomerSequences, readonly o: { maxLen: number; batchSize: number; windowStride: number; seed: number }) {
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
  batch(epoch: number, index: number): ShiftedBatch {
    const rows = this.order(epoch)[index];
    const pb = padBatch(this.seqs, rows.map((r) => this.inst.customers[r]), { maxLen: this.o.maxLen + 1, ends: Int32Array.from(rows, (r) => this.inst.ends[r]) });
    const W = pb.maxLen; // ≥ 2: every window holds a transition
    const L = W - 1;
    const items = new Int32Array(pb.batchSize * L);
    const pos: number[] = [];
    const labels: number[] = [];
    for (let b = 0; b < pb.batchSize; b++) {
      items.set(pb.items.subarray(b * W, b * W + L), b * L);
      for (let t = 0; t < L; t++) {
        if (pb.items[b * W + t] === PAD) continue;
        pos.push(b * L + t);
        labels.push(pb.items[b * W + t + 1]);
      }
    }
    return { batchSize: pb.batchSize, maxLen: L, items, positions: Int32Array.from(pos), labels: Int32Array.from(labels) };
  }
}
