/** One DMT network: shared item embeddings, an interest extractor per behaviour, the multi-task layer
 * over [interest vectors ‖ target item ‖ z-scored dense features], and the optional bias network.
 * With multiTask 'single' the model builds one such network per task (separate parameters). */
import * as tf from '@tensorflow/tfjs';
import { type Ctx, type Params } from '@cfm/tensor';
import type { DmtBatch } from './batch';
import { InterestExtractor, ItemEmbedding } from './backbone';
import type { DmtConfig } from './config';
import { BiasNet, MultiTask } from './heads';

export interface NetworkDims {
  /** vocabulary size of item and of each item feature used */
  vocabSizes: Record<string, number>;
  /** category vocabulary size (bias network) */
  categories: number;
  behaviours: string[];
  denseFeatures: number;
}

export interface NetworkOutput {
  /** per task utility logits u_k [N] (N = R × Q) */
  logits: tf.Tensor1D[];
  /** per task gate weights [N, E] (MMoE) */
  gates: tf.Tensor2D[];
  /** bias logit y_b [N] when the config has a bias network */
  bias?: tf.Tensor1D;
}

export class DmtNetwork {
  readonly embed: ItemEmbedding;
  readonly extractors: Map<string, InterestExtractor>;
  readonly multi: MultiTask;
  readonly biasNet?: BiasNet;
  constructor(
    p: Params,
    name: string,
    readonly c: DmtConfig,
    readonly dims: NetworkDims,
    tasks: string[],
  ) {
    this.embed = new ItemEmbedding(p, `${name}/embed`, dims.vocabSizes, c.featureDim);
    const D = this.embed.dim;
    this.extractors = new Map(dims.behaviours.map((b) => [b, new InterestExtractor(p, `${name}/${b}`, c, D)]));
    const inDim = D * (dims.behaviours.length + 1) + (c.dense ? dims.denseFeatures : 0);
    this.multi = new MultiTask(p, name, c, inDim, tasks);
    if (c.bias.length) this.biasNet = new BiasNet(p, `${name}/bias`, c, dims.categories);
  }
  apply(b: DmtBatch, ctx: Ctx, withBias: boolean): NetworkOutput {
    const R = b.requests,
      Q = b.listLen,
      N = R * Q;
    const D = this.embed.dim;
    const query = this.embed.apply(b.target, [R, Q]); // [R, Q, D]
    const parts: tf.Tensor[] = [];
    for (const [name, ex] of this.extractors) {
      const s = b.seqs[name];
      const seq = this.embed.apply(s.ids, [R, s.len]); // [R, L, D]
      parts.push(ex.apply(seq, tf.tensor2d(s.ids.item, [R, s.len], 'int32'), query, ctx).reshape([N, D]));
    }
    parts.push(query.reshape([N, D]));
    if (this.c.dense && this.dims.denseFeatures) parts.push(tf.tensor2d(b.dense, [N, this.dims.denseFeatures]));
    const { logits, gates } = this.multi.apply(tf.concat(parts, 1) as tf.Tensor2D, ctx); // input [N, inDim]
    return { logits, gates, bias: withBias && this.biasNet ? this.biasNet.apply(b, ctx) : undefined };
  }
  dispose(): void {
    for (const ex of this.extractors.values()) ex.dispose();
  }
}
