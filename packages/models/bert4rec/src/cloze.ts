/** Cloze training batches (paper §3.6): random items of each sequence are replaced by [MASK]
 * (always [MASK], as the reference code does) and predicted; some sequences mask only their last item. */
import { MASK, PAD, createRng, padBatch, type CustomerSequences } from '@cfm/core';
import { sequenceWindows, WindowBatches, type TargetBatch, type Windows } from '@cfm/tensor';

/** [B, L] input ids with [MASK] at the masked positions; labels: the original items there */
export type ClozeBatch = TargetBatch;

/** Training instances: (customer, end) windows of at most maxLen items ending at `end`, every stride × maxLen items
 * back from the last one (sequences of one item give none). */
export function windows(seqs: CustomerSequences, maxLen: number, stride: number): Windows {
  return sequenceWindows(seqs, { span: maxLen, step: Math.round(stride * maxLen), minItems: 1, minSequence: 2 });
}

export class ClozeSampler {
  private readonly order: WindowBatches;
  constructor(
    readonly seqs: CustomerSequences,
    readonly o: { maxLen: number; batchSize: number; maskProb: number; lastItemMaskProb: number; windowStride: number; seed: number },
  ) {
    this.order = new WindowBatches(windows(seqs, o.maxLen, o.windowStride), o.batchSize, o.seed);
  }
  get batchesPerEpoch(): number {
    return this.order.batchesPerEpoch;
  }
  /** deterministic in (seed, epoch, index) */
  batch(epoch: number, index: number): ClozeBatch {
    const { customers, ends } = this.order.customersAndEnds(this.order.rows(epoch, index));
    const pb = padBatch(this.seqs, customers, { maxLen: this.o.maxLen, ends });
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
