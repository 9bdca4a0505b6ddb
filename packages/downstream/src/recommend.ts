/** Recommendation as (user, item) pairs (§4.2.2): positives are observed pairs, negatives random items;
 * user tower = U-MLP (input-512-256-128-64) on the customer vector, item tower = a learned 64-d item embedding;
 * score = sigmoid(user · item), binary cross-entropy. Evaluated by ranking the positive among 100 random items
 * (HR@10, NDCG@10, MRR), with cold / heavy customers (bottom / top 10 % by history length). */
import * as tf from '@tensorflow/tfjs';
import { createRng, type FitReport } from '@cfm/core';
import { buildSampledCandidates, coldHeavySegments, evaluateRanking, evaluateSegments } from '@cfm/eval';
import { binaryCrossEntropy, Ctx, lookup, Mlp, Params, train } from '@cfm/tensor';
import type { UserSource } from './sources';
import type { RecommendationTask } from './tasks';
import { UMLP_HIDDEN } from './umlp';

export interface RecOptions {
  epochs: number;
  lr: number;
  seed: number;
  /** random negative items per positive in training */
  negatives?: number;
  batchSize?: number;
  /** cancels training (CfmError CFM_E_STATE) */
  signal?: AbortSignal;
  /** after every optimizer step (heartbeats) */
  onProgress?: () => void;
}

export class Recommender {
  readonly params: Params;
  readonly tower: Mlp;
  readonly items: tf.Variable;
  constructor(
    readonly src: UserSource,
    itemCount: number,
    seed: number,
  ) {
    this.params = new Params(seed + 104729);
    this.tower = new Mlp(this.params, 'rec/user', [src.dim, ...UMLP_HIDDEN], 'relu');
    this.items = this.params.add('rec/items', [itemCount, UMLP_HIDDEN.at(-1)!]);
  }
  /** logits [b, C] of examples idx against candidates [b, C] */
  logits(idx: number[], cands: Int32Array, ctx: Ctx): tf.Tensor2D {
    return tf.tidy(() => {
      const u = this.tower.apply(this.src.vectors(idx, ctx), ctx); // [b, 64]
      const it = lookup(this.items as tf.Tensor2D, tf.tensor2d(cands, [idx.length, cands.length / idx.length], 'int32')); // [b, C, 64]
      return tf.sum(tf.mul(it, u.expandDims(1)), -1) as tf.Tensor2D; // [b, C]
    });
  }
}

export async function trainRecommender(
  src: UserSource,
  t: RecommendationTask,
  trainIdx: Int32Array,
  o: RecOptions,
): Promise<{ model: Recommender; report: FitReport }> {
  const model = new Recommender(src, t.itemCount, o.seed);
  const k = o.negatives ?? 4;
  const bs = o.batchSize ?? 256;
  const trained = new Params(o.seed);
  for (const [n, v] of model.params.vars) trained.vars.set(n, v);
  if (src.params) {
    // only the encoder variables the user vector depends on (a family's own task heads get no gradient)
    const vars = [...src.params.trainable()];
    const probe = Array.from(trainIdx.subarray(0, 2));
    const { value, grads } = tf.variableGrads(
      () => tf.sum(src.vectors(probe, new Ctx(true, o.seed))) as tf.Scalar,
      vars.map(([, v]) => v),
    );
    for (const [n, v] of vars) if (grads[v.name]) trained.vars.set(`encoder/${n}`, v);
    tf.dispose([value, ...Object.values(grads)]);
  }
  const order = (epoch: number) => createRng(o.seed).fork(`rec/${epoch}`).shuffle(Array.from(trainIdx));
  const batch = (epoch: number, i: number) => {
    const idx = order(epoch).slice(i * bs, (i + 1) * bs);
    const rng = createRng(o.seed).fork(`rec/neg/${epoch}/${i}`);
    const cands = new Int32Array(idx.length * (1 + k));
    idx.forEach((e, r) => {
      cands[r * (1 + k)] = t.items[e];
      for (let j = 1; j <= k; j++) cands[r * (1 + k) + j] = 4 + rng.int(t.itemCount - 4);
    });
    return { idx, cands };
  };
  const labels = (b: number) => Float32Array.from({ length: b * (1 + k) }, (_, j) => (j % (1 + k) === 0 ? 1 : 0));
  const report = await train(
    {
      params: trained,
      batchesPerEpoch: Math.ceil(trainIdx.length / bs),
      batch,
      size: (b) => b.idx.length,
      loss: (b, ctx) =>
        tf.tidy(() => binaryCrossEntropy(model.logits(b.idx, b.cands, ctx).reshape([-1]), tf.tensor1d(labels(b.idx.length)))),
    },
    {
      epochs: o.epochs,
      seed: o.seed,
      optim: { lr: o.lr, weightDecay: 0, warmupSteps: 0, schedule: 'cosine', clipNorm: 5 },
      signal: o.signal,
      onProgress: o.onProgress,
    },
  );
  return { model, report };
}

/** HR@10, NDCG@10, MRR of the positive among `negatives` (default 100) uniform random items (not in the history),
 * overall ('all') and for the cold / heavy customers (bottom / top `fraction` by history length, default 10 %) */
export function evaluateRecommender(
  model: Recommender,
  t: RecommendationTask,
  testIdx: Int32Array,
  seed: number,
  o: { negatives?: number; fraction?: number } = {},
): Record<string, Record<string, number>> {
  const negatives = o.negatives ?? 100;
  const h = t.history;
  const lens = Int32Array.from(testIdx, (e) => t.ends[e] - h.offsets[t.rows[e]]);
  const offsets = new Int32Array(testIdx.length + 1);
  lens.forEach((n, i) => (offsets[i + 1] = offsets[i] + n));
  const ids = new Int32Array(offsets[testIdx.length]);
  testIdx.forEach((e, i) => ids.set(h.items.subarray(h.offsets[t.rows[e]], t.ends[e]), offsets[i]));
  const width = 1 + negatives;
  const cands = buildSampledCandidates({
    targets: Int32Array.from(testIdx, (e) => t.items[e]),
    history: { offsets, ids },
    itemCount: t.itemCount,
    protocol: { kind: 'uniform', count: negatives, seed },
  });
  const scores = new Float32Array(cands.length);
  for (let s = 0; s < testIdx.length; s += 256) {
    const idx = Array.from(testIdx.subarray(s, s + 256));
    const l = model.logits(idx, cands.subarray(s * width, (s + idx.length) * width), Ctx.inference());
    scores.set(l.dataSync() as Float32Array, s * width);
    l.dispose();
  }
  const result = evaluateRanking({ scores, cols: width, targets: new Int32Array(testIdx.length), metrics: ['hr@10', 'ndcg@10', 'mrr'] });
  return Object.fromEntries(evaluateSegments(result, coldHeavySegments(lens, o.fraction ?? 0.1)).map((s) => [s.segment, s.result.metrics]));
}
