/** GRU (Cho et al. 2014) unrolled over time with tf ops; padded steps keep the previous state. */
import * as tf from '@tensorflow/tfjs';
import { matmul2d } from '../ops';
import type { Params } from '../params';
import { Dense } from './dense';

/** x [B, L, F] → L × [B, F]. Slices, not tf.unstack: the gradient of unstack fails when L = 1 (tfjs hands its
 * gradient function one tensor instead of an array). */
export function timeSteps(x: tf.Tensor): tf.Tensor2D[] {
  const [b, l, f] = x.shape;
  return Array.from({ length: l }, (_, t) => x.slice([0, t, 0], [b, 1, f]).reshape([b, f]) as tf.Tensor2D);
}

export class Gru {
  readonly input: Dense;
  readonly recurrent: tf.Variable;
  constructor(
    p: Params,
    name: string,
    readonly inDim: number,
    readonly units: number,
  ) {
    this.input = new Dense(p, `${name}/input`, inDim, 3 * units); // z, r, n gates
    this.recurrent = p.add(`${name}/recurrent`, [units, 3 * units], 'glorot');
  }
  /** x [B, L, inDim], mask [B, L] (1 = token) → { outputs [B, L, H], last [B, H] } */
  apply(x: tf.Tensor, mask?: tf.Tensor): { outputs: tf.Tensor; last: tf.Tensor } {
    const [b, l] = x.shape;
    const u = this.units;
    const xs = timeSteps(this.input.apply(x)); // L × [B, 3H]
    const ms = mask ? timeSteps(mask.toFloat().reshape([b, l, 1])) : undefined;
    const [uzr, un] = tf.split(this.recurrent, [2 * u, u], 1) as tf.Tensor2D[]; // [H, 2H], [H, H]
    let h: tf.Tensor2D = tf.zeros([b, u]);
    const outs: tf.Tensor2D[] = [];
    for (let t = 0; t < l; t++) {
      const [xzr, xn] = tf.split(xs[t], [2 * u, u], 1);
      const [z, r] = tf.split(tf.sigmoid(tf.add(xzr, matmul2d(h, uzr))), 2, 1);
      const n = tf.tanh(tf.add(xn, tf.mul(r, matmul2d(h, un))));
      let next = tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, h)) as tf.Tensor2D; // [B, H]
      if (ms) next = tf.add(tf.mul(ms[t], next), tf.mul(tf.sub(1, ms[t]), h)) as tf.Tensor2D;
      h = next;
      outs.push(h);
    }
    return { outputs: tf.stack(outs, 1), last: h };
  }
}
