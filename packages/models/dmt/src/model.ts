/** DMT as a CustomerModel (Gu et al., CIKM 2020): trained on impression sets with
 * L = Σ λ_k BCE(u_k + y_b) (Eq. 5); served with σ(u_k) and Σ w_k σ(u_k) / Σ w_k (Eq. 6), no bias. */
import * as tf from '@tensorflow/tfjs';
import {
  CfmError,
  createRng,
  lineProgress,
  type ArtifactManifest,
  type CustomerModel,
  type FitOptions,
  type FitReport,
  type PreparedDataset,
  type SequenceBatch,
  type TaskOutput,
} from '@cfm/core';
import { auc } from '@cfm/eval';
import { Ctx, Params, binaryCrossEntropy, saveArtifact, train, type Encoder, type ProgressReporter } from '@cfm/tensor';
import { denseStats, makeBatch, type BatchOptions, type DenseStats, type DmtBatch } from './batch';
import type { DmtConfig } from './config';
import { requestCount } from './impressions';
import type { Catalogue, ImpressionSet } from './impression-types';
import { DmtNetwork } from './network';
import { impressionsFromPrepared } from './page-views';
import { customerVectors, scoreCandidates, embedCustomers } from './serve';

export interface Predictions {
  /** σ(u_k) per impression, by task */
  tasks: Record<string, Float32Array>;
  /** serving score Σ w_k σ(u_k) / Σ w_k */
  score: Float32Array;
  /** mean gate weights per task over the impressions (MMoE), [E] each */
  gates: Record<string, number[]>;
}

export class DmtModel implements CustomerModel, Encoder {
  readonly family = 'dmt';
  readonly tasks: string[];
  readonly params: Params;
  readonly networks: Array<{ net: DmtNetwork; tasks: string[] }>;
  readonly features: string[];
  stats: DenseStats;
  metrics: Record<string, number> = {};
  progress: ProgressReporter = lineProgress();
  constructor(
    readonly config: DmtConfig,
    readonly cat: Catalogue,
    stats?: DenseStats,
  ) {
    this.tasks = [...config.tasks];
    this.features = config.itemFeatures.filter((f) => cat.itemFeatures[f] && cat.vocabs[f]);
    const dim = config.featureDim * (1 + this.features.length);
    if (dim % config.nHeads)
      throw new CfmError('CFM_E_CONFIG', `model width ${dim} is not divisible by nHeads ${config.nHeads}`, { field: 'nHeads' });
    const F = 3 * config.behaviours.length + 3;
    this.stats = stats ?? { mean: new Array(F).fill(0), std: new Array(F).fill(1) };
    this.params = new Params(config.seed, config.initStd);
    const vocabSizes = Object.fromEntries(['item', ...this.features].map((f) => [f, cat.vocabs[f].tokens.length]));
    const dims = {
      vocabSizes,
      categories: cat.vocabs.category?.tokens.length ?? 4,
      behaviours: config.behaviours.map((b) => b.name),
      denseFeatures: F,
    };
    const groups = config.multiTask === 'single' ? this.tasks.map((t) => [t]) : [this.tasks];
    this.networks = groups.map((ts) => ({
      net: new DmtNetwork(this.params, groups.length > 1 ? `net_${ts[0]}` : 'net', config, dims, ts),
      tasks: ts,
    }));
  }

  /** ctr / cvr are scored for candidate items: every task's columns index the item vocabulary */
  get taskOutputs(): Readonly<Record<string, TaskOutput>> {
    return Object.fromEntries(this.tasks.map((t) => [t, { vocab: 'item' }]));
  }
  get maxLen(): number {
    return this.config.maxLen;
  }
  get embeddingDim(): number {
    return this.networks[0].net.embed.dim * this.config.behaviours.length;
  }

  batchOptions(): BatchOptions {
    const c = this.config;
    return {
      cat: this.cat,
      features: this.features,
      maxLens: Object.fromEntries(c.behaviours.map((b) => [b.name, Math.min(b.maxLen, c.maxLen)])),
      stats: this.stats,
      maxPosition: c.maxPosition,
      maxPage: c.maxPage,
      behaviours: c.behaviours.map((b) => b.name),
    };
  }

  /** Σ λ_k BCE(u_k + y_b, label_k) over real impressions */
  loss(b: DmtBatch, ctx: Ctx): tf.Scalar {
    return tf.tidy(() => {
      const mask = tf.tensor1d(b.mask);
      const terms: tf.Scalar[] = [];
      for (const { net, tasks } of this.networks) {
        const out = net.apply(b, ctx, true);
        tasks.forEach((t, k) => {
          const logit = out.bias ? tf.add(out.logits[k], out.bias) : out.logits[k];
          const w = this.config.lossWeights[this.tasks.indexOf(t)];
          terms.push(tf.mul(w, binaryCrossEntropy(logit, tf.tensor1d(b.labels[t as 'ctr' | 'cvr']), mask)) as tf.Scalar);
        });
      }
      return tf.addN(terms) as tf.Scalar;
    });
  }

  /** trains on `train`; early stopping on the mean task AUC of `valid` when given */
  async fitImpressions(trainSet: ImpressionSet, valid?: ImpressionSet, opts: FitOptions = {}): Promise<FitReport> {
    const c = this.config;
    const seed = c.seed;
    this.stats = denseStats(
      trainSet,
      c.behaviours.map((b) => b.name),
    );
    const bo = this.batchOptions();
    const R = requestCount(trainSet);
    if (!R) throw new CfmError('CFM_E_STATE', 'no training requests', { field: 'train' });
    const perEpoch = Math.ceil(R / c.batchSize);
    let orderEpoch = -1;
    let order: number[] = [];
    const task = {
      params: this.params,
      batchesPerEpoch: perEpoch,
      batch: (e: number, i: number) => {
        if (e !== orderEpoch)
          [order, orderEpoch] = [
            createRng(seed)
              .fork(`epoch/${e}`)
              .shuffle(Array.from({ length: R }, (_, r) => r)),
            e,
          ];
        return makeBatch(trainSet, order.slice(i * c.batchSize, (i + 1) * c.batchSize), bo);
      },
      size: (b: DmtBatch) => b.requests,
      loss: (b: DmtBatch, ctx: Ctx) => this.loss(b, ctx),
      validate: valid ? () => this.validAuc(valid) : undefined,
    };
    const report = await train(task, {
      ...opts,
      epochs: c.epochs,
      seed,
      optim: { lr: c.lr, weightDecay: c.weightDecay, clipNorm: c.clipNorm, warmupSteps: c.warmupSteps, schedule: c.schedule },
      patience: c.patience,
      validateEvery: c.validateEvery,
      runKey: `${this.cat.vocabs.item.hash}/${JSON.stringify(c)}/${seed}/${R}`,
      progress: this.progress,
    });
    if (report.bestMetric !== undefined) this.metrics.valid_auc = report.bestMetric;
    return report;
  }

  private validAuc(valid: ImpressionSet): number {
    const p = this.predict(valid);
    const labels: Record<string, Uint8Array> = { ctr: valid.clicked, cvr: valid.ordered };
    const aucs = this.tasks.map((t) => auc(p.tasks[t], labels[t])).filter((a) => !Number.isNaN(a));
    return aucs.length ? aucs.reduce((a, b) => a + b, 0) / aucs.length : 0;
  }

  /** serving predictions for every impression of `set` (no bias network), in impression order */
  predict(set: ImpressionSet, requestsPerBatch = 64): Predictions {
    const n = set.item.length;
    const tasks = Object.fromEntries(this.tasks.map((t) => [t, new Float32Array(n)]));
    const gateSum: Record<string, number[]> = {};
    const bo = this.batchOptions();
    const R = requestCount(set);
    for (let r0 = 0; r0 < R; r0 += requestsPerBatch) {
      const rows = Array.from({ length: Math.min(requestsPerBatch, R - r0) }, (_, k) => r0 + k);
      const b = makeBatch(set, rows, bo);
      this.forward(b, (t, p, gates) => {
        b.index.forEach((i, at) => i >= 0 && (tasks[t][i] = p[at]));
        if (gates) {
          const E = gates.length / b.index.length;
          const sum = (gateSum[t] ??= new Array(E).fill(0));
          b.index.forEach((i, at) => {
            if (i >= 0) for (let e = 0; e < E; e++) sum[e] += gates[at * E + e];
          });
        }
      });
    }
    const w = this.config.servingWeights;
    const wSum = this.tasks.reduce((s, _, k) => s + w[k], 0) || 1;
    const score = new Float32Array(n);
    this.tasks.forEach((t, k) => tasks[t].forEach((v, i) => (score[i] += (w[k] * v) / wSum)));
    const gates = Object.fromEntries(Object.entries(gateSum).map(([t, s]) => [t, s.map((x) => x / Math.max(1, n))]));
    return { tasks, score, gates };
  }

  /** σ(u_k) per task of a batch, handed to `sink` with the gate weights (MMoE) */
  forward(b: DmtBatch, sink: (task: string, probs: Float32Array, gates?: Float32Array) => void): void {
    for (const { net, tasks } of this.networks) {
      const { probs, gates } = tf.tidy(() => {
        const out = net.apply(b, Ctx.inference(), false);
        return { probs: out.logits.map((l) => tf.sigmoid(l)), gates: out.gates };
      });
      tasks.forEach((t, k) => sink(t, probs[k].dataSync() as Float32Array, gates[k]?.dataSync() as Float32Array | undefined));
      tf.dispose([...probs, ...gates]);
    }
  }

  async fit(data: PreparedDataset, opts: FitOptions = {}): Promise<FitReport> {
    const { train: tr, valid } = impressionsFromPrepared(data, this.cat, this.config);
    return this.fitImpressions(tr, valid, opts);
  }

  embed(batch: SequenceBatch): Float32Array {
    return embedCustomers(this, batch);
  }

  /** customer vectors [B, nBehaviours × D] (the fine-tuning Encoder hook): what `embed` returns, differentiable when ctx.training */
  encodeVector(batch: SequenceBatch, ctx: Ctx): tf.Tensor2D {
    return customerVectors(this, batch, ctx);
  }

  score(batch: SequenceBatch, task: string, candidates?: Int32Array): Float32Array {
    if (!this.tasks.includes(task))
      throw new CfmError('CFM_E_CONFIG', `unknown task "${task}" (dmt has ${this.tasks.join(', ')})`, { field: 'task' });
    return scoreCandidates(this, batch, task, candidates);
  }

  async save(dir: string): Promise<ArtifactManifest> {
    return saveArtifact(
      dir,
      {
        family: this.family,
        config: this.config,
        vocabHash: this.cat.vocabs.item.hash,
        seed: this.config.seed,
        metrics: this.metrics,
        extra: { 'catalogue.json': catalogueJson(this.cat), 'dense-stats.json': this.stats },
      },
      Object.fromEntries(this.params.vars),
    );
  }

  dispose(): void {
    for (const { net } of this.networks) net.dispose();
    this.params.dispose();
  }
}

export function catalogueJson(cat: Catalogue): unknown {
  return { vocabs: cat.vocabs, itemFeatures: Object.fromEntries(Object.entries(cat.itemFeatures).map(([f, t]) => [f, Array.from(t)])) };
}

export function catalogueFromJson(j: unknown): Catalogue {
  const o = j as { vocabs: Catalogue['vocabs']; itemFeatures: Record<string, number[]> };
  return { vocabs: o.vocabs, itemFeatures: Object.fromEntries(Object.entries(o.itemFeatures).map(([f, t]) => [f, Int32Array.from(t)])) };
}
