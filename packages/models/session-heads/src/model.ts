/** The MeLi session-heads model as a CustomerModel: encoder over item attribute vectors, four task heads,
 * losses balanced by their initial magnitude and combined with learned uncertainty weights (Kendall et al.),
 * early stopping on held-out sessions. Reference: Zivic et al., SIGIR eCom 2023, §4. */
import * as tf from '@tensorflow/tfjs';
import {
  CfmError,
  lineProgress,
  type ArtifactManifest,
  type CustomerModel,
  type FitOptions,
  type FitReport,
  type PreparedDataset,
  type SequenceBatch,
  type TaskOutput,
} from '@cfm/core';
import {
  binaryCrossEntropy,
  cosineLoss,
  Ctx,
  mseLoss,
  Params,
  saveArtifact,
  train,
  UncertaintyWeighting,
  type Encoder,
  type ProgressReporter,
} from '@cfm/tensor';
import { attributeMatrix, type ItemAttributes } from './attributes';
import { SessionEncoder } from './backbone';
import { makeBatch, SessionSampler, type SessionBatch } from './batches';
import type { SessionHeadsConfig } from './config';
import { SessionHeads } from './heads';
import { embedBatch, scoreBatch } from './inference';
import type { AttributeSpec, StepPredictions } from './model-types';
import { chronologicalSplit, type SessionSet } from './sessions';
import { preparedAttributes, preparedSessions } from './prepared';

export const NEXT_ITEM = 'next-item';
export const PURCHASE_ITEM = 'purchase-item';

export const taskNames = (specs: AttributeSpec[]): string[] => [
  'buy-item',
  'buy-session',
  ...specs.map((a) => `next/${a.name}`),
  ...specs.map((a) => `purchased/${a.name}`),
];

export class SessionHeadsModel implements CustomerModel, Encoder {
  readonly family = 'session-heads';
  readonly tasks = [NEXT_ITEM, PURCHASE_ITEM];
  readonly taskOutputs: Readonly<Record<string, TaskOutput>> = { [NEXT_ITEM]: { vocab: 'item' }, [PURCHASE_ITEM]: { vocab: 'item' } };
  readonly params: Params;
  readonly encoder: SessionEncoder;
  readonly heads: SessionHeads;
  readonly weighting: UncertaintyWeighting;
  /** [items, Σ dim] attribute vectors φ (not trained) */
  readonly table: tf.Variable;
  /** [tasks] 1 / initial loss of each task (magnitude balancing, not trained) */
  readonly balance: tf.Variable;
  readonly ranges: Array<[number, number]>;
  metrics: Record<string, number> = {};
  progress: ProgressReporter = lineProgress();
  constructor(
    readonly config: SessionHeadsConfig,
    readonly specs: AttributeSpec[],
    readonly items: number,
    readonly vocabHash: string,
    readonly buyType = -1,
  ) {
    this.params = new Params(config.seed);
    let col = 0;
    this.ranges = specs.map((a) => [col, (col += a.dim)]);
    this.table = this.params.add('attributes/table', [items, col], 'zeros', false);
    this.balance = this.params.add('loss/balance', [2 + 2 * specs.length], 'ones', false);
    this.encoder = new SessionEncoder(this.params, config.encoder, col, config.hidden);
    this.heads = new SessionHeads(this.params, config.hidden, config.headLayers, specs);
    this.weighting = new UncertaintyWeighting(this.params, 'loss/uncertainty', taskNames(specs));
  }
  get maxLen(): number {
    return this.config.maxLen;
  }
  get embeddingDim(): number {
    return this.config.hidden;
  }

  setAttributes(a: ItemAttributes): void {
    const m = attributeMatrix(a);
    if (a.items !== this.items || m.dim !== this.table.shape[1])
      throw new CfmError('CFM_E_CONFIG', `attributes [${a.items}, ${m.dim}] != model's [${this.table.shape}]`, { field: 'attributes' });
    tf.tidy(() => this.table.assign(tf.tensor2d(m.values, [a.items, m.dim])));
  }

  /** items [B, L] (+ mask) → h [B·L, H] */
  private hidden(items: Int32Array, mask: Float32Array, b: number, l: number): tf.Tensor2D {
    const x = tf.gather(this.table, tf.tensor2d(items, [b, l], 'int32')); // [B, L, D]
    return this.encoder.apply(x, tf.tensor2d(mask, [b, l])).reshape([b * l, this.config.hidden]) as tf.Tensor2D;
  }

  /** raw loss of every task, in `taskNames` order */
  lossTerms(b: SessionBatch, ctx: Ctx): tf.Scalar[] {
    const h = this.hidden(b.items, b.mask, b.batchSize, b.maxLen);
    const at = (pos: Int32Array) => tf.gather(h, tf.tensor1d(pos, 'int32')); // [N, H]
    const ev = at(b.eventPos);
    const terms = [
      binaryCrossEntropy(this.heads.logits(this.heads.buyItem, ev, ctx), tf.tensor1d(b.buyLabels)),
      binaryCrossEntropy(this.heads.logits(this.heads.buySession, ev, ctx), tf.tensor1d(b.sessionLabels)),
    ];
    const regress = (heads: typeof this.heads.next, pos: Int32Array, targets: Int32Array) => {
      // without labelled positions the heads still run on one dummy row with weight 0 (every variable gets a gradient)
      if (!pos.length) return heads.map((hd) => tf.mul(tf.sum(hd.apply(at(Int32Array.of(0)), ctx)), 0) as tf.Scalar);
      const hp = at(pos);
      const t = tf.gather(this.table, tf.tensor1d(targets, 'int32')); // [N, D]
      return this.specs.map((a, m) => {
        const pred = heads[m].apply(hp, ctx); // [N, dim]
        const target = t.slice([0, this.ranges[m][0]], [-1, a.dim]);
        return a.kind === 'vector' ? cosineLoss(pred, target) : mseLoss(pred, target);
      });
    };
    return [
      ...terms,
      ...regress(this.heads.next, b.nextPos, b.nextItems),
      ...regress(this.heads.purchased, b.purchasedPos, b.purchasedItems),
    ];
  }

  loss(b: SessionBatch, ctx: Ctx): tf.Scalar {
    return tf.tidy(() => {
      const terms = this.lossTerms(b, ctx);
      const w = tf.unstack(this.balance);
      return this.weighting.apply(terms.map((t, i) => tf.mul(t, w[i]) as tf.Scalar));
    });
  }

  /** balanced loss Σ_i balance_i · L_i summed over batches (no uncertainty terms): the early-stopping quantity */
  evalLoss(batches: Iterable<SessionBatch>): number {
    let sum = 0,
      n = 0;
    for (const b of batches) {
      sum += tf.tidy(() => tf.sum(tf.mul(tf.stack(this.lossTerms(b, Ctx.inference())), this.balance)).dataSync()[0]) * b.batchSize;
      n += b.batchSize;
    }
    return sum / Math.max(1, n);
  }

  /** pre-train on sessions; `valid` (or the latest validShare of train) drives early stopping */
  async fitSessions(sessions: SessionSet, opts: FitOptions & { valid?: SessionSet } = {}): Promise<FitReport> {
    const c = this.config;
    const seed = c.seed;
    const [trainSet, valid] = opts.valid
      ? [sessions, opts.valid]
      : c.validShare > 0
        ? chronologicalSplit(sessions, [1 - c.validShare, c.validShare])
        : [sessions, undefined];
    const sampler = new SessionSampler(trainSet, { batchSize: c.batchSize, maxLen: c.maxLen, seed });
    if (!sampler.usable.length)
      throw new CfmError('CFM_E_DATASET', 'no session with two or more events to train on', { field: 'sessions' });
    const validSampler = valid ? new SessionSampler(valid, { batchSize: 512, maxLen: c.maxLen, seed }) : undefined;
    if (this.balance.dataSync().every((x) => x === 1)) {
      const first = tf.tidy(() => tf.stack(this.lossTerms(sampler.batch(0, 0), Ctx.inference())).dataSync());
      tf.tidy(() => this.balance.assign(tf.tensor1d(Array.from(first, (x) => 1 / Math.max(x, 1e-3)))));
    }
    const report = await train(
      {
        params: this.params,
        batchesPerEpoch: sampler.batchesPerEpoch,
        batch: (e, i) => sampler.batch(e, i),
        size: (b) => b.batchSize,
        loss: (b, ctx) => this.loss(b, ctx),
        validate: validSampler?.usable.length ? () => -this.evalLoss(validSampler.all()) : undefined,
      },
      {
        ...opts,
        epochs: c.epochs,
        seed,
        optim: { lr: c.lr, weightDecay: c.weightDecay, clipNorm: c.clipNorm, warmupSteps: c.warmupSteps, schedule: c.schedule },
        patience: c.patience,
        validateEvery: c.validateEvery,
        runKey: `${this.vocabHash}/${JSON.stringify(c)}/${seed}`,
        progress: this.progress,
      },
    );
    if (report.bestMetric !== undefined) this.metrics.valid_balanced_loss = -report.bestMetric;
    Object.assign(this.metrics, Object.fromEntries(Object.entries(this.weighting.weights()).map(([k, v]) => [`weight/${k}`, v])));
    return report;
  }

  async fit(data: PreparedDataset, opts: FitOptions = {}): Promise<FitReport> {
    if (data.vocabs.item.hash !== this.vocabHash)
      throw new CfmError('CFM_E_VOCAB_MISMATCH', `item vocabulary ${data.vocabs.item.hash} != model's ${this.vocabHash}`, {
        field: 'vocabs.item',
      });
    const sessions = preparedSessions(data.train, this.buyType);
    this.setAttributes(preparedAttributes(data, sessions, this.config));
    return this.fitSessions(sessions, opts);
  }

  /** head predictions and states for every step of each given session prefix (item indices) */
  predictSteps(prefixes: Int32Array[], batchSize = 256): StepPredictions[] {
    const out: StepPredictions[] = [];
    for (let s = 0; s < prefixes.length; s += batchSize) {
      const rows = prefixes.slice(s, s + batchSize);
      const flat = {
        offsets: Int32Array.from([0, ...rows.map((_, i) => rows.slice(0, i + 1).reduce((a, r) => a + r.length, 0))]),
        items: Int32Array.from(rows.flatMap((r) => Array.from(r))),
        buys: new Uint8Array(0),
        start: new Float64Array(rows.length),
      };
      flat.buys = new Uint8Array(flat.items.length);
      const b = makeBatch(
        flat,
        rows.map((_, i) => i),
        Number.MAX_SAFE_INTEGER,
      );
      const outs = tf.tidy(() => {
        const h = this.hidden(b.items, b.mask, b.batchSize, b.maxLen);
        const ctx = Ctx.inference();
        return [h, ...[this.heads.next, this.heads.purchased].flatMap((g) => g.map((m) => m.apply(h, ctx)))];
      });
      const data = outs.map((t) => t.dataSync() as Float32Array);
      tf.dispose(outs);
      const M = this.specs.length;
      rows.forEach((r, i) => {
        const from = i * b.maxLen + b.maxLen - r.length;
        const cut = (x: Float32Array, dim: number) => x.slice(from * dim, (from + r.length) * dim);
        out.push({
          steps: r.length,
          hidden: cut(data[0], this.config.hidden),
          heads: [0, 1].map((g) => this.specs.map((a, m) => cut(data[1 + g * M + m], a.dim))),
        });
      });
    }
    return out;
  }
  /* CustomerModel inference over SequenceBatch rows (item index = item vocabulary id) in inference.ts */
  embed(batch: SequenceBatch): Float32Array {
    return embedBatch(this, batch);
  }
  score(batch: SequenceBatch, task: string, candidates?: Int32Array): Float32Array {
    return scoreBatch(this, batch, task, candidates);
  }
  /** customer vectors [B, H] (the fine-tuning Encoder hook): the encoder state after the last event, as `embed`
   * returns it; differentiable in the encoder's weights (the attribute table stays fixed) */
  encodeVector(batch: SequenceBatch, _ctx: Ctx): tf.Tensor2D {
    return this.lastHidden(batch.items, batch.batchSize, batch.maxLen);
  }
  /** [B, L] padded batch → last state [B, H] */
  lastHidden(items: Int32Array, b: number, l: number): tf.Tensor2D {
    const mask = Float32Array.from(items, (x) => (x > 0 && x < this.items ? 1 : 0));
    const safe = Int32Array.from(items, (x) => (x > 0 && x < this.items ? x : 0));
    return tf.tidy(
      () =>
        this.hidden(safe, mask, b, l)
          .reshape([b, l, this.config.hidden])
          .slice([0, l - 1, 0], [-1, 1, -1])
          .reshape([b, this.config.hidden]) as tf.Tensor2D,
    );
  }

  async save(dir: string): Promise<ArtifactManifest> {
    const dims = { specs: this.specs, items: this.items, buyType: this.buyType };
    return saveArtifact(
      dir,
      {
        family: this.family,
        config: this.config,
        vocabHash: this.vocabHash,
        seed: this.config.seed,
        metrics: this.metrics,
        extra: { 'dims.json': dims },
      },
      Object.fromEntries(this.params.vars),
    );
  }
  dispose(): void {
    this.params.dispose();
  }
}
