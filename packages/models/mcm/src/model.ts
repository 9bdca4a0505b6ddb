/** MCM as a CustomerModel. Reference: Luo & Wang, "MCM: A Multi-task Pre-trained Customer Model for
 * Personalization", RecSys 2023. Customer vector = encoder state at the [MASK] slot appended after the
 * history; task scores come from the readout heads; `encode` is the hook fine-tuning builds on. */
import * as tf from '@tensorflow/tfjs';
import {
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
import { Ctx, fitNextItem, Params, type Encoder, saveArtifact, softmaxCrossEntropy, type ProgressReporter } from '@cfm/tensor';
import { McmBackbone, type McmDims } from './backbone';
import type { McmConfig } from './config';
import { TaskHead } from './heads';
import { McmSampler, type McmBatch } from './samples';
import { McmWindowSampler, type McmWindowBatch } from './windows';

/** task name of a predicted feature: 'item' → 'next-item', 'brand' → 'next-brand' */
export const taskName = (feature: string) => `next-${feature}`;

export class McmModel implements CustomerModel, Encoder {
  readonly family = 'mcm';
  readonly params: Params;
  readonly backbone: McmBackbone;
  readonly heads = new Map<string, TaskHead>();
  /** predicted features, in task order (item first) */
  readonly taskFeatures: string[];
  metrics: Record<string, number> = {};
  progress: ProgressReporter = lineProgress();
  readonly seed: number;
  constructor(
    readonly config: McmConfig,
    readonly dims: McmDims,
    readonly vocabHash: string,
  ) {
    this.seed = config.seed;
    const has = (f: string) => dims.vocabSizes[f] !== undefined && (f === 'item' || f === 'type' || !!dims.itemFeatures[f]);
    const features = config.features.filter(has);
    this.taskFeatures = config.tasks.filter((f) => has(f) && features.includes(f));
    if (!this.taskFeatures.length)
      throw new CfmError('CFM_E_CONFIG', `none of the tasks ${config.tasks.join(', ')} is an input feature of this data`, {
        field: 'tasks',
      });
    this.params = new Params(config.seed);
    this.backbone = new McmBackbone(this.params, config, dims, features);
    for (const f of this.taskFeatures)
      this.heads.set(f, new TaskHead(this.params, f, config.dModel, dims.vocabSizes[f], config.readout, config.outputBias));
  }
  get tasks(): string[] {
    return this.taskFeatures.map(taskName);
  }
  /** task `next-<feature>` scores index that feature's vocabulary (item, productLine, category1.., brand) */
  get taskOutputs(): Readonly<Record<string, TaskOutput>> {
    return Object.fromEntries(this.taskFeatures.map((f) => [taskName(f), { vocab: f }]));
  }
  get maxLen(): number {
    return this.config.maxLen;
  }
  get embeddingDim(): number {
    return this.config.dModel;
  }

  /** items, types [B, L] → hidden [B, L, D] and the token mask [B, L] */
  private forward(items: Int32Array, types: Int32Array, b: number, l: number, ctx: Ctx): { hidden: tf.Tensor3D; tokens: tf.Tensor2D } {
    const it = tf.tensor2d(items, [b, l], 'int32');
    return {
      hidden: this.backbone.apply(it, tf.tensor2d(types, [b, l], 'int32'), ctx),
      tokens: tf.notEqual(it, PAD).toInt() as tf.Tensor2D,
    };
  }

  /** summed softmax cross-entropy of every task (§2.2, Eq. 4) */
  loss(batch: McmBatch | McmWindowBatch, ctx: Ctx): tf.Scalar {
    if ('positions' in batch) return this.causalLoss(batch, ctx);
    return tf.tidy(() => {
      const { hidden, tokens } = this.forward(batch.items, batch.types, batch.batchSize, batch.maxLen, ctx);
      const maskPos = tf.tensor1d(batch.maskPos, 'int32');
      const labelItems = tf.tensor1d(batch.labels, 'int32');
      const losses = this.taskFeatures.map((f) => {
        if (f === 'item' && batch.candidates) {
          const raw = this.heads.get(f)!.apply(hidden, tokens, maskPos, this.backbone.table(f), tf.tensor1d(batch.candidates, 'int32')); // [B, C]
          const logits = batch.candidateLogQ ? tf.sub(raw, tf.tensor1d(batch.candidateLogQ)) : raw; // logQ correction
          return softmaxCrossEntropy(logits as tf.Tensor2D, tf.tensor1d(batch.labelIndex!, 'int32'), null);
        }
        const logits = this.heads.get(f)!.apply(hidden, tokens, maskPos, this.backbone.table(f)); // [B, V_f]
        const labels = f === 'item' ? labelItems : this.backbone.featureIds(f, labelItems); // [B]
        return softmaxCrossEntropy(logits, labels, PAD);
      });
      return (losses.length === 1 ? losses[0] : tf.addN(losses)) as tf.Scalar;
    });
  }

  /** causal objective: every real position's next token, each task's loss the mean over those positions */
  private causalLoss(batch: McmWindowBatch, ctx: Ctx): tf.Scalar {
    return tf.tidy(() => {
      const { hidden, tokens } = this.forward(batch.items, batch.types, batch.batchSize, batch.maxLen, ctx);
      const positions = tf.tensor1d(batch.positions, 'int32');
      const labelItems = tf.tensor1d(batch.labels, 'int32');
      const losses = this.taskFeatures.map((f) => {
        const head = this.heads.get(f)!;
        const table = this.backbone.table(f);
        if (f === 'item' && batch.candidates) {
          const raw = tf.gather(head.applyAll(hidden, tokens, table, tf.tensor1d(batch.candidates, 'int32')), positions); // [N, C]
          const logits = batch.candidateLogQ ? tf.sub(raw, tf.tensor1d(batch.candidateLogQ)) : raw;
          return softmaxCrossEntropy(logits as tf.Tensor2D, tf.tensor1d(batch.labelIndex!, 'int32'), null);
        }
        const logits = tf.gather(head.applyAll(hidden, tokens, table), positions) as tf.Tensor2D; // [N, V_f]
        return softmaxCrossEntropy(logits, f === 'item' ? labelItems : this.backbone.featureIds(f, labelItems), PAD);
      });
      return (losses.length === 1 ? losses[0] : tf.addN(losses)) as tf.Scalar;
    });
  }

  async fit(data: PreparedDataset, opts: FitOptions = {}): Promise<FitReport> {
    this.checkVocab(data.vocabs.item.hash, data.vocabs.item.tokens.length);
    const c = this.config;
    const seed = this.seed;
    const itemCount = this.backbone.itemCount;
    const objective = c.objective;
    if (objective === 'causal') {
      const windows = new McmWindowSampler(data.train, { ...c, seed, itemCount });
      return fitNextItem(this, data, opts, windows, (b: McmWindowBatch, ctx: Ctx) => this.loss(b, ctx), c, seed);
    }
    const sampler = new McmSampler(data.train, { ...c, objective, seed, itemCount });
    return fitNextItem(this, data, opts, sampler, (b: McmBatch, ctx: Ctx) => this.loss(b, ctx), c, seed);
  }

  /** history + [MASK] → ids [B, L'] with the most recent L' - 1 tokens kept and unknown items as PAD; the causal
   * objective reads the history alone (its last position is the customer's state), so no [MASK] slot */
  private withMaskSlot(batch: SequenceBatch): { items: Int32Array; types: Int32Array; l: number } {
    if (this.config.objective === 'causal') return this.historyOnly(batch);
    const l = Math.min(this.config.maxLen, batch.maxLen + 1);
    const items = new Int32Array(batch.batchSize * l);
    const types = new Int32Array(batch.batchSize * l);
    for (let b = 0; b < batch.batchSize; b++) {
      const from = b * batch.maxLen + batch.maxLen - (l - 1);
      items.set(batch.items.subarray(from, (b + 1) * batch.maxLen), b * l);
      if (batch.types) types.set(batch.types.subarray(from, (b + 1) * batch.maxLen), b * l);
      for (let t = 0; t < l - 1; t++)
        if (items[b * l + t] >= this.backbone.itemCount || types[b * l + t] >= (this.dims.vocabSizes.type ?? Infinity))
          items[b * l + t] = PAD;
      for (let t = 0; t < l - 1; t++) if (items[b * l + t] === PAD) types[b * l + t] = PAD;
      items[b * l + l - 1] = MASK;
      types[b * l + l - 1] = MASK;
    }
    return { items, types, l };
  }

  /** the most recent L ≤ maxLen history tokens, unknown items as PAD (causal objective) */
  private historyOnly(batch: SequenceBatch): { items: Int32Array; types: Int32Array; l: number } {
    const l = Math.min(this.config.maxLen, batch.maxLen);
    const items = new Int32Array(batch.batchSize * l);
    const types = new Int32Array(batch.batchSize * l);
    for (let b = 0; b < batch.batchSize; b++) {
      const from = (b + 1) * batch.maxLen - l;
      items.set(batch.items.subarray(from, from + l), b * l);
      if (batch.types) types.set(batch.types.subarray(from, from + l), b * l);
      for (let t = 0; t < l; t++) {
        const k = b * l + t;
        if (items[k] >= this.backbone.itemCount || types[k] >= (this.dims.vocabSizes.type ?? Infinity)) items[k] = PAD;
        if (items[k] === PAD) types[k] = PAD;
      }
    }
    return { items, types, l };
  }

  /** encoder states of a batch at inference or in fine-tuning: hidden [B, L, D], tokens [B, L], customer vectors [B, D] */
  encode(batch: SequenceBatch, ctx: Ctx = Ctx.inference()): { hidden: tf.Tensor3D; tokens: tf.Tensor2D; vector: tf.Tensor2D } {
    const { items, types, l } = this.withMaskSlot(batch);
    const { hidden, tokens } = this.forward(items, types, batch.batchSize, l, ctx);
    const vector = hidden.slice([0, l - 1, 0], [-1, 1, -1]).reshape([batch.batchSize, this.config.dModel]) as tf.Tensor2D;
    return { hidden, tokens, vector };
  }

  /** customer vectors [B, D] (the fine-tuning Encoder hook, @cfm/tensor fineTune) */
  encodeVector(batch: SequenceBatch, ctx: Ctx): tf.Tensor2D {
    return tf.tidy(() => this.encode(batch, ctx).vector);
  }

  embed(batch: SequenceBatch): Float32Array {
    const v = tf.tidy(() => this.encode(batch).vector);
    const out = v.dataSync() as Float32Array;
    v.dispose();
    return out;
  }

  score(batch: SequenceBatch, task: string, candidates?: Int32Array): Float32Array {
    const f = this.taskFeatures.find((x) => taskName(x) === task);
    if (!f) throw new CfmError('CFM_E_CONFIG', `unknown task "${task}" (mcm has ${this.tasks.join(', ')})`, { field: 'task' });
    const s = tf.tidy(() => {
      const { hidden, tokens } = this.encode(batch);
      const l = hidden.shape[1];
      const maskPos = tf.fill([batch.batchSize], l - 1, 'int32') as tf.Tensor1D;
      return this.heads
        .get(f)!
        .apply(hidden, tokens, maskPos, this.backbone.table(f), candidates ? tf.tensor1d(candidates, 'int32') : undefined);
    });
    const out = s.dataSync() as Float32Array;
    s.dispose();
    return out;
  }

  async save(dir: string): Promise<ArtifactManifest> {
    const features = Object.fromEntries([...this.backbone.attrOfItem.keys()].map((f) => [f, Array.from(this.dims.itemFeatures[f])]));
    return saveArtifact(
      dir,
      {
        family: this.family,
        config: this.config,
        vocabHash: this.vocabHash,
        seed: this.seed,
        metrics: this.metrics,
        extra: { 'dims.json': { vocabSizes: this.dims.vocabSizes, itemFeatures: features } },
      },
      Object.fromEntries(this.params.vars),
    );
  }

  checkVocab(hash: string, size: number): void {
    if (hash !== this.vocabHash || size !== this.backbone.itemCount)
      throw new CfmError(
        'CFM_E_VOCAB_MISMATCH',
        `item vocabulary ${hash} (${size}) != model's ${this.vocabHash} (${this.backbone.itemCount})`,
        { field: 'vocabs.item' },
      );
  }

  dispose(): void {
    this.params.dispose();
    this.backbone.dispose();
  }
}
