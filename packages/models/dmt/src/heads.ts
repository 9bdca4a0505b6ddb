/** Multi-task layer (DMT §4.3: MMoE with a utility network per task, or a shared bottom) and the
 * Bias Deep Neural Network (§4.4: position index, page, neighbouring categories → one logit). */
import * as tf from '@tensorflow/tfjs';
import { FeatureEmbedding, Mlp, Mmoe, type Ctx, type Params } from '@cfm/tensor';
import type { DmtConfig } from './config';
import type { DmtBatch } from './batch';

export class MultiTask {
  readonly mmoe?: Mmoe;
  readonly bottom?: Mlp;
  readonly utilities: Mlp[];
  constructor(
    p: Params,
    name: string,
    c: DmtConfig,
    inDim: number,
    readonly tasks: string[],
  ) {
    if (c.multiTask === 'mmoe') this.mmoe = new Mmoe(p, `${name}/mmoe`, inDim, c.expertSizes, c.experts, tasks, 'relu', c.dropout);
    else this.bottom = new Mlp(p, `${name}/bottom`, [inDim, ...c.expertSizes], 'relu', c.dropout, 'relu');
    const top = c.expertSizes[c.expertSizes.length - 1];
    this.utilities = tasks.map((t) => new Mlp(p, `${name}/utility_${t}`, [top, ...c.utilitySizes, 1], 'relu', c.dropout));
  }
  /** x [N, inDim] → utility logits per task [N], gate weights per task [N, E] (MMoE only) */
  apply(x: tf.Tensor2D, ctx: Ctx): { logits: tf.Tensor1D[]; gates: tf.Tensor2D[] } {
    if (this.mmoe) {
      const { outputs, gates } = this.mmoe.apply(x, ctx); // T × [N, De], T × [N, E]
      return { logits: outputs.map((f, k) => this.utilities[k].apply(f, ctx).reshape([-1]) as tf.Tensor1D), gates: gates as tf.Tensor2D[] };
    }
    const h = this.bottom!.apply(x, ctx); // [N, De]
    return { logits: this.utilities.map((u) => u.apply(h, ctx).reshape([-1]) as tf.Tensor1D), gates: [] };
  }
}

/** y_b = NN_B(x_b): embeddings of the chosen bias features, concatenated, through an MLP → [N]. */
export class BiasNet {
  readonly emb: FeatureEmbedding;
  readonly mlp: Mlp;
  constructor(
    p: Params,
    name: string,
    readonly c: DmtConfig,
    categories: number,
    readonly dim = 8,
  ) {
    const sizes: Record<string, number> = {};
    if (c.bias.includes('position')) sizes.position = c.maxPosition + 1;
    if (c.bias.includes('page')) sizes.page = c.maxPage + 1;
    if (c.bias.includes('neighbour')) Object.assign(sizes, { category: categories, same: c.neighbours + 1 });
    this.emb = new FeatureEmbedding(p, `${name}/embed`, sizes, dim, 'concat');
    const parts = Object.keys(sizes).length + (c.bias.includes('neighbour') ? 1 : 0);
    this.mlp = new Mlp(p, `${name}/mlp`, [parts * dim, ...c.biasSizes, 1], 'relu', c.dropout);
  }
  apply(b: DmtBatch, ctx: Ctx): tf.Tensor1D {
    return tf.tidy(() => {
      const N = b.requests * b.listLen;
      const K1 = b.categories.length / N;
      const parts: tf.Tensor[] = [];
      const one = (f: string, ids: Int32Array) => parts.push(tf.gather(this.emb.table(f), tf.tensor1d(ids, 'int32'))); // [N, d]
      if (this.c.bias.includes('position')) one('position', b.position);
      if (this.c.bias.includes('page')) one('page', b.page);
      if (this.c.bias.includes('neighbour')) {
        const cats = tf.gather(this.emb.table('category'), tf.tensor1d(b.categories, 'int32')).reshape([N, K1, this.dim]); // [N, 1+K, d]
        parts.push(cats.slice([0, 0, 0], [N, 1, this.dim]).reshape([N, this.dim]));
        parts.push(K1 > 1 ? tf.mean(cats.slice([0, 1, 0], [N, K1 - 1, this.dim]), 1) : tf.zeros([N, this.dim])); // neighbours' categories, pooled
        one('same', b.sameCategory); // how many neighbours share the target's category
      }
      return this.mlp.apply(tf.concat(parts, 1), ctx).reshape([N]) as tf.Tensor1D;
    });
  }
}
