/** MCM readout module (§2.1.2). For a label w of a task with embedding e_w (tied with the input table):
 *   attentional: a_{w,i} = softmax_i(e_wᵀh_i), r_w = Σ_i a_{w,i} h_i, s(w) = r_wᵀe_w   (Eq. 2–3)
 *   last:        s(w) = h_[MASK]ᵀe_w                                                   (BERT4Rec)
 * h_i are the encoder states after a per-task GELU projection + layer norm; a per-label bias is added. */
import * as tf from '@tensorflow/tfjs';
import { Dense, LayerNorm, matmul2d, type Params } from '@cfm/tensor';

/** labels scored at a time by the attentional readout (a [B, L, LABEL_SLICE] block per op) */
export const LABEL_SLICE = 2048;

export class TaskHead {
  readonly proj: Dense;
  readonly norm: LayerNorm;
  readonly bias?: tf.Variable;
  constructor(p: Params, readonly task: string, dModel: number, labels: number, readonly readout: 'attentional' | 'last', outputBias: boolean) {
    this.proj = new Dense(p, `head/${task}/proj`, dModel, dModel, 'gelu');
    this.norm = new LayerNorm(p, `head/${task}/ln`, dModel);
    if (outputBias) this.bias = p.add(`head/${task}/bias`, [labels], 'zeros');
  }

  /** hidden [B, L, D], tokens [B, L] 0/1 (real or [MASK]), maskPos [B] (the [MASK] slot), table [V, D],
   * candidates [C] → scores [B, C|V] */
  apply(hidden: tf.Tensor3D, tokens: tf.Tensor2D, maskPos: tf.Tensor1D, table: tf.Tensor2D, candidates?: tf.Tensor1D): tf.Tensor2D {
    const v = candidates ? candidates.shape[0] : table.shape[0];
    // the attentional readout holds a few [B, L, V] tensors: over a large vocabulary, score it in slices of labels so
    // that memory is bounded by the batch, not by the number of items
    if (this.readout === 'attentional' && v > LABEL_SLICE) {
      const all = candidates ?? tf.range(0, v, 1, 'int32');
      const parts: tf.Tensor2D[] = [];
      for (let from = 0; from < v; from += LABEL_SLICE) {
        const slice = all.slice(from, Math.min(LABEL_SLICE, v - from)) as tf.Tensor1D;
        parts.push(tf.tidy(() => this.applySlice(hidden, tokens, maskPos, table, slice)));
      }
      return tf.concat(parts, 1) as tf.Tensor2D;
    }
    return this.applySlice(hidden, tokens, maskPos, table, candidates);
  }

  private applySlice(hidden: tf.Tensor3D, tokens: tf.Tensor2D, maskPos: tf.Tensor1D, table: tf.Tensor2D, candidates?: tf.Tensor1D): tf.Tensor2D {
    const [b, l, d] = hidden.shape;
    const e = candidates ? tf.gather(table, candidates) : table; // [V, D]
    const eT = tf.transpose(e) as tf.Tensor2D; // [D, V]
    const v = e.shape[0];
    let s: tf.Tensor2D;
    if (this.readout === 'last') {
      const flat = tf.add(tf.mul(tf.range(0, b, 1, 'int32'), tf.scalar(l, 'int32')), maskPos); // [B]
      const q = tf.gather(hidden.reshape([b * l, d]), flat); // [B, D]
      s = matmul2d(this.norm.apply(this.proj.apply(q)) as tf.Tensor2D, eT); // [B, V]
    } else {
      const z = this.norm.apply(this.proj.apply(hidden)).reshape([b * l, d]) as tf.Tensor2D; // [B·L, D]
      const logits = matmul2d(z, eT).reshape([b, l, v]); // [B, L, V] = e_wᵀh_i
      const pad = tf.mul(tf.sub(1, tokens.toFloat()), -1e9).expandDims(2); // [B, L, 1]
      const masked = tf.add(logits, pad);
      const ex = tf.exp(tf.sub(masked, tf.max(masked, 1, true))); // [B, L, V] (softmax is shift-invariant, so the max needs no gradient stop)
      const a = tf.div(ex, tf.sum(ex, 1, true)); // a_{w,i} over positions i
      s = tf.sum(tf.mul(a, logits), 1) as tf.Tensor2D; // [B, V] = Σ_i a_{w,i} e_wᵀh_i = r_wᵀe_w
    }
    if (!this.bias) return s;
    return tf.add(s, candidates ? tf.gather(this.bias, candidates) : this.bias) as tf.Tensor2D;
  }
}
