/** Target-item attention: a query vector per example attends over hidden states
 * (MCM attentional readout, DMT target attention, decoder cross-attention with one query). */
import type * as tf from '@tensorflow/tfjs';
import type { Ctx, Params } from '../params';
import { paddingBias, MultiHeadAttention } from './transformer';

export class TargetAttention {
  readonly mha: MultiHeadAttention;
  constructor(
    p: Params,
    name: string,
    readonly dModel: number,
    nHeads = 1,
    attnDropout = 0,
  ) {
    this.mha = new MultiHeadAttention(p, name, dModel, nHeads, attnDropout);
  }
  /** query [B, D] or [B, Q, D], hidden [B, L, D], mask [B, L] → [B, D] or [B, Q, D] */
  apply(query: tf.Tensor, hidden: tf.Tensor, mask: tf.Tensor | undefined, ctx: Ctx): tf.Tensor {
    const q = query.rank === 2 ? query.expandDims(1) : query;
    const out = this.mha.apply(q, hidden, mask ? paddingBias(mask) : undefined, ctx);
    return query.rank === 2 ? out.squeeze([1]) : out;
  }
}
