/** Deep Multifaceted Transformers layer (DMT §4.1–4.2): item = concatenated embeddings of product,
 * category, brand and shop; one Deep Interest Transformer per behaviour with separate parameters —
 * a self-attention encoder over the sequence and a decoder whose query is the target item — giving
 * one interest vector per (request, target). Also the DIN (target attention on raw embeddings) and
 * DNN (mean pooling) baselines of §5.2. Reference: Gu et al., CIKM 2020. */
import * as tf from '@tensorflow/tfjs';
import { PAD } from '@cfm/core';
import { FeatureEmbedding, Positions, TargetAttention, TransformerEncoder, dropout, type Ctx, type Params } from '@cfm/tensor';
import type { DmtConfig } from './config';

export class ItemEmbedding {
  readonly emb: FeatureEmbedding;
  constructor(p: Params, name: string, vocabSizes: Record<string, number>, dim: number) {
    this.emb = new FeatureEmbedding(p, name, vocabSizes, dim, 'concat');
  }
  get dim(): number {
    return this.emb.outDim;
  }
  /** ids: feature → [R, L] → [R, L, D] */
  apply(ids: Record<string, Int32Array>, shape: [number, number]): tf.Tensor3D {
    return tf.tidy(
      () => this.emb.apply(Object.fromEntries(Object.entries(ids).map(([f, v]) => [f, tf.tensor2d(v, shape, 'int32')]))) as tf.Tensor3D,
    );
  }
}

export class InterestExtractor {
  readonly positions?: Positions;
  readonly encoder?: TransformerEncoder;
  readonly decoder?: TargetAttention;
  constructor(
    p: Params,
    name: string,
    readonly c: DmtConfig,
    readonly dim: number,
  ) {
    if (c.encoder === 'transformer') {
      if (c.positions !== 'none')
        this.positions = new Positions(p, `${name}/position`, c.maxLen, dim, c.positions === 'learned' ? 'learned' : 'sinusoidal');
      this.encoder = new TransformerEncoder(p, `${name}/encoder`, {
        dModel: dim,
        nHeads: c.nHeads,
        nLayers: c.nLayers,
        dropout: c.dropout,
        dFf: 2 * dim,
      });
    }
    if (c.encoder !== 'pooling') this.decoder = new TargetAttention(p, `${name}/decoder`, dim, c.nHeads, c.dropout);
  }
  /** seq [R, L, D], items [R, L] (PAD = 0), query [R, Q, D] → interest [R, Q, D] (zeros for an empty sequence) */
  apply(seq: tf.Tensor3D, items: tf.Tensor2D, query: tf.Tensor3D, ctx: Ctx): tf.Tensor3D {
    const [R, L] = items.shape;
    const mask = tf.notEqual(items, PAD).toFloat(); // [R, L]
    const any = tf.greater(tf.sum(mask, 1), 0).toFloat().reshape([R, 1, 1]); // [R, 1, 1]
    if (!this.decoder) {
      const mean = tf.div(tf.sum(tf.mul(seq, mask.expandDims(2)), 1), tf.maximum(tf.sum(mask, 1, true), 1)); // [R, D]
      return tf.mul(tf.tile(mean.expandDims(1), [1, query.shape[1], 1]), any) as tf.Tensor3D;
    }
    let h: tf.Tensor = seq;
    if (this.positions) h = tf.add(h, this.positions.apply(L));
    if (this.encoder) h = this.encoder.apply(dropout(h, this.c.dropout, ctx.nextSeed()), mask, ctx); // [R, L, D]
    return tf.mul(this.decoder.apply(query, h, mask, ctx), any) as tf.Tensor3D; // [R, Q, D]
  }
  dispose(): void {
    this.positions?.dispose();
  }
}
