/** BERT4Rec's output side as one native call (packages/tensor/native/fused_head.cc): the masked rows of the encoder
 * output, GELU projection, layer norm, tied logits against [table | bias] and the mean softmax cross-entropy, with
 * every gradient. The same function as linearSoftmaxCE([LN(gelu(h[pos]·W + b)), 1], [table | bias], labels)
 * (fused-head.test.ts), without the ~40 TF.js ops around the loss kernel. CPU native backend with the addon only
 * (see fused-ce.ts); CFM_FUSED_HEAD=0 turns it off. */
import * as tf from '@tensorflow/tfjs';
import { runtimeOptions } from '@cfm/core';
import { fusedCeActive, loadFusedCe } from './fused-ce';

interface HeadAddon {
  headRun(...args: unknown[]): void;
}

/** true when fusedItemHeadCE runs natively (it needs the loss kernel too) */
export function fusedHeadActive(): boolean {
  return runtimeOptions().CFM_FUSED_HEAD && fusedCeActive();
}

export interface ItemHeadWeights {
  w: tf.Tensor2D; // projection [D, D]
  b: tf.Tensor1D; // [D]
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
  table: tf.Tensor2D; // tied item table [V, D]
  bias: tf.Tensor1D; // output bias [V]
}

/** mean CE over the rows `positions` of h [T, D] against `labels`, through the head's projection and layer norm */
export function fusedItemHeadCE(h: tf.Tensor2D, positions: Int32Array, labels: Int32Array, p: ItemHeadWeights): tf.Scalar {
  const addon = loadFusedCe() as unknown as HeadAddon;
  const [t, d] = h.shape;
  const n = positions.length;
  const v = p.table.shape[0];
  const weights = new Float32Array(n).fill(1 / Math.max(n, 1));
  const o = runtimeOptions();
  const inputs = [h, p.w, p.b, p.gamma, p.beta, p.table, p.bias];
  const fn = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [hs, w, b, g, bt, tab, bias] = (args.slice(0, 7) as tf.Tensor[]).map((x) => x.dataSync() as Float32Array);
    const out = [
      new Float32Array(n),
      new Float32Array(t * d),
      new Float32Array(d * d),
      new Float32Array(d),
      new Float32Array(d),
      new Float32Array(d),
      new Float32Array(v * d),
      new Float32Array(v),
    ];
    addon.headRun(hs, positions, w, b, g, bt, tab, bias, labels, weights, [n, d, v, t], o.CFM_FUSED_CE_THREADS, o.CFM_FUSED_CE_CHUNK, out);
    let loss = 0;
    for (let i = 0; i < n; i++) loss += weights[i] * out[0][i];
    return {
      value: tf.scalar(loss),
      gradFunc: (dy: tf.Tensor) => {
        const s = dy.dataSync()[0];
        return out.slice(1).map((a, i) => {
          if (s !== 1) for (let j = 0; j < a.length; j++) a[j] *= s;
          return tf.tensor(a, inputs[i].shape);
        });
      },
    };
  });
  return fn(...inputs) as tf.Scalar;
}
