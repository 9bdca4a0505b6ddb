/** What the id-only sequence families (BERT4Rec, SASRec) share as CustomerModels: parameters, the item sequence
 * encoder, the item vocabulary check, the artifact and the tasks they expose. */
import * as tf from '@tensorflow/tfjs';
import { CfmError, lineProgress, type ArtifactManifest, type ProgressReporter, type SequenceBatch, type TaskOutput } from '@cfm/core';
import { saveArtifact } from './artifact';
import { ItemSequenceEncoder, type ItemEncoderOptions } from './layers/item-encoder';
import { Params, type Ctx } from './params';

export const NEXT_ITEM = 'next-item';

export abstract class ItemSequenceModel<C extends ItemEncoderOptions & { seed: number }> {
  abstract readonly family: string;
  readonly tasks = [NEXT_ITEM];
  readonly taskOutputs: Readonly<Record<string, TaskOutput>> = { [NEXT_ITEM]: { vocab: 'item' } };
  readonly params: Params;
  readonly backbone: ItemSequenceEncoder;
  metrics: Record<string, number> = {};
  /** reporter for fit (per-epoch lines); defaults to stderr lines */
  progress: ProgressReporter = lineProgress();
  readonly seed: number;
  constructor(
    readonly config: C,
    readonly itemCount: number,
    readonly vocabHash: string,
    causal = false,
  ) {
    this.seed = config.seed;
    this.params = new Params(config.seed);
    this.backbone = new ItemSequenceEncoder(this.params, causal ? { ...config, causal } : config, itemCount);
  }
  get maxLen(): number {
    return this.config.maxLen;
  }
  get embeddingDim(): number {
    return this.config.dModel;
  }

  /** the encoder's input for a batch of histories: ids [B, L], whose last slot holds the customer's state */
  protected abstract inputIds(batch: SequenceBatch): { ids: Int32Array; L: number };
  /** customer states [B, D] → scores [B, C|V] over the candidates (every item when none) */
  protected abstract scoreStates(states: tf.Tensor2D, candidates?: tf.Tensor1D): tf.Tensor2D;

  /** customer states at inference, [B, D]: the top block at the last slot only */
  protected states(batch: SequenceBatch): tf.Tensor2D {
    const { ids, L } = this.inputIds(batch);
    return tf.tidy(
      () =>
        this.backbone
          .infer(tf.tensor2d(ids, [batch.batchSize, L], 'int32'), true)
          .reshape([batch.batchSize, this.config.dModel]) as tf.Tensor2D,
    );
  }

  /** customer vectors [B, D] (the fine-tuning Encoder hook): the states that `embed` returns, differentiable when
   * ctx.training */
  encodeVector(batch: SequenceBatch, ctx: Ctx): tf.Tensor2D {
    const { ids, L } = this.inputIds(batch);
    return tf.tidy(
      () =>
        this.backbone
          .apply(tf.tensor2d(ids, [batch.batchSize, L], 'int32'), ctx, true)
          .reshape([batch.batchSize, this.config.dModel]) as tf.Tensor2D,
    );
  }

  embed(batch: SequenceBatch): Float32Array {
    const h = this.states(batch);
    const out = h.dataSync() as Float32Array;
    h.dispose();
    return out;
  }

  score(batch: SequenceBatch, task: string, candidates?: Int32Array): Float32Array {
    if (task !== NEXT_ITEM)
      throw new CfmError('CFM_E_CONFIG', `unknown task "${task}" (${this.family} has "${NEXT_ITEM}")`, { field: 'task' });
    const s = tf.tidy(() => this.scoreStates(this.states(batch), candidates ? tf.tensor1d(candidates, 'int32') : undefined));
    const out = s.dataSync() as Float32Array;
    s.dispose();
    return out;
  }

  async save(dir: string): Promise<ArtifactManifest> {
    return saveArtifact(
      dir,
      {
        family: this.family,
        config: this.config,
        vocabHash: this.vocabHash,
        seed: this.seed,
        metrics: this.metrics,
        extra: { 'dims.json': { itemCount: this.itemCount } },
      },
      Object.fromEntries(this.params.vars),
    );
  }

  checkVocab(hash: string, size: number): void {
    if (hash !== this.vocabHash || size !== this.itemCount)
      throw new CfmError('CFM_E_VOCAB_MISMATCH', `item vocabulary ${hash} (${size}) != model's ${this.vocabHash} (${this.itemCount})`, {
        field: 'vocabs.item',
      });
  }

  dispose(): void {
    this.params.dispose();
    this.backbone.dispose();
  }
}
