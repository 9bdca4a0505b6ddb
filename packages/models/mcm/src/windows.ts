/** Training batches of the causal objective: windows of maxLen + 1 tokens (every windowStride × maxLen back from each
 * customer's last token); the first maxLen are the input, and every real input position's next token is a label, so
 * one pass trains every prefix of the window. With `negatives`, the item task's candidates are the batch's labels +
 * uniform negatives with their logQ (as the prefix sampler's). Deterministic in (seed, epoch, index). */
import { createRng, type CustomerSequences } from '@cfm/core';
import { nextTokenBatch, sequenceWindows, WindowBatches } from '@cfm/tensor';
import { inclusionLogProb, sampledCandidates } from './samples';

export interface McmWindowBatch {
  batchSize: number;
  maxLen: number;
  /** [B, L] left-padded input items and token types */
  items: Int32Array;
  types: Int32Array;
  /** flat indices b·L + t of the positions with a next token, and that token (item) */
  positions: Int32Array;
  labels: Int32Array;
  candidates?: Int32Array;
  labelIndex?: Int32Array;
  candidateLogQ?: Float32Array;
}

export interface WindowSamplerOptions {
  maxLen: number;
  batchSize: number;
  /** default 0.5 */
  windowStride?: number;
  seed: number;
  itemCount?: number;
  negatives?: number;
  samplingCorrection?: boolean;
}

export class McmWindowSampler {
  private readonly order: WindowBatches;
  private readonly logQ: Float32Array | null = null;
  constructor(
    readonly seqs: CustomerSequences,
    readonly o: WindowSamplerOptions,
  ) {
    const w = sequenceWindows(seqs, {
      span: o.maxLen + 1,
      step: Math.round((o.windowStride ?? 0.5) * o.maxLen),
      minItems: 2,
      minSequence: 2,
    });
    this.order = new WindowBatches(w, o.batchSize, o.seed);
    if (o.negatives && o.itemCount && o.samplingCorrection === true) {
      const eligible: number[] = [];
      for (let c = 0; c < seqs.customerIds.length; c++) if (seqs.offsets[c + 1] - seqs.offsets[c] >= 2) eligible.push(c);
      // labels per batch: about batchSize × the mean window length
      const labelsPerBatch = Math.round((o.batchSize * w.lengths.reduce((a, x) => a + x - 1, 0)) / Math.max(1, w.lengths.length));
      this.logQ = inclusionLogProb(seqs, eligible, { itemCount: o.itemCount, negatives: o.negatives, batchSize: labelsPerBatch });
    }
  }
  get batchesPerEpoch(): number {
    return this.order.batchesPerEpoch;
  }
  batch(epoch: number, index: number): McmWindowBatch {
    const out: McmWindowBatch = nextTokenBatch(this.seqs, this.order, epoch, index, this.o.maxLen);
    if (this.o.negatives && this.o.itemCount) {
      const rng = createRng(this.o.seed).fork(`mcm/neg/${epoch}/${index}`);
      Object.assign(out, sampledCandidates(out.labels, rng, this.o.itemCount, this.o.negatives, this.logQ));
    }
    return out;
  }
}
