/** The four pre-training tasks (MeLi §4.1–4.4): this-item purchase and session purchase (logits), and for
 * every item attribute a next-item and a purchased-item regression head. */
import type * as tf from '@tensorflow/tfjs';
import { Mlp, type Ctx, type Params } from '@cfm/tensor';
import type { AttributeSpec } from './model-types';

export class SessionHeads {
  readonly buyItem: Mlp;
  readonly buySession: Mlp;
  readonly next: Mlp[];
  readonly purchased: Mlp[];
  constructor(
    p: Params,
    hidden: number,
    layers: number,
    readonly attributes: AttributeSpec[],
  ) {
    const sizes = (out: number) => (layers === 1 ? [hidden, out] : [hidden, ...Array(layers - 1).fill(Math.min(hidden, 128)), out]);
    this.buyItem = new Mlp(p, 'head/buy-item', sizes(1));
    this.buySession = new Mlp(p, 'head/buy-session', sizes(1));
    this.next = attributes.map((a) => new Mlp(p, `head/next/${a.name}`, sizes(a.dim)));
    this.purchased = attributes.map((a) => new Mlp(p, `head/purchased/${a.name}`, sizes(a.dim)));
  }
  /** h [N, H] → logits [N] */
  logits(head: Mlp, h: tf.Tensor, ctx: Ctx): tf.Tensor {
    return head.apply(h, ctx).reshape([-1]);
  }
}
