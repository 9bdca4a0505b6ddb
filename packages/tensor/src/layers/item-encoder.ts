/** The encoder of the id-only sequence families (BERT4Rec, SASRec): item + learned position embeddings, layer norm,
 * dropout, then post-norm GELU transformer blocks, bidirectional or causal (left-to-right, so the state at position
 * t reads items ≤ t only). Parameter names: embed, position, embed/ln, encoder. */
import * as tf from '@tensorflow/tfjs';
import { PAD } from '@cfm/core';
import type { Ctx, Params } from '../params';
import { dropout } from '../ops';
import { fusedEmbed, fusedEmbedActive } from '../fused-embed';
import { FeatureEmbedding, Positions } from './embedding';
import { LayerNorm, TransformerEncoder } from './transformer';

export interface ItemEncoderOptions {
  dModel: number;
  nHeads: number;
  nLayers: number;
  dropout: number;
  attnDropout: number;
  maxLen: number;
  /** causal self-attention (SASRec); default bidirectional (BERT4Rec) */
  causal?: boolean;
}

export class ItemSequenceEncoder {
  readonly items: FeatureEmbedding;
  readonly positions: Positions;
  readonly norm: LayerNorm;
  readonly encoder: TransformerEncoder;
  constructor(
    p: Params,
    readonly c: ItemEncoderOptions,
    readonly itemCount: number,
  ) {
    this.items = new FeatureEmbedding(p, 'embed', { item: itemCount }, c.dModel, 'sum');
    this.positions = new Positions(p, 'position', c.maxLen, c.dModel);
    this.norm = new LayerNorm(p, 'embed/ln', c.dModel);
    this.encoder = new TransformerEncoder(p, 'encoder', {
      dModel: c.dModel,
      nHeads: c.nHeads,
      nLayers: c.nLayers,
      dropout: c.dropout,
      attnDropout: c.attnDropout,
      ...(c.causal ? { causal: true } : {}),
    });
  }
  /** the item embedding table [V, D], also the tied output layer */
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
      h = fusedEmbed(
        this.itemTable,
        this.positions.table,
        this.norm.gamma as tf.Tensor1D,
        this.norm.beta as tf.Tensor1D,
        idv,
        [ids.shape[0], l],
        this.c.dropout,
        ctx.nextSeed(),
      );
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
  dispose(): void {
    this.positions.dispose();
  }
}
