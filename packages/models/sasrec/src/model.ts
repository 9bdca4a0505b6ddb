/** SASRec as a CustomerModel: next-item prediction at every position of each training window under the causal
 * mask, loss = full softmax cross-entropy over all items against the tied item embedding (fused native kernel where
 * available); inference: customer vector = hidden state at the last history position, scores = its dot products
 * with the item embeddings. References: Kang & McAuley, ICDM 2018; Klenitskiy & Vasilev, RecSys 2023. */
import * as tf from '@tensorflow/tfjs';
import { CfmError, PAD, lineProgress, type ArtifactManifest, type CustomerModel, type FitOptions, type FitReport, type PreparedDataset, type SequenceBatch, type TaskOutput } from '@cfm/core';
import { Ctx, fitNextItem, linearSoftmaxCE, matmul2d, Params, saveArtifact, type Encoder, type ProgressReporter } from '@cfm/tensor';
import { SasRecBackbone } from './backbone';
import type { SasRecConfig } from './config';
import { NextItemSampler, type ShiftedBatch } from './sampler';

export const NEXT_ITEM = 'next-item';

export class SasRecModel implements CustomerModel, Encoder {
  readonly family = 'sasrec';
  readonly tasks = [NEXT_ITEM];
  readonly taskOutputs: Readonly<Record<string, TaskOutput>> = { [NEXT_ITEM]: { vocab: 'item' } };
  readonly params: Params;
  readonly backbone: SasRecBackbone;
  metrics: Record<string, number> = {};
  /** reporter for fit (per-epoch lines); defaults to stderr lines */
  progress: ProgressReporter = lineProgress();
  readonly seed: number;
  constructor(readonly config: SasRecConfig, readonly itemCount: number, readonly vocabHash: string) {
    this.seed = config.seed;
    this.params = new Params(config.seed);
    this.backbone = new SasRecBackbone(this.params, config, itemCount);
  }
  get maxLen(): number {
    return this.config.maxLen;
  }
  get embeddingDim(): number {
    return this.config.dModel;
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

  /** ids [B, L]: the most recent L ≤ maxLen history items, unknown ones as PAD */
  private historyIds(batch: SequenceBatch): { ids: Int32Array; L: number } {
    const L = Math.min(this.config.maxLen, batch.maxLen);
    const ids = new Int32Array(batch.batchSize * L);
    for (let b = 0; b < batch.batchSize; b++) {
      ids.set(batch.items.subarray((b + 1) * batch.maxLen - L, (b + 1) * batch.maxLen), b * L);
      for (let t = 0; t < L; t++) if (ids[b * L + t] >= this.itemCount) ids[b * L + t] = PAD;
    }
    return { ids, L };
  }

  /** history → hidden state at its last position, [B, D] */
  private lastHidden(batch: SequenceBatch): tf.Tensor2D {
    const { ids, L } = this.historyIds(batch);
    return tf.tidy(() => this.backbone.infer(tf.tensor2d(ids, [batch.batchSize, L], 'int32'), true).reshape([batch.batchSize, this.config.dModel]) as tf.Tensor2D);
  }

  /** customer vectors [B, D] (the fine-tuning Encoder hook): the last-position state that `embed` returns,
   * differentiable when ctx.training */
  encodeVector(batch: SequenceBatch, ctx: Ctx): tf.Tensor2D {
    const { ids, L } = this.historyIds(batch);
    return tf.tidy(() => this.backbone.apply(tf.tensor2d(ids, [batch.batchSize, L], 'int32'), ctx, true).reshape([batch.batchSize, this.config.dModel]) as tf.Tensor2D);
  }

  embed(batch: SequenceBatch): Float32Array {
    const h = this.lastHidden(batch);
    const out = h.dataSync() as Float32Array;
    h.dispose();
    return out;
  }

  score(batch: SequenceBatch, task: string, candidates?: Int32Array): Float32Array {
    if (task !== NEXT_ITEM) throw new CfmError('CFM_E_CONFIG', `unknown task "${task}" (sasrec has "${NEXT_ITEM}")`, { field: 'task' });
    const s = tf.tidy(() => {
      const h = this.lastHidden(batch);
      const table = this.backbone.itemTable;
      const t = candidates ? tf.gather(table, tf.tensor1d(candidates, 'int32')) : table; // [C|V, D]
      return matmul2d(h, tf.transpose(t) as tf.Tensor2D); // [B, C|V]
    });
    const out = s.dataSync() as Float32Array;
    s.dispose();
    return out;
  }

  async save(dir: string): Promise<ArtifactManifest> {
    return saveArtifact(
      dir,
      { family: this.family, config: this.config, vocabHash: this.vocabHash, seed: this.seed, metrics: this.metrics, extra: { 'dims.json': { itemCount: this.itemCount } } },
      Object.fromEntries(this.params.vars),
    );
  }

  checkVocab(hash: string, size: number): void {
    if (hash !== this.vocabHash || size !== this.itemCount)
      throw new CfmError('CFM_E_VOCAB_MISMATCH', `item vocabulary ${hash} (${size}) != model's ${this.vocabHash} (${this.itemCount})`, { field: 'vocabs.item' });
  }

  dispose(): void {
    this.params.dispose();
    this.backbone.positions.dispose();
  }
}
