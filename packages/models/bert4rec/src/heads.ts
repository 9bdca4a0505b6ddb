/** BERT4Rec output layer (paper Eq. 7): GELU projection + layer norm, then logits against the
 * tied item embedding table plus an output bias. */
import * as tf from '@tensorflow/tfjs';
import { Dense, fusedItemHeadCE, LayerNorm, linearSoftmaxCE, matmul2d, type Params } from '@cfm/tensor';

export class ItemHead {
  readonly proj: Dense;
  readonly norm: LayerNorm;
  readonly bias: tf.Variable;
  constructor(p: Params, dModel: number, itemCount: number) {
    this.proj = new Dense(p, 'head/proj', dModel, dModel, 'gelu');
    this.norm = new LayerNorm(p, 'head/ln', dModel);
    this.bias = p.add('head/bias', [itemCount], 'zeros');
  }
  /** the two operands of the logits: [z, 1] [N, D+1] and [t, b] [C|V, D+1]; the bias rides in the matmul as an
   * extra column, so there is no pass over [N, V] to add it and its gradient comes out of the same matmul */
  private operands(h: tf.Tensor, table: tf.Tensor2D, candidates?: tf.Tensor1D): [tf.Tensor2D, tf.Tensor2D] {
    const z = this.norm.apply(this.proj.apply(h)) as tf.Tensor2D; // [N, D]
    const t = candidates ? tf.gather(table, candidates) : table; // [C|V, D]
    const b = candidates ? tf.gather(this.bias, candidates) : this.bias;
    return [tf.concat([z, tf.ones([z.shape[0], 1])], 1) as tf.Tensor2D, tf.concat([t, b.reshape([-1, 1])], 1) as tf.Tensor2D];
  }
  /** h [N, D], table [V, D] → logits [N, V], or [N, C] for candidate ids [C] */
  apply(h: tf.Tensor, table: tf.Tensor2D, candidates?: tf.Tensor1D): tf.Tensor2D {
    const [z1, tb] = this.operands(h, table, candidates);
    return matmul2d(z1, tf.transpose(tb) as tf.Tensor2D); // an explicit transpose keeps the weight gradient zᵀ·g (2× faster than gᵀ·z)
  }
  /** mean cross-entropy of labels [N] under the full item softmax, without materialising the [N, V] logits
   * where the fused CPU kernel is available (linearSoftmaxCE); the same value as CE over apply(h, table) */
  loss(h: tf.Tensor, table: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
    const [z1, tb] = this.operands(h, table);
    return linearSoftmaxCE(z1, tb, labels, null);
  }
  /** loss(tf.gather(h, positions), table, labels) as one native call (fusedItemHeadCE); only where fusedHeadActive() */
  fusedLoss(h: tf.Tensor2D, positions: Int32Array, table: tf.Tensor2D, labels: Int32Array): tf.Scalar {
    const p = {
      w: this.proj.w as tf.Tensor2D,
      b: this.proj.b as tf.Tensor1D,
      gamma: this.norm.gamma as tf.Tensor1D,
      beta: this.norm.beta as tf.Tensor1D,
    };
    return fusedItemHeadCE(h, positions, labels, { ...p, table, bias: this.bias as tf.Tensor1D });
  }
}
