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
import { auc } from '@cfm/eval';
import { FineTuneConfig, type FineTuneConfigInput } from './finetune-config';
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

/** `fineTune`'s settings (FineTuneConfig: defaults and checks, ./finetune-config) plus what the run hands it */
export type FineTuneOptions = FineTuneConfigInput & {
  maxLen: number;
  itemFeatures?: Record<string, Int32Array>;
  progress?: ProgressReporter;
  /** cancels training: fineTune throws CfmError('CFM_E_STATE') at the next step */
  signal?: AbortSignal;
  /** called after every optimizer step (activity heartbeats) */
  onProgress?: FitOptions['onProgress'];
  /** labelled held-out examples that pick the best epoch instead of the validFraction split of the training examples */
  valid?: FineTuneExamples;
};

interface Batch {
  idx: number[];
  /** a head warm-up batch: the head alone, on the frozen encoder's vectors */
  warm: boolean;
}

/** the padded batch of examples idx, with event times (date-aware encoders read them) */
function exampleBatch(ex: FineTuneExamples, idx: number[], o: FineTuneOptions): SequenceBatch {
  return padBatch(
    ex.sequences,
    idx.map((i) => ex.rows[i]),
    { maxLen: o.maxLen, itemFeatures: o.itemFeatures, ends: Int32Array.from(idx, (i) => ex.ends[i]), times: true },
  );
}

/** the head's bilinear weights between the customer vector and the side features (FineTuneConfig sideCross) */
const CROSS = 'finetune/cross';

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
    return tf.tidy(() => {
      const { v, side } = this.parts(ex, idx, ctx, cached);
      return side ? tf.concat([v, side], 1) : v;
    });
  }

  /** the customer vectors [b, D] and side features [b, sideDim] (none without side features) of examples idx */
  private parts(ex: FineTuneExamples, idx: number[], ctx: Ctx, cached: boolean): { v: tf.Tensor2D; side?: tf.Tensor2D } {
    const d = this.encoder.embeddingDim;
    let v: tf.Tensor2D;
    if (cached)
      v = tf.tensor2d(Float32Array.from(idx.flatMap((i) => Array.from(this.cache!.subarray(i * d, (i + 1) * d)))), [idx.length, d]);
    else v = this.encoder.encodeVector(exampleBatch(ex, idx, this.o), ctx);
    const sd = ex.sideDim ?? 0;
    if (!sd) return { v };
    const side = tf.tensor2d(Float32Array.from(idx.flatMap((i) => Array.from(ex.side!.subarray(i * sd, (i + 1) * sd)))), [idx.length, sd]);
    return { v, side };
  }

  /** logits [b] of examples idx: the head MLP on [vector, side], plus vᵀ W side when the head has the cross term */
  logits(ex: FineTuneExamples, idx: number[], ctx: Ctx, cached = this.servesFromCache(ex)): tf.Tensor1D {
    return tf.tidy(() => {
      const { v, side } = this.parts(ex, idx, ctx, cached);
      const z = this.head.apply(side ? tf.concat([v, side], 1) : v, ctx).reshape([-1]) as tf.Tensor1D;
      const cross = this.headParams.vars.get(CROSS);
      return side && cross ? tf.add(z, tf.sum(tf.mul(tf.matMul(v, cross), side), 1)) : z;
    });
  }

  /** logits [N] of the examples (encoder at inference) */
  predict(ex: FineTuneExamples, batchSize = 512): Float32Array {
    const out = new Float32Array(ex.rows.length);
    const cached = this.servesFromCache(ex);
    for (let s = 0; s < ex.rows.length; s += batchSize) {
      const idx = Array.from({ length: Math.min(batchSize, ex.rows.length - s) }, (_, i) => s + i);
      const logits = this.logits(ex, idx, Ctx.inference(), cached);
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

/** training and validation example indices: `validFraction` of the customers (never split across the two) held out,
 * or none when that leaves a part with one class only */
function validSplit(ex: FineTuneExamples, c: FineTuneConfig): { train: number[]; valid: number[] } {
  const all = Array.from({ length: ex.rows.length }, (_, i) => i);
  if (!c.validFraction) return { train: all, valid: [] };
  const customers = createRng(c.seed)
    .fork('finetune/valid')
    .shuffle([...new Set(ex.rows)].sort((a, b) => a - b));
  const held = new Set(customers.slice(0, Math.round(c.validFraction * customers.length)));
  const valid = all.filter((i) => held.has(ex.rows[i]));
  const train = all.filter((i) => !held.has(ex.rows[i]));
  const classes = (idx: number[]) => new Set(idx.map((i) => ex.labels![i])).size;
  return classes(valid) === 2 && classes(train) === 2 ? { train, valid } : { train: all, valid: [] };
}

/** Train a new head (and, unless frozen, the encoder) on `ex`; returns the fine-tuned model, the report and the
 * number of parameters trained (the head's, plus the encoder's that the customer vector depends on when not frozen).
 * Settings: FineTuneConfig. When the encoder trains along, the first `headWarmupEpochs` train the head alone on the
 * frozen encoder's vectors, then the encoder joins at `encoderLrScale` × the head's rate. With a validation split the
 * weights of the epoch with the best validation AUROC are kept (the end of the warm-up among them), and training
 * stops after `patience` epochs without a better one. */
export async function fineTune(
  encoder: Encoder,
  ex: FineTuneExamples,
  o: FineTuneOptions,
): Promise<{ model: FineTuned; report: FitReport; parameters: number; config: FineTuneConfig }> {
  if (!ex.labels || ex.labels.length !== ex.rows.length)
    throw new CfmError(
      'CFM_E_CONFIG',
      `fine-tuning needs one label per example (${ex.labels?.length ?? 0} labels, ${ex.rows.length} examples)`,
      { field: 'labels' },
    );
  const { maxLen, itemFeatures, progress, signal, onProgress, valid, ...settings } = o;
  if (valid && (!valid.labels || valid.labels.length !== valid.rows.length))
    throw new CfmError(
      'CFM_E_CONFIG',
      `fine-tuning's validation examples need one label each (${valid.labels?.length ?? 0} labels, ${valid.rows.length} examples)`,
      {
        field: 'valid',
      },
    );
  const parsed = FineTuneConfig.safeParse(settings);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CfmError('CFM_E_CONFIG', `fine-tune settings: ${issue.path.join('.') || '(root)'}: ${issue.message}`, {
      field: issue.path.join('.'),
    });
  }
  const c = parsed.data;
  const seed = c.seed;
  const headParams = new Params(seed + 7919);
  const sizes = [encoder.embeddingDim + (ex.sideDim ?? 0), ...c.hidden, 1];
  const head = new Mlp(headParams, 'finetune/head', sizes, 'relu', c.dropout);
  if (c.sideCross && ex.sideDim) headParams.add(CROSS, [encoder.embeddingDim, ex.sideDim], 'zeros');
  const runtime = { ...c, maxLen, itemFeatures, progress, signal, onProgress };
  const warmEpochs = c.freezeEncoder ? 0 : c.headWarmupEpochs;
  // the encoder's vectors of every example at inference: the frozen encoder's inputs, or the warm-up's
  const vectors = c.freezeEncoder || warmEpochs > 0 ? encodeExamples(encoder, ex, runtime) : undefined;
  const model = new FineTuned(encoder, head, headParams, runtime, c.freezeEncoder ? vectors : undefined, ex);
  const warm = warmEpochs > 0 ? new FineTuned(encoder, head, headParams, runtime, vectors, ex) : undefined;
  const trained = new Params(seed);
  for (const [k, v] of headParams.vars) trained.vars.set(k, v);
  const { train: trainIdx, valid: validIdx } =
    valid || !c.keepBest ? { train: Array.from({ length: ex.rows.length }, (_, i) => i), valid: [] } : validSplit(ex, c);
  const bs = c.batchSize;
  const n = trainIdx.length;
  const lossOf = (idx: number[], ctx: Ctx, fromVectors: boolean) =>
    tf.tidy(() => {
      const on = fromVectors && warm ? warm : model;
      const logits = on.logits(ex, idx, ctx, fromVectors); // [b]
      return binaryCrossEntropy(logits, tf.tensor1d(Float32Array.from(idx, (i) => ex.labels![i])));
    });
  if (!c.freezeEncoder) {
    // only the encoder variables the customer vector depends on (a family's task heads get no gradient)
    const vars = [...encoder.params.vars];
    const { value, grads } = tf.variableGrads(
      () => lossOf(trainIdx.slice(0, bs), new Ctx(true, seed), false),
      vars.map(([, v]) => v),
    );
    for (const [k, v] of vars) if (grads[v.name]) trained.vars.set(`encoder/${k}`, v);
    tf.dispose([value, ...Object.values(grads)]);
  }
  const order = (epoch: number) => createRng(seed).fork(`finetune/epoch/${epoch}`).shuffle(trainIdx.slice());
  let cached: { epoch: number; idx: number[] } | null = null;
  // validation: the caller's held-out examples, or the customers validSplit held out of ex
  const vex = valid ?? ex;
  const vidx = valid ? Array.from({ length: valid.rows.length }, (_, i) => i) : validIdx;
  const vLabels = Float32Array.from(vidx, (i) => vex.labels![i]);
  const validates = c.keepBest && vidx.length > 0 && new Set(vLabels).size === 2;
  const vStored = !validates
    ? undefined
    : !valid
      ? (warm ?? model)
      : vectors
        ? new FineTuned(encoder, head, headParams, runtime, encodeExamples(encoder, valid, runtime), valid)
        : undefined;
  let epochsDone = 0;
  /** validation AUROC of the current weights (the encoder at inference; its stored vectors while it has not changed) */
  const validate = () => {
    const fromVectors = c.freezeEncoder || ++epochsDone <= warmEpochs;
    const logits = new Float32Array(vidx.length);
    for (let s = 0; s < vidx.length; s += 512) {
      const idx = vidx.slice(s, s + 512);
      const z = (fromVectors ? vStored! : model).logits(vex, idx, Ctx.inference(), fromVectors);
      logits.set(z.dataSync() as Float32Array, s);
      z.dispose();
    }
    return auc(logits, vLabels);
  };
  const report = await train<Batch>(
    {
      params: trained,
      batchesPerEpoch: Math.ceil(n / bs),
      batch: (epoch, i) => {
        if (cached?.epoch !== epoch) cached = { epoch, idx: order(epoch) };
        return { idx: cached.idx.slice(i * bs, (i + 1) * bs), warm: c.freezeEncoder || epoch < warmEpochs };
      },
      size: (b) => b.idx.length,
      loss: (b, ctx) => lossOf(b.idx, ctx, b.warm),
      validate: validates ? validate : undefined,
    },
    {
      epochs: c.epochs,
      seed,
      patience: c.patience,
      optim: {
        lr: c.lr,
        weightDecay: c.weightDecay,
        warmupSteps: 0,
        schedule: 'cosine',
        clipNorm: 5,
        lrScale: (name) => (name.startsWith('encoder/') ? c.encoderLrScale : 1),
      },
      progress: progress ?? silentProgress,
      signal,
      onProgress,
    },
  );
  let parameters = 0;
  for (const v of trained.vars.values()) parameters += v.size;
  return { model, report, parameters, config: c };
}
