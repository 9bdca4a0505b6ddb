/** Small differentiable building blocks on raw tf ops.
 * `matmul2d` keeps every matmul of forward and backward on the plain, untransposed 2-D path:
 * the wasm backend sends only that shape to XNNPACK (docs/tensor.md, perf-notes). */
import * as tf from '@tensorflow/tfjs';

/** a [M, K] @ b [K, N] → [M, N]; gradients computed with explicit transposes. */
export function matmul2d(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const f = tf.customGrad((x, y, save) => {
    const xa = x as tf.Tensor2D;
    const yb = y as tf.Tensor2D;
    (save as (ts: tf.Tensor[]) => void)([xa, yb]);
    return {
      value: tf.matMul(xa, yb),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sy] = saved as tf.Tensor2D[];
        const g = dy as tf.Tensor2D;
        return [tf.matMul(g, tf.transpose(sy)), tf.matMul(tf.transpose(sx), g)];
      },
    };
  });
  return f(a, b) as tf.Tensor2D;
}

/** x [..., K] @ w [K, N] (+ b [N]) → [..., N] */
export function dense(x: tf.Tensor, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor {
  const k = x.shape[x.rank - 1];
  const lead = x.shape.slice(0, -1);
  const y = matmul2d(x.reshape([-1, k]) as tf.Tensor2D, w); // [M, N]
  const out = b ? tf.add(y, b) : y;
  return out.reshape([...lead, w.shape[1]]);
}

/** exact GELU: 0.5 x (1 + erf(x / √2)) */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
}

/** layer norm over the last axis: (x - mean) / sqrt(var + eps) * gamma + beta */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = 1e-6): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gamma), beta);
  });
}

/** inverted dropout with an explicit seed (no-op when rate is 0 or seed is undefined = inference) */
export function dropout(x: tf.Tensor, rate: number, seed?: number): tf.Tensor {
  if (!rate || seed === undefined) return x;
  return tf.dropout(x, rate, undefined, seed);
}

/** rows of `table` [V, D] for ids of any shape → [...ids.shape, D] */
export function lookup(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.gather(table, ids.flatten().toInt()).reshape([...ids.shape, table.shape[1]]));
}
