/** SASRec as a CustomerModel: next-item prediction at every position of each training window under the causal
 * mask, loss = full softmax cross-entropy over all items against the tied item embedding (fused native kernel where
 * available); inference: customer vector = hidden state at the last history position, scores = its dot products
 * with the item embeddings. References: Kang & McAuley, ICDM 2018; Klenitskiy & Vasilev, RecSys 2023. */
import * as tf from '@tensorflow/tfjs';
import { PAD, type CustomerModel, type FitOptions, type FitReport, type PreparedDataset, type SequenceBatch } from '@cfm/core';
import { type Ctx, fitNextItem, ItemSequenceModel, linearSoftmaxCE, matmul2d, type Encoder } from '@cfm/tensor';
import type { SasRecConfig } from './config';
import { NextItemSampler, type ShiftedBatch } from './sampler';

export { NEXT_ITEM } from '@cfm/tensor';

export class SasRecModel extends ItemSequenceModel<SasRecConfig> implements CustomerModel, Encoder {
  readonly family = 'sasrec';
  constructor(config: SasRecConfig, itemCount: number, vocabHash: string) {
    super(config, itemCount, vocabHash, true);
  }

  /** mean cross-entropy of the next item under the softmax over all items, at every real input position */
  loss(b: ShiftedBatch, ctx: Ctx): tf.Scalar {
    return tf.tidy(() => {
      const ids = tf.tensor2d(b.items, [b.batchSize, b.maxLen], 'int32');
      const h = this.backbone.apply(ids, ctx).reshape([-1, this.config.dModel]) as tf.Tensor2D; // [B*L, D]
      const z = tf.gather(h, tf.tensor1d(b.positions, 'int32')) as tf.Tensor2D; // [N, D]
      return linearSoftmaxCE(z, this.backbone.itemTable, tf.tensor1d(b.labels, 'int32'), null);
    });
  }

  async fit(data: PreparedDataset, opts: FitOptions = {}): Promise<FitReport> {
    this.checkVocab(data.vocabs.item.hash, data.vocabs.item.tokens.length);
    const c = this.config;
    const sampler = new NextItemSampler(data.train, { ...c, seed: this.seed });
    return fitNextItem(this, data, opts, sampler, (b: ShiftedBatch, ctx: Ctx) => this.loss(b, ctx), c, this.seed);
  }

  /** ids [B, L]: the most recent L ≤ maxLen history items, unknown ones as PAD (the last one's state is the customer's) */
  protected inputIds(batch: SequenceBatch): { ids: Int32Array; L: number } {
    const L = Math.min(this.config.maxLen, batch.maxLen);
    const ids = new Int32Array(batch.batchSize * L);
    for (let b = 0; b < batch.batchSize; b++) {
      ids.set(batch.items.subarray((b + 1) * batch.maxLen - L, (b + 1) * batch.maxLen), b * L);
      for (let t = 0; t < L; t++) if (ids[b * L + t] >= this.itemCount) ids[b * L + t] = PAD;
    }
    return { ids, L };
  }

  /** dot products of the last-position states with the (tied) item embeddings */
  protected scoreStates(states: tf.Tensor2D, candidates?: tf.Tensor1D): tf.Tensor2D {
    const table = this.backbone.itemTable;
    const t = candidates ? tf.gather(table, candidates) : table; // [C|V, D]
    return matmul2d(states, tf.transpose(t) as tf.Tensor2D); // [B, C|V]
  }
}
