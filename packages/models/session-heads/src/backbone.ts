/** Session encoders g (MeLi §4): a single-layer GRU, or a moving average of the input embeddings
 * followed by one tanh projection (the paper's MA variant), both giving h_i for every step i. */
import * as tf from '@tensorflow/tfjs';
import { Dense, Gru, type Params } from '@cfm/tensor';

export class SessionEncoder {
  readonly gru?: Gru;
  readonly proj?: Dense;
  constructor(
    p: Params,
    readonly kind: 'gru' | 'ma',
    readonly inDim: number,
    readonly hidden: number,
  ) {
    if (kind === 'gru') this.gru = new Gru(p, 'encoder/gru', inDim, hidden);
    else this.proj = new Dense(p, 'encoder/ma', inDim, hidden, 'tanh');
  }
  /** x [B, L, inDim], mask [B, L] (1 = event; sessions left-padded) → h [B, L, H] */
  apply(x: tf.Tensor, mask: tf.Tensor): tf.Tensor {
    if (this.gru) return this.gru.apply(x, mask).outputs;
    return tf.tidy(() => {
      const m = mask.toFloat().expandDims(2); // [B, L, 1]
      const sum = tf.cumsum(tf.mul(x, m), 1); // [B, L, inDim]
      const count = tf.maximum(tf.cumsum(m, 1), 1); // [B, L, 1]
      return this.proj!.apply(tf.div(sum, count)); // [B, L, H]
    });
  }
}
