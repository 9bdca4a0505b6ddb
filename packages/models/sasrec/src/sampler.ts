/** Next-item training batches (SASRec, paper §III-E): each window of n + 1 items gives the input ids (the first n)
 * and, at every position, the next item as target (the last n); positions whose input is padding are left out. */
import { PAD, padBatch, type CustomerSequences } from '@cfm/core';
import { sequenceWindows, WindowBatches, type TargetBatch, type Windows } from '@cfm/tensor';

/** [B, L] input ids (L at most the config's maxLen); labels: the item after each real input position */
export type ShiftedBatch = TargetBatch;

/** Training instances: (customer, end) windows of at most maxLen + 1 items ending at `end`, every
 * stride × maxLen items back from the last one, while a window still holds one transition. */
export function windows(seqs: CustomerSequences, maxLen: number, stride: number): Windows {
  return sequenceWindows(seqs, { span: maxLen + 1, step: Math.round(stride * maxLen), minItems: 2, minSequence: 2 });
}

export class NextItemSampler {
  private readonly order: WindowBatches;
  constructor(
    readonly seqs: CustomerSequences,
    readonly o: { maxLen: number; batchSize: number; windowStride: number; seed: number },
  ) {
    this.order = new WindowBatches(windows(seqs, o.maxLen, o.windowStride), o.batchSize, o.seed);
  }
  get batchesPerEpoch(): number {
    return this.order.batchesPerEpoch;
  }
  /** deterministic in (seed, epoch, index) */
  batch(epoch: number, index: number): ShiftedBatch {
    const { customers, ends } = this.order.customersAndEnds(this.order.rows(epoch, index));
    const pb = padBatch(this.seqs, customers, { maxLen: this.o.maxLen + 1, ends });
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
