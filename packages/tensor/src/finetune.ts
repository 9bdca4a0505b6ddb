/** Fine-tuning a pre-trained customer model on a small labelled task: a new MLP head on the encoder's
 * customer vector (plus optional per-example side features), trained with binary cross-entropy, with
 * the encoder frozen (vectors computed once) or trained along (its weights change in place).
 * Any family exposes its encoder by implementing `Encoder` (MCM §3.3: "add a new head on top of the
 * sequential encoder ... and fine-tune the model"). */
import * as tf from '@tensorflow/tfjs';
import {
  CfmError,
  createRng,
  silentProgress,
  padBatch,
  type CustomerSequences,
  type FitOptions,
  type FitReport,
  type ProgressReporter,
  type SequenceBatch,
} from '@cfm/core';
import { Mlp } from './layers/dense';
import { binaryCrossEntropy } from './losses';
import { Ctx, Params } from './params';
import { train } from './trainer';

/** What fine-tuning needs from a pre-trained model. */
export interface Encoder {
  readonly params: Params;
  readonly embeddingDim: number;
  /** customer vectors [B, D] of a batch; differentiable in `params` when ctx.training */
  encodeVector(batch: SequenceBatch, ctx: Ctx): tf.Tensor2D;
}

/** Labelled examples: one customer history (cut at `ends`, point in time) + side features + a 0/1 label. */
export interface FineTuneExamples {
  sequences: CustomerSequences;
  /** customer index into `sequences`, per example */
  rows: Int32Array;
  /** history end offset (exclusive) per example: only events before the example's time */
  ends: Int32Array;
  /** [N, sideDim] dense side features per example (e.g. the offer's one-hot product line) */
  side?: Float32Array;
  sideDim?: number;
  labels?: Float32Array;
}

export interface FineTuneOptions {
  freezeEncoder: boolean;
  /** hidden layer sizes of the head MLP */
  hidden?: number[];
  epochs?: number;
  lr?: number;
  batchSize?: number;
  seed?: number;
  maxLen: number;
  itemFeatures?: Record<string, Int32Array>;
  dropout?: number;
  weightDecay?: number;
  progress?: ProgressReporter;
  /** cancels training: fineTune throws CfmError('CFM_E_STATE') at the next step */
  signal?: AbortSignal;
  /** called after every optimizer step (activity heartbeats) */
  onProgress?: FitOptions['onProgress'];
}

interface Batch {
  idx: number[];
}

/** the padded batch of examples idx, with event times (date-aware encoders read them) */
function exampleBatch(ex: FineTuneExamples, idx: number[], o: FineTuneOptions): SequenceBatch {
  return padBatch(
    ex.sequences,
    idx.map((i) => ex.rows[i]),
    { maxLen: o.maxLen, itemFeatures: o.itemFeatures, ends: Int32Array.from(idx, (i) => ex.ends[i]), times: true },
  );
}

const sameInts = (a: Int32Array, b: Int32Array) => a.length === b.length && a.every((x, i) => x === b[i]);

export class FineTuned {
  /** what the cache was computed for: the training examples' histories, rows and ends (copies, so changing the
   * caller's arrays later cannot make other examples read it) */
  private readonly cacheKey?: { sequences: CustomerSequences; rows: Int32Array; ends: Int32Array };
  /** cache: the frozen encoder's vectors of `cacheFor` (the training examples), computed once */
  constructor(
    readonly encoder: Encoder,
    readonly head: Mlp,
    readonly headParams: Params,
    readonly o: FineTuneOptions,
    private cache?: Float32Array,
    cacheFor?: FineTuneExamples,
  ) {
    if (cache && cacheFor) this.cacheKey = { sequences: cacheFor.sequences, rows: cacheFor.rows.slice(), ends: cacheFor.ends.slice() };
  }

  /** true only for exactly the examples the cached vectors belong to (same histories, rows and ends, in order):
   * any other examples are encoded afresh */
  servesFromCache(ex: FineTuneExamples): boolean {
    const k = this.cacheKey;
    return !!this.cache && !!k && ex.sequences === k.sequences && sameInts(ex.rows, k.rows) && sameInts(ex.ends, k.ends);
  }

  /** [b, D + sideDim] head input for examples idx; `cached`: whether `ex` is the cached training set (checked when not given) */
  input(ex: FineTuneExamples, idx: number[], ctx: Ctx, cached = this.servesFromCache(ex)): tf.Tensor2D {
    const d = this.encoder.embeddingDim;
    let v: tf.Tensor2D;
    if (cached)
      v = tf.tensor2d(Float32Array.from(idx.flatMap((i) => Array.from(this.cache!.subarray(i * d, (i + 1) * d)))), [idx.length, d]);
    else v = this.encoder.encodeVector(exampleBatch(ex, idx, this.o), ctx);
    const sd = ex.sideDim ?? 0;
    if (!sd) return v;
    const side = tf.tensor2d(Float32Array.from(idx.flatMap((i) => Array.from(ex.side!.subarray(i * sd, (i + 1) * sd)))), [idx.length, sd]);
    return tf.concat([v, side], 1);
  }

  /** logits [N] of the examples (encoder at inference) */
  predict(ex: FineTuneExamples, batchSize = 512): Float32Array {
    const out = new Float32Array(ex.rows.length);
    const cached = this.servesFromCache(ex);
    for (let s = 0; s < ex.rows.length; s += batchSize) {
      const idx = Array.from({ length: Math.min(batchSize, ex.rows.length - s) }, (_, i) => s + i);
      const logits = tf.tidy(() => this.head.apply(this.input(ex, idx, Ctx.inference(), cached), Ctx.inference()).reshape([-1]));
      out.set(logits.dataSync() as Float32Array, s);
      logits.dispose();
    }
    return out;
  }

  dispose(): void {
    this.headParams.dispose();
  }
}

/** customer vectors [N, D] of every example, encoder at inference */
export function encodeExamples(encoder: Encoder, ex: FineTuneExamples, o: FineTuneOptions, batchSize = 512): Float32Array {
  const d = encoder.embeddingDim;
  const out = new Float32Array(ex.rows.length * d);
  for (let s = 0; s < ex.rows.length; s += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, ex.rows.length - s) }, (_, i) => s + i);
    const batch = exampleBatch(ex, idx, o);
    const v = tf.tidy(() => encoder.encodeVector(batch, Ctx.inference()));
    out.set(v.dataSync() as Float32Array, s * d);
    v.dispose();
  }
  return out;
}

/** Train a new head (and, unless frozen, the encoder) on `ex`; returns the fine-tuned model, the report and the
 * number of parameters trained (the head's, plus the encoder's that the customer vector depends on when not frozen). */
export async function fineTune(
  encoder: Encoder,
  ex: FineTuneExamples,
  o: FineTuneOptions,
): Promise<{ model: FineTuned; report: FitReport; parameters: number }> {
  if (!ex.labels || ex.labels.length !== ex.rows.length)
    throw new CfmError(
      'CFM_E_CONFIG',
      `fine-tuning needs one label per example (${ex.labels?.length ?? 0} labels, ${ex.rows.length} examples)`,
      { field: 'labels' },
    );
  const seed = o.seed ?? 0;
  const headParams = new Params(seed + 7919);
  const sizes = [encoder.embeddingDim + (ex.sideDim ?? 0), ...(o.hidden ?? [64]), 1];
  const head = new Mlp(headParams, 'finetune/head', sizes, 'relu', o.dropout ?? 0.1);
  const cache = o.freezeEncoder ? encodeExamples(encoder, ex, o) : undefined;
  const model = new FineTuned(encoder, head, headParams, o, cache, ex);
  const trained = new Params(seed);
  for (const [k, v] of headParams.vars) trained.vars.set(k, v);
  const bs = o.batchSize ?? 128;
  const n = ex.rows.length;
  const lossOf = (idx: number[], ctx: Ctx) =>
    tf.tidy(() => {
      const logits = head.apply(model.input(ex, idx, ctx, !!cache), ctx).reshape([-1]); // [b] (the training examples: cached when frozen)
      return binaryCrossEntropy(logits, tf.tensor1d(Float32Array.from(idx, (i) => ex.labels![i])));
    });
  if (!o.freezeEncoder) {
    // only the encoder variables the customer vector depends on (a family's task heads get no gradient)
    const vars = [...encoder.params.vars];
    const { value, grads } = tf.variableGrads(
      () =>
        lossOf(
          Array.from({ length: Math.min(n, bs) }, (_, i) => i),
          new Ctx(true, seed),
        ),
      vars.map(([, v]) => v),
    );
    for (const [k, v] of vars) if (grads[v.name]) trained.vars.set(`encoder/${k}`, v);
    tf.dispose([value, ...Object.values(grads)]);
  }
  const order = (epoch: number) =>
    createRng(seed)
      .fork(`finetune/epoch/${epoch}`)
      .shuffle(Array.from({ length: n }, (_, i) => i));
  let cached: { epoch: number; idx: number[] } | null = null;
  const report = await train<Batch>(
    {
      params: trained,
      batchesPerEpoch: Math.ceil(n / bs),
      batch: (epoch, i) => {
        if (cached?.epoch !== epoch) cached = { epoch, idx: order(epoch) };
        return { idx: cached.idx.slice(i * bs, (i + 1) * bs) };
      },
      size: (b) => b.idx.length,
      loss: (b, ctx) => lossOf(b.idx, ctx),
    },
    {
      epochs: o.epochs ?? 10,
      seed,
      optim: { lr: o.lr ?? 1e-3, weightDecay: o.weightDecay ?? 0.01, warmupSteps: 0, schedule: 'cosine', clipNorm: 5 },
      progress: o.progress ?? silentProgress,
      signal: o.signal,
      onProgress: o.onProgress,
    },
  );
  let parameters = 0;
  for (const v of trained.vars.values()) parameters += v.size;
  return { model, report, parameters };
}
