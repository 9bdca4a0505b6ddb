/** Next-item training batches (SASRec, paper §III-E): each window of n + 1 items gives the input ids (the first n)
 * and, at every position, the next item as target (the last n); positions whose input is padding are left out. */
import type { CustomerSequences } from '@cfm/core';
import { nextTokenBatch, sequenceWindows, WindowBatches, type TargetBatch, type Windows } from '@cfm/tensor';

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
    const { batchSize, maxLen, items, positions, labels } = nextTokenBatch(this.seqs, this.order, epoch, index, this.o.maxLen);
    return { batchSize, maxLen, items, positions, labels };
  }
}
