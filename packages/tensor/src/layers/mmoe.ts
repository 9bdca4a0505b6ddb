/** Multi-gate mixture of experts (Ma et al. 2018, DMT Eq. 9): shared expert MLPs, one softmax
 * gate per task; returns each task's mixture and the gate weights (for reports). */
import * as tf from '@tensorflow/tfjs';
import type { Ctx, Params } from '../params';
import { Dense, Mlp, type Activation } from './dense';

export class Mmoe {
  readonly experts: Mlp[];
  readonly gates: Dense[];
  constructor(
    p: Params,
    name: string,
    inDim: number,
    expertSizes: number[],
    nExperts: number,
    readonly tasks: string[],
    act: Activation = 'relu',
    dropoutRate = 0,
  ) {
    this.experts = Array.from(
      { length: nExperts },
      (_, i) => new Mlp(p, `${name}/expert${i}`, [inDim, ...expertSizes], act, dropoutRate, act),
    );
    this.gates = tasks.map((t) => new Dense(p, `${name}/gate_${t}`, inDim, nExperts));
  }
  /** x [B, inDim] → outputs: per task [B, De]; gates: per task [B, E] */
  apply(x: tf.Tensor, ctx: Ctx): { outputs: tf.Tensor[]; gates: tf.Tensor[] } {
    const ex = tf.stack(
      this.experts.map((e) => e.apply(x, ctx)),
      1,
    ); // [B, E, De]
    const gates = this.gates.map((g) => tf.softmax(g.apply(x), -1)); // T × [B, E]
    const outputs = gates.map((g) => tf.sum(tf.mul(ex, g.expandDims(2)), 1)); // T × [B, De]
    return { outputs, gates };
  }
}
