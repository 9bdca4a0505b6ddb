/** Dense layer and multi-layer perceptron. */
import * as tf from '@tensorflow/tfjs';
import { dense, dropout, gelu } from '../ops';
import type { Ctx, Params } from '../params';

export type Activation = 'relu' | 'gelu' | 'tanh' | 'sigmoid' | 'linear';

export function activate(x: tf.Tensor, act: Activation): tf.Tensor {
  if (act === 'relu') return tf.relu(x);
  if (act === 'gelu') return gelu(x);
  if (act === 'tanh') return tf.tanh(x);
  if (act === 'sigmoid') return tf.sigmoid(x);
  return x;
}

export class Dense {
  readonly w: tf.Variable;
  readonly b?: tf.Variable;
  constructor(
    p: Params,
    readonly name: string,
    readonly inDim: number,
    readonly outDim: number,
    readonly act: Activation = 'linear',
    bias = true,
  ) {
    this.w = p.add(`${name}/kernel`, [inDim, outDim]);
    if (bias) this.b = p.add(`${name}/bias`, [outDim], 'zeros');
  }
  /** x [..., inDim] → [..., outDim] */
  apply(x: tf.Tensor): tf.Tensor {
    return activate(dense(x, this.w as tf.Tensor2D, this.b as tf.Tensor1D | undefined), this.act);
  }
}

/** Stack of dense layers: hidden layers use `act` and dropout, the last one is linear unless `outAct` is set. */
export class Mlp {
  readonly layers: Dense[];
  constructor(
    p: Params,
    name: string,
    sizes: number[],
    act: Activation = 'relu',
    readonly dropoutRate = 0,
    outAct: Activation = 'linear',
  ) {
    this.layers = sizes.slice(1).map((out, i) => new Dense(p, `${name}/${i}`, sizes[i], out, i === sizes.length - 2 ? outAct : act));
  }
  /** x [..., sizes[0]] → [..., sizes.at(-1)] */
  apply(x: tf.Tensor, ctx: Ctx): tf.Tensor {
    let h = x;
    this.layers.forEach((l, i) => {
      h = l.apply(h);
      if (i < this.layers.length - 1) h = dropout(h, this.dropoutRate, ctx.nextSeed());
    });
    return h;
  }
}
