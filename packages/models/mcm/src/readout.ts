/** The attentional readout's scores (Eq. 2–3) over a label table, in slices of labels with a gradient that
 * recomputes each slice: memory holds a few [B, L, LABEL_SLICE] blocks, not [B, L, V], in training as in scoring.
 *   logit_{b,i,w} = z_{b,i}·e_w,  a_{b,·,w} = softmax_i(logit_{b,i,w} + pad_{b,i}),  s_{b,w} = Σ_i a_{b,i,w} logit_{b,i,w}
 *   ∂s_{b,w}/∂logit_{b,i,w} = a_{b,i,w} (1 + logit_{b,i,w} − s_{b,w})   (0 at padding, where a = 0) */
import * as tf from '@tensorflow/tfjs';
import { matmul2d } from '@cfm/tensor';

/** labels scored at a time (one [B, L, LABEL_SLICE] block per op) */
export const LABEL_SLICE = 2048;

/** one slice: z2 [B·L, D], pad [B, L, 1], e [C, D] → logits and attention [B, L, C], scores [B, C] */
function slice(z2: tf.Tensor2D, pad: tf.Tensor3D, e: tf.Tensor2D, b: number, l: number) {
  const c = e.shape[0];
  const logits = matmul2d(z2, tf.transpose(e) as tf.Tensor2D).reshape([b, l, c]) as tf.Tensor3D;
  const masked = tf.add(logits, pad);
  const ex = tf.exp(tf.sub(masked, tf.max(masked, 1, true)));
  const a = tf.div(ex, tf.sum(ex, 1, true)) as tf.Tensor3D;
  const s = tf.sum(tf.mul(a, logits), 1) as tf.Tensor2D;
  return { logits, a, s };
}

/** z [B, L, D] (the task's projected states), pad [B, L] (0 at real tokens, -1e9 at padding), e [V, D] → s [B, V] */
export function attentionalScores(z: tf.Tensor3D, pad: tf.Tensor2D, e: tf.Tensor2D): tf.Tensor2D {
  const f = tf.customGrad(((zz: tf.Tensor3D, pp: tf.Tensor2D, ee: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const [b, l, d] = zz.shape;
    const v = ee.shape[0];
    const z2 = zz.reshape([b * l, d]) as tf.Tensor2D;
    const p3 = pp.expandDims(2) as tf.Tensor3D;
    const parts: tf.Tensor2D[] = [];
    for (let from = 0; from < v; from += LABEL_SLICE) {
      const n = Math.min(LABEL_SLICE, v - from);
      parts.push(tf.tidy(() => slice(z2, p3, ee.slice([from, 0], [n, d]) as tf.Tensor2D, b, l).s));
    }
    const value = (parts.length === 1 ? parts[0] : tf.concat(parts, 1)) as tf.Tensor2D;
    save([zz, pp, ee, value]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [zs, ps, es, ss] = saved as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        const zf = zs.reshape([b * l, d]) as tf.Tensor2D;
        const pf = ps.expandDims(2) as tf.Tensor3D;
        let dz = tf.zeros([b * l, d]) as tf.Tensor2D;
        const de: tf.Tensor2D[] = [];
        for (let from = 0; from < v; from += LABEL_SLICE) {
          const n = Math.min(LABEL_SLICE, v - from);
          const [dzPart, dePart] = tf.tidy(() => {
            const es1 = es.slice([from, 0], [n, d]) as tf.Tensor2D;
            const { logits, a } = slice(zf, pf, es1, b, l);
            const s1 = ss.slice([0, from], [b, n]).expandDims(1); // [B, 1, C]
            const g = dy.slice([0, from], [b, n]).expandDims(1); // [B, 1, C]
            const dLogits = tf.mul(tf.mul(a, tf.sub(tf.add(logits, 1), s1)), g).reshape([b * l, n]) as tf.Tensor2D; // [B·L, C]
            return [matmul2d(dLogits, es1), matmul2d(tf.transpose(dLogits) as tf.Tensor2D, zf)] as [tf.Tensor2D, tf.Tensor2D];
          });
          const next = tf.add(dz, dzPart) as tf.Tensor2D;
          dz.dispose();
          dzPart.dispose();
          dz = next;
          de.push(dePart);
        }
        const deAll = de.length === 1 ? de[0] : tf.concat(de, 0);
        if (de.length > 1) tf.dispose(de);
        return [dz.reshape([b, l, d]), tf.zerosLike(ps), deAll];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(z, pad, e) as tf.Tensor2D;
}

/** running sum along axis 1 of [B, L, C], taken on the last axis (TF.js's Cumsum gradient is wrong for inner axes) */
function cumsumL(x: tf.Tensor): tf.Tensor {
  return tf.transpose(tf.cumsum(tf.transpose(x, [0, 2, 1]), 2), [0, 2, 1]);
}

/** The attentional readout at every position of a causal pass: s_{b,t,w} = Σ_{i≤t} a_{b,i,w} logit_{b,i,w} with
 * a_{b,·,w} = softmax over the real positions i ≤ t, i.e. the readout of each prefix (Eq. 2–3) in one pass, by running
 * sums along the sequence. z [B, L, D], tokens [B, L] 0/1, e [C, D] → [B·L, C] (0 at padding positions). Holds a few
 * [B, L, C] blocks: for sampled candidates or small attribute vocabularies, not a large full item softmax. */
export function causalAttentionalScores(z: tf.Tensor3D, tokens: tf.Tensor2D, e: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const [b, l, d] = z.shape;
    const c = e.shape[0];
    const logits = matmul2d(z.reshape([b * l, d]) as tf.Tensor2D, tf.transpose(e) as tf.Tensor2D).reshape([b, l, c]);
    const real = tokens.toFloat().expandDims(2); // [B, L, 1]
    // the ratio is invariant to the shift; the row max over real positions keeps exp in range, floored at e^-30 so
    // that a denominator squared (in the gradient) stays a float32; padding positions divide by 1 (their sums are 0)
    const m = tf.max(tf.add(logits, tf.mul(tf.sub(real, 1), 1e9)), 1, true); // [B, 1, C]
    const ex = tf.mul(tf.exp(tf.maximum(tf.sub(logits, m), -30)), real);
    const s = tf.div(cumsumL(tf.mul(ex, logits)), tf.add(cumsumL(ex), tf.sub(1, real)));
    return s.reshape([b * l, c]) as tf.Tensor2D;
  });
}
