/** ShopperBERT as a CustomerModel. Reference: Shin et al., "One4all User Representation for Recommender
 * Systems in E-commerce", 2021. User vector: mean of the final hidden states of the purchase tokens (MP) or
 * the [CLS] token's final hidden state (CLS). Task scores: the sub-task heads on a [MASK] appended after the
 * history ("what will the next purchase be": category level / date part). Implements `Encoder` for fine-tuning. */
import * as tf from '@tensorflow/tfjs';
import {
  CLS,
  CfmError,
  MASK,
  PAD,
  lineProgress,
  type ArtifactManifest,
  type CustomerModel,
  type FitOptions,
  type FitReport,
  type PreparedDataset,
  type SequenceBatch,
  type TaskOutput,
} from '@cfm/core';
import type { AlignedSeq } from '@cfm/augment';
import { Ctx, Params, saveArtifact, softmaxCrossEntropy, train, type Encoder, type ProgressReporter } from '@cfm/tensor';
import { ShopperBertBackbone, type ShopperBertDims } from './backbone';
import type { DatePart, ShopperBertConfig } from './config';
import { dateTokens } from './dates';
import { SubTaskHeads } from './heads';
import { MppSampler, tokenInputs, type MppBatch } from './samples';

export const taskName = (subTask: string) => `next-${subTask}`;

export class ShopperBertModel implements CustomerModel, Encoder {
  readonly family = 'shopperbert';
  readonly params: Params;
  readonly backbone: ShopperBertBackbone;
  readonly heads: SubTaskHeads;
  readonly subTasks: string[];
  metrics: Record<string, number> = {};
  progress: ProgressReporter = lineProgress();
  constructor(
    readonly config: ShopperBertConfig,
    readonly dims: ShopperBertDims,
    readonly itemFeatures: Record<string, Int32Array>,
    readonly vocabHash: string,
  ) {
    this.subTasks = [...dims.categories, ...dims.dateParts];
    if (!this.subTasks.length)
      throw new CfmError('CFM_E_CONFIG', 'no category level or date part to predict in this data', { field: 'categories' });
    this.params = new Params(config.seed);
    this.backbone = new ShopperBertBackbone(this.params, config, dims);
    this.heads = new SubTaskHeads(this.params, config.dModel, dims.vocabSizes, this.subTasks);
  }
  get tasks(): string[] {
    return this.subTasks.map(taskName);
  }
  /** category levels index their vocabulary; date parts index the model's own labels (dateTokens) */
  get taskOutputs(): Readonly<Record<string, TaskOutput>> {
    const out: Record<string, TaskOutput> = {};
    for (const f of this.dims.categories) out[taskName(f)] = { vocab: f };
    for (const p of this.dims.dateParts) out[taskName(p)] = { vocab: p, tokens: dateTokens(p as DatePart, this.config) };
    return out;
  }
  get maxLen(): number {
    return this.config.maxLen;
  }
  get embeddingDim(): number {
    return this.config.dModel;
  }
  private get cls(): boolean {
    return this.config.variant === 'CLS';
  }

  /** flat index of each row's [CLS] token ([B]) */
  private clsIndex(items: Int32Array, b: number, l: number): Int32Array {
    return Int32Array.from({ length: b }, (_, r) => {
      for (let t = 0; t < l; t++) if (items[r * l + t] === CLS) return r * l + t;
      throw new CfmError('CFM_E_STATE', `row ${r} has no [CLS] token`, { row: r });
    });
  }

  /** masked purchase prediction loss: mean of the sub-tasks' cross-entropies (Eq. 2) */
  loss(b: MppBatch, ctx: Ctx): tf.Scalar {
    return tf.tidy(() => {
      const h = this.backbone.apply(b, ctx).reshape([-1, this.config.dModel]); // [B*L, D]
      const cls = this.cls ? this.clsIndex(b.items, b.batchSize, b.maxLen) : undefined;
      const at = cls ? b.rows.map((r) => cls[r]) : b.positions; // [N] where each chosen token is predicted from
      const picked = tf.gather(h, tf.tensor1d(at, 'int32')); // [N, D]
      const losses = this.subTasks.map((t) =>
        softmaxCrossEntropy(this.heads.apply(t, picked, ctx), tf.tensor1d(b.labels[t], 'int32'), PAD),
      );
      return tf.div(tf.addN(losses), losses.length) as tf.Scalar;
    });
  }

  async fit(data: PreparedDataset, opts: FitOptions = {}): Promise<FitReport> {
    this.checkVocab(data.vocabs.item.hash, data.vocabs.item.tokens.length);
    const c = this.config;
    const seed = c.seed;
    const sampler = new MppSampler(data.train, this.itemFeatures, this.dims, { ...c, seed });
    const report = await train(
      {
        params: this.params,
        batchesPerEpoch: sampler.batchesPerEpoch,
        batch: (e, i) => sampler.batch(e, i),
        size: (b) => b.batchSize,
        loss: (b, ctx) => this.loss(b, ctx),
      },
      {
        ...opts,
        epochs: c.epochs,
        seed,
        optim: { lr: c.lr, weightDecay: c.weightDecay, clipNorm: c.clipNorm, warmupSteps: c.warmupSteps, schedule: c.schedule },
        runKey: `${this.vocabHash}/${JSON.stringify(c)}/${seed}`,
        progress: this.progress,
      },
    );
    this.metrics.train_loss = report.history.at(-1)?.loss ?? NaN;
    return report;
  }

  /** a padded SequenceBatch → token inputs (most recent tokens kept; times unknown → [OOV] dates), optional [MASK] appended */
  inputs(batch: SequenceBatch, appendMask = false): ReturnType<typeof tokenInputs> {
    const keep = this.config.maxLen - (this.cls ? 1 : 0) - (appendMask ? 1 : 0);
    const seqs: AlignedSeq[] = [];
    for (let b = 0; b < batch.batchSize; b++) {
      const row = batch.items.subarray(b * batch.maxLen, (b + 1) * batch.maxLen);
      let first = 0;
      while (first < row.length && row[first] === PAD) first++;
      first = Math.max(first, row.length - keep);
      const items = Int32Array.from(row.subarray(first), (it) => (it < this.dims.itemCount ? it : PAD));
      const times = batch.times
        ? Float64Array.from(batch.times.subarray(b * batch.maxLen + first, (b + 1) * batch.maxLen))
        : new Float64Array(items.length).fill(NaN);
      seqs.push(appendMask ? { items: Int32Array.from([...items, MASK]), times: Float64Array.from([...times, NaN]) } : { items, times });
    }
    const x = tokenInputs(seqs, this.itemFeatures, this.dims, this.config, this.cls);
    if (appendMask) for (let b = 0; b < x.batchSize; b++) for (const f of this.subTasks) x.features[f][(b + 1) * x.maxLen - 1] = MASK;
    return x;
  }

  /** user vectors [B, D]: mean of the purchase tokens' final states (MP) or the [CLS] state (CLS) */
  encodeVector(batch: SequenceBatch, ctx: Ctx): tf.Tensor2D {
    return tf.tidy(() => {
      const x = this.inputs(batch);
      const h = this.backbone.apply(x, ctx); // [B, L, D]
      if (this.cls)
        return tf.gather(
          h.reshape([-1, this.config.dModel]),
          tf.tensor1d(this.clsIndex(x.items, x.batchSize, x.maxLen), 'int32'),
        ) as tf.Tensor2D;
      const ids = tf.tensor2d(x.items, [x.batchSize, x.maxLen], 'int32');
      const w = tf.logicalAnd(tf.notEqual(ids, PAD), tf.notEqual(ids, CLS)).toFloat().expandDims(2); // [B, L, 1]
      return tf.div(tf.sum(tf.mul(h, w), 1), tf.maximum(tf.sum(w, 1), 1)) as tf.Tensor2D;
    });
  }

  embed(batch: SequenceBatch): Float32Array {
    const v = this.encodeVector(batch, Ctx.inference());
    const out = v.dataSync() as Float32Array;
    v.dispose();
    return out;
  }

  score(batch: SequenceBatch, task: string, candidates?: Int32Array): Float32Array {
    const sub = this.subTasks.find((t) => taskName(t) === task);
    if (!sub) throw new CfmError('CFM_E_CONFIG', `unknown task "${task}" (shopperbert has ${this.tasks.join(', ')})`, { field: 'task' });
    const s = tf.tidy(() => {
      const x = this.inputs(batch, true);
      const h = this.backbone.apply(x, Ctx.inference()).reshape([-1, this.config.dModel]); // [B*L, D]
      const at = this.cls
        ? this.clsIndex(x.items, x.batchSize, x.maxLen)
        : Int32Array.from({ length: x.batchSize }, (_, b) => (b + 1) * x.maxLen - 1);
      const logits = this.heads.apply(sub, tf.gather(h, tf.tensor1d(at, 'int32')), Ctx.inference()); // [B, V_sub]
      return candidates ? tf.gather(logits, tf.tensor1d(candidates, 'int32'), 1) : logits;
    });
    const out = s.dataSync() as Float32Array;
    s.dispose();
    return out;
  }

  async save(dir: string): Promise<ArtifactManifest> {
    const features = Object.fromEntries(this.dims.categories.map((f) => [f, Array.from(this.itemFeatures[f])]));
    return saveArtifact(
      dir,
      {
        family: this.family,
        config: this.config,
        vocabHash: this.vocabHash,
        seed: this.config.seed,
        metrics: this.metrics,
        extra: { 'dims.json': this.dims, 'item-features.json': features },
      },
      Object.fromEntries(this.params.vars),
    );
  }

  checkVocab(hash: string, size: number): void {
    if (hash !== this.vocabHash || size !== this.dims.itemCount)
      throw new CfmError(
        'CFM_E_VOCAB_MISMATCH',
        `item vocabulary ${hash} (${size}) != model's ${this.vocabHash} (${this.dims.itemCount})`,
        { field: 'vocabs.item' },
      );
  }

  dispose(): void {
    this.params.dispose();
    this.backbone.dispose();
  }
}
