/** BERT4Rec as a CustomerModel: Cloze training with the shared trainer, [MASK] appended at inference,
 * customer vector = hidden state at that [MASK]. Reference: Sun et al., CIKM 2019. */
import * as tf from '@tensorflow/tfjs';
import { MASK, PAD, type CustomerModel, type FitOptions, type FitReport, type PreparedDataset, type SequenceBatch } from '@cfm/core';
import { type Ctx, fitNextItem, fusedHeadActive, ItemSequenceModel, type Encoder } from '@cfm/tensor';
import { ClozeSampler, type ClozeBatch } from './cloze';
import type { Bert4RecConfig } from './config';
import { ItemHead } from './heads';

export { NEXT_ITEM } from '@cfm/tensor';

export class Bert4RecModel extends ItemSequenceModel<Bert4RecConfig> implements CustomerModel, Encoder {
  readonly family = 'bert4rec';
  readonly head: ItemHead;
  constructor(config: Bert4RecConfig, itemCount: number, vocabHash: string) {
    super(config, itemCount, vocabHash);
    this.head = new ItemHead(this.params, config.dModel, itemCount);
  }

  /** Cloze loss of one batch: CE over the masked positions only */
  loss(b: ClozeBatch, ctx: Ctx): tf.Scalar {
    return tf.tidy(() => {
      const ids = tf.tensor2d(b.items, [b.batchSize, b.maxLen], 'int32');
      const h = this.backbone.apply(ids, ctx).reshape([-1, this.config.dModel]) as tf.Tensor2D; // [B*L, D]
      if (fusedHeadActive() && this.head.proj.act === 'gelu') return this.head.fusedLoss(h, b.positions, this.backbone.itemTable, b.labels);
      const picked = tf.gather(h, tf.tensor1d(b.positions, 'int32')); // [N, D]
      return this.head.loss(picked, this.backbone.itemTable, tf.tensor1d(b.labels, 'int32'));
    });
  }

  async fit(data: PreparedDataset, opts: FitOptions = {}): Promise<FitReport> {
    this.checkVocab(data.vocabs.item.hash, data.vocabs.item.tokens.length);
    const c = this.config;
    const seed = this.seed;
    const sampler = new ClozeSampler(data.train, { ...c, seed });
    return fitNextItem(this, data, opts, sampler, (b: ClozeBatch, ctx: Ctx) => this.loss(b, ctx), c, seed);
  }

  /** ids [B, L]: the most recent L - 1 history items (unknown ones as PAD), then [MASK] (the customer's state) */
  protected inputIds(batch: SequenceBatch): { ids: Int32Array; L: number } {
    const L = Math.min(this.config.maxLen, batch.maxLen + 1);
    const ids = new Int32Array(batch.batchSize * L);
    for (let b = 0; b < batch.batchSize; b++) {
      // keep the most recent L - 1 tokens, then [MASK]
      const src = batch.items.subarray(b * batch.maxLen + batch.maxLen - (L - 1), (b + 1) * batch.maxLen);
      ids.set(src, b * L);
      ids[b * L + L - 1] = MASK;
      for (let t = 0; t < L - 1; t++) if (ids[b * L + t] >= this.itemCount) ids[b * L + t] = PAD;
    }
    return { ids, L };
  }

  /** the output layer (projection, layer norm, tied embedding, bias) at the [MASK] states */
  protected scoreStates(states: tf.Tensor2D, candidates?: tf.Tensor1D): tf.Tensor2D {
    return this.head.apply(states, this.backbone.itemTable, candidates);
  }
}
