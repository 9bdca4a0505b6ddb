/** MCM readout module (§2.1.2). For a label w of a task with embedding e_w (tied with the input table):
 *   attentional: a_{w,i} = softmax_i(e_wᵀh_i), r_w = Σ_i a_{w,i} h_i, s(w) = r_wᵀe_w   (Eq. 2–3)
 *   last:        s(w) = h_[MASK]ᵀe_w                                                   (BERT4Rec)
 * h_i are the encoder states after a per-task GELU projection + layer norm; a per-label bias is added. */
import * as tf from '@tensorflow/tfjs';
import { Dense, LayerNorm, matmul2d, type Params } from '@cfm/tensor';
import { attentionalScores, causalAttentionalScores } from './readout';

export class TaskHead {
  readonly proj: Dense;
  readonly norm: LayerNorm;
  readonly bias?: tf.Variable;
  constructor(
    p: Params,
    readonly task: string,
    dModel: number,
    labels: number,
    readonly readout: 'attentional' | 'last',
    outputBias: boolean,
  ) {
    this.proj = new Dense(p, `head/${task}/proj`, dModel, dModel, 'gelu');
    this.norm = new LayerNorm(p, `head/${task}/ln`, dModel);
    if (outputBias) this.bias = p.add(`head/${task}/bias`, [labels], 'zeros');
  }

  /** hidden [B, L, D], tokens [B, L] 0/1 (real or [MASK]), maskPos [B] (the [MASK] slot), table [V, D],
   * candidates [C] → scores [B, C|V] */
  apply(hidden: tf.Tensor3D, tokens: tf.Tensor2D, maskPos: tf.Tensor1D, table: tf.Tensor2D, candidates?: tf.Tensor1D): tf.Tensor2D {
    const [b, l, d] = hidden.shape;
    const e = candidates ? tf.gather(table, candidates) : table; // [V, D]
    let s: tf.Tensor2D;
    if (this.readout === 'last') {
      const flat = tf.add(tf.mul(tf.range(0, b, 1, 'int32'), tf.scalar(l, 'int32')), maskPos); // [B]
      const q = tf.gather(hidden.reshape([b * l, d]), flat); // [B, D]
      s = matmul2d(this.norm.apply(this.proj.apply(q)) as tf.Tensor2D, tf.transpose(e) as tf.Tensor2D); // [B, V]
    } else {
      const z = this.norm.apply(this.proj.apply(hidden)).reshape([b, l, d]) as tf.Tensor3D; // [B, L, D]
      const pad = tf.mul(tf.sub(1, tokens.toFloat()), -1e9) as tf.Tensor2D; // [B, L]
      s = attentionalScores(z, pad, e); // [B, V] = Σ_i a_{w,i} e_wᵀh_i = r_wᵀe_w
    }
    if (!this.bias) return s;
    return tf.add(s, candidates ? tf.gather(this.bias, candidates) : this.bias) as tf.Tensor2D;
  }

  /** causal training: the scores of every position's prefix, hidden [B, L, D], tokens [B, L] → [B·L, C|V]
   * (attentional: Eq. 2–3 over positions ≤ t; last: the state at t · label embedding) */
  applyAll(hidden: tf.Tensor3D, tokens: tf.Tensor2D, table: tf.Tensor2D, candidates?: tf.Tensor1D): tf.Tensor2D {
    const [b, l, d] = hidden.shape;
    const e = candidates ? tf.gather(table, candidates) : table;
    const z = this.norm.apply(this.proj.apply(hidden)).reshape([b, l, d]) as tf.Tensor3D;
    const s =
      this.readout === 'last'
        ? matmul2d(z.reshape([b * l, d]) as tf.Tensor2D, tf.transpose(e) as tf.Tensor2D)
        : causalAttentionalScores(z, tokens, e);
    if (!this.bias) return s;
    return tf.add(s, candidates ? tf.gather(this.bias, candidates) : this.bias) as tf.Tensor2D;
  }
}
