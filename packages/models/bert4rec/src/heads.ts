/** BERT4Rec output layer (paper Eq. 7): GELU projection + layer norm, then logits against the
 * tied item embedding table plus an output bias. */
import * as tf from '@tensorflow/tfjs';
import { Dense, LayerNorm, matmul2d, type Params } from '@cfm/tensor';

export class ItemHead {
  readonly proj: Dense;
  readonly norm: LayerNorm;
  readonly bias: tf.Variable;
  constructor(p: Params, dModel: number, itemCount: number) {
    this.proj = new Dense(p, 'head/proj', dModel, dModel, 'gelu');
    this.norm = new LayerNorm(p, 'head/ln', dModel);
    this.bias = p.add('head/bias', [itemCount], 'zeros');
  }
  /** h [N, D], table [V, D] → logits [N, V], or [N, C] for candidate ids [C] */
  apply(h: tf.Tensor, table: tf.Tensor2D, candidates?: tf.Tensor1D): tf.Tensor2D {
    const z = this.norm.apply(this.proj.apply(h)) as tf.Tensor2D; // [N, D]
    const t = candidates ? tf.gather(table, candidates) : table; // [C|V, D]
    const b = candidates ? tf.gather(this.bias, candidates) : this.bias;
    // the bias rides in the matmul as an extra column ([z, 1] · [t, b]ᵀ): no pass over [N, V] to add it,
    // and its gradient comes out of the same matmul instead of a sum over N
    const z1 = tf.concat([z, tf.ones([z.shape[0], 1])], 1) as tf.Tensor2D; // [N, D+1]
    const tb = tf.concat([t, b.reshape([-1, 1])], 1) as tf.Tensor2D; // [C|V, D+1]
    return matmul2d(z1, tf.transpose(tb) as tf.Tensor2D); // [N, C|V]; an explicit transpose keeps the weight gradient zᵀ·g (2× faster than gᵀ·z)
  }
}
