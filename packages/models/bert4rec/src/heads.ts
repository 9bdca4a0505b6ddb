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
    return tf.add(matmul2d(z, tf.transpose(t) as tf.Tensor2D), b) as tf.Tensor2D; // [N, C|V]
  }
}
