/** Small differentiable building blocks on raw tf ops.
 * `matmul2d` keeps every matmul of forward and backward on the plain, untransposed 2-D path:
 * the wasm backend sends only that shape to XNNPACK (docs/tensor.md, perf-notes). */
import * as tf from '@tensorflow/tfjs';
import { hasNativeKernels } from './native-kernels';
import { uniform } from './random';

/** a [M, K] @ b [K, N] → [M, N] (b [N, K] with transposeB). On native TensorFlow this is tf.matMul with
 * transpose flags (no copies); elsewhere gradients are computed with explicit transposes. */
export function matmul2d(a: tf.Tensor2D, b: tf.Tensor2D, transposeB = false): tf.Tensor2D {
  if (hasNativeKernels()) return tf.matMul(a, b, false, transposeB);
  if (transposeB) return tf.tidy(() => matmul2d(a, tf.transpose(b)));
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

/** layer norm over the last axis: (x - mean) / sqrt(var + eps) * gamma + beta, with a hand-written gradient
 * (autodiff through tf.moments took about twice the passes over [B, L, D]):
 *   dx = rstd · (g - mean(g) - x̂ · mean(g · x̂)), g = dy · gamma;  dgamma = Σ dy · x̂;  dbeta = Σ dy */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = 1e-6): tf.Tensor {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xi, gi, bi] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const xc = tf.sub(xi, tf.mean(xi, -1, true));
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(xc), -1, true), eps));
    const xhat = tf.mul(xc, rstd);
    save([xhat, rstd, gi]);
    return {
      value: tf.add(tf.mul(xhat, gi), bi),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, rs, gm] = saved;
        const d = xh.shape[xh.rank - 1];
        const g = tf.mul(dy, gm);
        const dx = tf.mul(rs, tf.sub(tf.sub(g, tf.mean(g, -1, true)), tf.mul(xh, tf.mean(tf.mul(g, xh), -1, true))));
        const dGamma = tf.sum(tf.mul(dy, xh).reshape([-1, d]), 0);
        const dBeta = tf.sum(dy.reshape([-1, d]), 0);
        return [dx, dGamma, dBeta];
      },
    };
  });
  return f(x, gamma, beta);
}

/** inverted dropout with an explicit seed (no-op when rate is 0 or seed is undefined = inference);
 * the mask floor(u + keep) / keep is a constant of the graph, so only x gets a gradient */
export function dropout(x: tf.Tensor, rate: number, seed?: number): tf.Tensor {
  if (!rate || seed === undefined) return x;
  if (rate < 0 || rate >= 1) throw new RangeError(`dropout rate ${rate} not in [0, 1)`);
  return tf.tidy(() => {
    const keep = 1 - rate;
    const mask = tf.mul(tf.floor(tf.add(uniform(x.shape, seed), keep)), 1 / keep);
    return tf.mul(x, mask);
  });
}

/** rows of `table` [V, D] for ids of any shape → [...ids.shape, D] */
export function lookup(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.gather(table, ids.flatten().toInt()).reshape([...ids.shape, table.shape[1]]));
}
