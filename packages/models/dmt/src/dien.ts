/** DIEN's interest layers (Zhou et al., "Deep Interest Evolution Network for Click-Through Rate Prediction",
 * AAAI 2019, §4.2–4.3), the DIEN baseline of DMT Table 1:
 * - interest extractor: a GRU over the behaviour embeddings, hidden states h_t;
 * - interest evolving: attention of the target over the extracted interests,
 *   a_t = exp(h_t W e_a) / Σ_j exp(h_j W e_a) (Eq. 5, over real steps), and a GRU with attentional update gate
 *   (AUGRU, Eq. 7–8): u'_t = a_t · u_t, h'_t = (1 − u'_t) ∘ h'_{t−1} + u'_t ∘ h̃'_t; the last state h'_T is the
 *   interest vector for that target.
 * The auxiliary loss of §4.2 (next behaviour vs a sampled negative on each h_t) is not implemented: the extractor
 * is trained by the ranking loss only. Sequences are left-padded; padded steps keep the state (a_t = 0 there). */
import * as tf from '@tensorflow/tfjs';
import { Dense, Gru, matmul2d, type Params } from '@cfm/tensor';

/** x [B, L, F] → L × [B, F] by slices (as Gru: tf.unstack's gradient fails when L = 1) */
function timeSteps(x: tf.Tensor): tf.Tensor2D[] {
  const [b, l, f] = x.shape;
  return Array.from({ length: l }, (_, t) => x.slice([0, t, 0], [b, 1, f]).reshape([b, f]) as tf.Tensor2D);
}

export class InterestEvolution {
  readonly extractor: Gru;
  /** W of a_t = softmax(h_t W e_a) */
  readonly attention: Dense;
  /** AUGRU input projection (update, reset, candidate) and recurrent weights */
  readonly input: Dense;
  readonly recurrent: tf.Variable;
  constructor(
    p: Params,
    name: string,
    readonly dim: number,
  ) {
    this.extractor = new Gru(p, `${name}/extractor`, dim, dim);
    this.attention = new Dense(p, `${name}/attention`, dim, dim, 'linear', false);
    this.input = new Dense(p, `${name}/augru/input`, dim, 3 * dim);
    this.recurrent = p.add(`${name}/augru/recurrent`, [dim, 3 * dim], 'glorot');
  }

  /** extracted interests h [R, L, D] and attention a [R, Q, L] of each target over them (0 at padding) */
  interests(query: tf.Tensor3D, seq: tf.Tensor3D, mask: tf.Tensor2D): { h: tf.Tensor3D; a: tf.Tensor3D } {
    const h = this.extractor.apply(seq, mask).outputs as tf.Tensor3D; // [R, L, D]
    const m = mask.expandDims(1); // [R, 1, L]
    const scores = tf.matMul(query, this.attention.apply(h).transpose([0, 2, 1]) as tf.Tensor3D); // e_a · (h_t W)  [R, Q, L]
    const a = tf.mul(tf.softmax(tf.add(scores, tf.mul(tf.sub(1, m), -1e9)), -1), m) as tf.Tensor3D;
    return { h, a };
  }

  /** query [R, Q, D] (target items), behaviours [R, L, D], mask [R, L] (1 = real) → final AUGRU state [R, Q, D] */
  apply(query: tf.Tensor3D, seq: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor3D {
    const [R, Q, D] = query.shape;
    const L = seq.shape[1];
    if (!L) return tf.zeros([R, Q, D]); // no request of the batch has this behaviour
    const { h, a } = this.interests(query, seq, mask);
    // the input projection does not depend on the target: once per request, then shared by its Q targets
    const x = tf.broadcastTo((this.input.apply(h) as tf.Tensor3D).expandDims(1), [R, Q, L, 3 * D]).reshape([R * Q, L, 3 * D]);
    const xs = timeSteps(x); // L × [RQ, 3D]
    const as = timeSteps(a.reshape([R * Q, L, 1])); // L × [RQ, 1]
    const [uur, un] = tf.split(this.recurrent, [2 * D, D], 1) as tf.Tensor2D[];
    let s: tf.Tensor2D = tf.zeros([R * Q, D]);
    for (let t = 0; t < L; t++) {
      const [xur, xn] = tf.split(xs[t], [2 * D, D], 1);
      const [u, r] = tf.split(tf.sigmoid(tf.add(xur, matmul2d(s, uur))), 2, 1);
      const cand = tf.tanh(tf.add(xn, tf.mul(r, matmul2d(s, un))));
      const ua = tf.mul(as[t], u); // attentional update gate u'_t = a_t · u_t
      s = tf.add(tf.mul(tf.sub(1, ua), s), tf.mul(ua, cand)) as tf.Tensor2D;
    }
    return s.reshape([R, Q, D]);
  }
}
