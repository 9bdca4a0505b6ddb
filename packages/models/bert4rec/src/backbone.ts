/** BERT4Rec encoder: item + learned position embeddings, layer norm, dropout, bidirectional
 * transformer (post-norm, GELU). Reference: Sun et al., "BERT4Rec", CIKM 2019, §3. */
import * as tf from '@tensorflow/tfjs';
import { dropout, FeatureEmbedding, fusedEmbed, fusedEmbedActive, LayerNorm, Positions, TransformerEncoder, type Ctx, type Params } from '@cfm/tensor';
import { PAD } from '@cfm/core';
import type { Bert4RecConfig } from './config';

export class Bert4RecBackbone {
  readonly items: FeatureEmbedding;
  readonly positions: Positions;
  readonly norm: LayerNorm;
  readonly encoder: TransformerEncoder;
  constructor(p: Params, readonly c: Bert4RecConfig, readonly itemCount: number) {
    this.items = new FeatureEmbedding(p, 'embed', { item: itemCount }, c.dModel, 'sum');
    this.positions = new Positions(p, 'position', c.maxLen, c.dModel);
    this.norm = new LayerNorm(p, 'embed/ln', c.dModel);
    this.encoder = new TransformerEncoder(p, 'encoder', { dModel: c.dModel, nHeads: c.nHeads, nLayers: c.nLayers, dropout: c.dropout, attnDropout: c.attnDropout });
  }
  get itemTable(): tf.Tensor2D {
    return this.items.table('item') as tf.Tensor2D;
  }
  /** ids [B, L] int (left-padded) → hidden [B, L, D], or [B, 1, D] for the last slot only (lastOnly) */
  apply(ids: tf.Tensor2D, ctx: Ctx, lastOnly = false): tf.Tensor {
    const l = ids.shape[1];
    let h: tf.Tensor;
    if (fusedEmbedActive(ctx)) {
      // training on the CPU native backend: lookup, positions, layer norm and dropout in one native call
      const idv = ids.dataSync() as Int32Array;
      h = fusedEmbed(this.itemTable, this.positions.table, this.norm.gamma as tf.Tensor1D, this.norm.beta as tf.Tensor1D, idv, [ids.shape[0], l], this.c.dropout, ctx.nextSeed());
    } else {
      const x = tf.add(this.items.apply({ item: ids }), this.positions.apply(l)); // [B, L, D]
      h = dropout(this.norm.apply(x), this.c.dropout, ctx.nextSeed());
    }
    return this.encoder.apply(h, tf.notEqual(ids, PAD), ctx, lastOnly);
  }
  /** inference only: the same function as apply(ids, Ctx.inference(), lastOnly), through TransformerEncoder.infer */
  infer(ids: tf.Tensor2D, lastOnly = false): tf.Tensor {
    return tf.tidy(() => {
      const x = tf.add(this.items.apply({ item: ids }), this.positions.apply(ids.shape[1])); // [B, L, D]
      return this.encoder.infer(this.norm.infer(x), tf.notEqual(ids, PAD), lastOnly);
    });
  }
}
