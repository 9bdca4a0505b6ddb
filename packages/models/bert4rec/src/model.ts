/** BERT4Rec as a CustomerModel: Cloze training with the shared trainer, [MASK] appended at inference,
 * customer vector = hidden state at that [MASK]. Reference: Sun et al., CIKM 2019. */
import * as tf from '@tensorflow/tfjs';
import { CfmError, MASK, PAD, lineProgress, type ArtifactManifest, type CustomerModel, type FitOptions, type FitReport, type PreparedDataset, type SequenceBatch, type TaskOutput } from '@cfm/core';
import { Ctx, fitNextItem, fusedHeadActive, Params, saveArtifact, type Encoder, type ProgressReporter } from '@cfm/tensor';
import { Bert4RecBackbone } from './backbone';
import { ClozeSampler, type ClozeBatch } from './cloze';
import type { Bert4RecConfig } from './config';
import { ItemHead } from './heads';

export const NEXT_ITEM = 'next-item';

export class Bert4RecModel implements CustomerModel, Encoder {
  readonly family = 'bert4rec';
  readonly tasks = [NEXT_ITEM];
  readonly taskOutputs: Readonly<Record<string, TaskOutput>> = { [NEXT_ITEM]: { vocab: 'item' } };
  readonly params: Params;
  readonly backbone: Bert4RecBackbone;
  readonly head: ItemHead;
  metrics: Record<string, number> = {};
  /** reporter for fit (per-epoch lines); defaults to stderr lines */
  progress: ProgressReporter = lineProgress();
  readonly seed: number;
  constructor(readonly config: Bert4RecConfig, readonly itemCount: number, readonly vocabHash: string) {
    this.seed = config.seed;
    this.params = new Params(config.seed);
    this.backbone = new Bert4RecBackbone(this.params, config, itemCount);
    this.head = new ItemHead(this.params, config.dModel, itemCount);
  }
  get maxLen(): number {
    return this.config.maxLen;
  }
  get embeddingDim(): number {
    return this.config.dModel;
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

  /** history + [MASK] → hidden state at [MASK], [B, D] */
  private maskHidden(batch: SequenceBatch): tf.Tensor2D {
    const { ids, L } = this.maskIds(batch);
    return tf.tidy(() => {
      const h = this.backbone.infer(tf.tensor2d(ids, [batch.batchSize, L], 'int32'), true); // [B, 1, D]: the top block at [MASK] only
      return h.reshape([batch.batchSize, this.config.dModel]) as tf.Tensor2D;
    });
  }

  /** customer vectors [B, D] (the fine-tuning Encoder hook): the [MASK] state that `embed` returns, differentiable
   * when ctx.training */
  encodeVector(batch: SequenceBatch, ctx: Ctx): tf.Tensor2D {
    const { ids, L } = this.maskIds(batch);
    return tf.tidy(() => this.backbone.apply(tf.tensor2d(ids, [batch.batchSize, L], 'int32'), ctx, true).reshape([batch.batchSize, this.config.dModel]) as tf.Tensor2D);
  }

  /** ids [B, L]: the most recent L - 1 history items (unknown ones as PAD), then [MASK] */
  private maskIds(batch: SequenceBatch): { ids: Int32Array; L: number } {
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

  embed(batch: SequenceBatch): Float32Array {
    const h = this.maskHidden(batch);
    const out = h.dataSync() as Float32Array;
    h.dispose();
    return out;
  }

  score(batch: SequenceBatch, task: string, candidates?: Int32Array): Float32Array {
    if (task !== NEXT_ITEM) throw new CfmError('CFM_E_CONFIG', `unknown task "${task}" (bert4rec has "${NEXT_ITEM}")`, { field: 'task' });
    const s = tf.tidy(() => {
      const h = this.maskHidden(batch);
      return this.head.apply(h, this.backbone.itemTable, candidates ? tf.tensor1d(candidates, 'int32') : undefined); // [B, C|V]
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
