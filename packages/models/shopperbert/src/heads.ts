/** Masked purchase prediction heads (§4.1.2): one two-layer GELU MLP per sub-task (category levels and
 * date parts) on a final hidden vector: the masked token's own (MP) or the [CLS] token's (CLS). */
import type * as tf from '@tensorflow/tfjs';
import { Mlp, type Ctx, type Params } from '@cfm/tensor';

export class SubTaskHeads {
  readonly heads = new Map<string, Mlp>();
  constructor(
    p: Params,
    dModel: number,
    vocabSizes: Record<string, number>,
    readonly tasks: string[],
  ) {
    for (const t of tasks) this.heads.set(t, new Mlp(p, `head/${t}`, [dModel, dModel, vocabSizes[t]], 'gelu'));
  }
  /** h [N, D] → logits [N, V_task] */
  apply(task: string, h: tf.Tensor, ctx: Ctx): tf.Tensor2D {
    return this.heads.get(task)!.apply(h, ctx) as tf.Tensor2D;
  }
}
