/** Losses; each returns a scalar mean over the contributing examples. */
import * as tf from '@tensorflow/tfjs';
import { hasNativeKernels } from './native-kernels';
import type { Params } from './params';

/** Full softmax cross-entropy. logits [N, V], labels [N] int; label `ignoreLabel` (default 0 = PAD) contributes nothing.
 * Fused: the loss is logsumexp(logits) - logits[label] (a flat gather, no one-hot product) and the gradient is
 * (softmax - onehot) · dy in one custom gradient, which roughly halves the element-wise passes over [N, V]
 * (they dominate a BERT4Rec step; `npx tsx scripts/bench/ce-loss.ts` times it against the one-hot form).
 * TensorFlow's own fused SparseSoftmaxCrossEntropyWithLogits was slower on CPU. */
export function softmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor, ignoreLabel: number | null = 0): tf.Scalar {
  return tf.tidy(() => {
    const v = logits.shape[logits.shape.length - 1];
    const flat = logits.reshape([-1, v]) as tf.Tensor2D; // [N, V]
    const lab = labels.flatten().toInt(); // [N]
    const nll = rowNll(flat, lab); // [N]
    if (ignoreLabel === null) return tf.mean(nll) as tf.Scalar;
    const keep = tf.notEqual(lab, ignoreLabel).toFloat();
    return tf.div(tf.sum(tf.mul(nll, keep)), tf.maximum(tf.sum(keep), 1)) as tf.Scalar;
  });
}

/** per-row negative log-likelihood of `lab` under softmax(logits), with a fused gradient.
 * Forward keeps e = exp(x - max) and its row sums, so the backward pass is one multiply, e · (dy / sum), plus
 * subtracting dy at the N label cells (a scatter on native TensorFlow, a one-hot elsewhere). */
function rowNll(logits: tf.Tensor2D, lab: tf.Tensor1D): tf.Tensor1D {
  const [n, v] = logits.shape;
  const native = hasNativeKernels();
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const x = args[0] as tf.Tensor; // [N, V]
    const save = args[1] as tf.GradSaveFunc;
    const m = tf.max(x, -1, true); // [N, 1]
    const e = tf.exp(tf.sub(x, m)); // [N, V]
    const s = tf.sum(e, -1); // [N]
    const idx = tf.add(tf.mul(tf.range(0, n, 1, 'int32'), tf.scalar(v, 'int32')), lab); // [N] flat index of each label
    const picked = tf.gather(x.reshape([-1]), idx); // [N]
    save([e, s, lab, idx]); // lab and idx are saved too: the gradient runs after the caller's tidy has ended
    return {
      value: tf.sub(tf.add(tf.log(s), m.reshape([-1])), picked),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [es, ss, lb, ix] = saved;
        const g = tf.mul(es, tf.div(dy, ss).expandDims(1)); // softmax · dy, [N, V]
        if (!native) return tf.sub(g, tf.mul(tf.oneHot(lb as tf.Tensor1D, v), dy.expandDims(1)));
        const flat = g.reshape([-1]);
        const at = tf.sub(tf.gather(flat, ix), dy); // the label cells, minus dy
        return tf.tensorScatterUpdate(flat, ix.expandDims(1), at).reshape([n, v]);
      },
    };
  });
  return f(logits) as tf.Tensor1D;
}

/** Sampled softmax: query [N, D] against its positive [N, D] and shared negatives [K, D]
 * (logits = dot products, optionally / temperature; a positive equal to a negative is not masked). */
export function sampledSoftmax(query: tf.Tensor, positives: tf.Tensor, negatives: tf.Tensor, temperature = 1): tf.Scalar {
  return tf.tidy(() => {
    const pos = tf.sum(tf.mul(query, positives), -1, true); // [N, 1]
    const neg = tf.matMul(query, negatives, false, true); // [N, K]
    const logits = tf.div(tf.concat([pos, neg], 1), temperature);
    return tf.neg(tf.mean(tf.logSoftmax(logits).slice([0, 0], [-1, 1]))) as tf.Scalar;
  });
}

/** Binary cross-entropy on logits; labels in {0, 1} (or soft), optional per-example weights. */
export function binaryCrossEntropy(logits: tf.Tensor, labels: tf.Tensor, weights?: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const l = tf.losses.sigmoidCrossEntropy(labels.toFloat(), logits, weights, 0, tf.Reduction.NONE);
    if (!weights) return tf.mean(l) as tf.Scalar;
    return tf.div(tf.sum(l), tf.maximum(tf.sum(weights), 1e-12)) as tf.Scalar;
  });
}

/** 1 - cosine similarity along the last axis, averaged. */
export function cosineLoss(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const na = tf.div(a, tf.add(tf.norm(a, 'euclidean', -1, true), 1e-8));
    const nb = tf.div(b, tf.add(tf.norm(b, 'euclidean', -1, true), 1e-8));
    return tf.sub(1, tf.mean(tf.sum(tf.mul(na, nb), -1))) as tf.Scalar;
  });
}

export function mseLoss(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(pred, target)) as tf.Scalar);
}

/** Learned uncertainty weighting (Kendall et al. 2018): Σ_i ½·exp(-s_i)·L_i + ½·s_i with s_i = log σ_i²
 * trainable (one per task, created in `params` under `name`). */
export class UncertaintyWeighting {
  readonly logVars: tf.Variable;
  constructor(
    p: Params,
    name: string,
    readonly tasks: string[],
  ) {
    this.logVars = p.add(`${name}/logVar`, [tasks.length], 'zeros');
  }
  /** losses: one scalar per task, same order as `tasks` */
  apply(losses: tf.Scalar[]): tf.Scalar {
    return tf.tidy(() => {
      const l = tf.stack(losses); // [T]
      return tf.sum(tf.mul(0.5, tf.add(tf.mul(tf.exp(tf.neg(this.logVars)), l), this.logVars))) as tf.Scalar;
    });
  }
  /** current task weights ½·exp(-s_i) */
  weights(): Record<string, number> {
    const w = tf.tidy(() => tf.mul(0.5, tf.exp(tf.neg(this.logVars))).dataSync());
    return Object.fromEntries(this.tasks.map((t, i) => [t, w[i]]));
  }
}
