/** Deep Multifaceted Transformers layer (DMT §4.1–4.2): item = concatenated embeddings of product,
 * category, brand and shop; one Deep Interest Transformer per behaviour with separate parameters —
 * a self-attention encoder over the sequence and a decoder block whose query is the target item — giving
 * one interest vector per (request, target). Also the baselines of §5.2: DIN (Zhou et al. 2018, the local
 * activation unit on raw embeddings), DIEN (Zhou et al. 2019, dien.ts) and DNN (mean pooling).
 * Reference: Gu et al., CIKM 2020. */
import * as tf from '@tensorflow/tfjs';
import { PAD } from '@cfm/core';
import {
  Dense,
  activate,
  FeatureEmbedding,
  LayerNorm,
  Mlp,
  MultiHeadAttention,
  Positions,
  TransformerEncoder,
  dropout,
  paddingBias,
  type Ctx,
  type Params,
} from '@cfm/tensor';
import type { DmtConfig } from './config';
import { InterestEvolution } from './dien';

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

/** The DMT decoder (§4.2.2: "the encoder and decoder are both based on self-attention blocks"), as a Transformer
 * decoder layer without self-attention over the queries: the target item attends over the encoded behaviours
 * (multi-head, Eq. 1), then the point-wise feed-forward network of Eq. 2 (ReLU), each sub-layer with a residual
 * connection, dropout and layer norm (post-norm, as the encoder):
 *   h = LN(q + MHA(q, enc, enc)),  out = LN(h + FFN(h)). */
export class DecoderBlock {
  readonly attn: MultiHeadAttention;
  readonly ff1: Dense;
  readonly ff2: Dense;
  readonly ln1: LayerNorm;
  readonly ln2: LayerNorm;
  constructor(
    p: Params,
    name: string,
    readonly dim: number,
    nHeads: number,
    readonly dropoutRate = 0,
    dFf = 2 * dim,
  ) {
    this.attn = new MultiHeadAttention(p, name, dim, nHeads, dropoutRate);
    this.ff1 = new Dense(p, `${name}/ff1`, dim, dFf, 'relu');
    this.ff2 = new Dense(p, `${name}/ff2`, dFf, dim);
    this.ln1 = new LayerNorm(p, `${name}/ln1`, dim);
    this.ln2 = new LayerNorm(p, `${name}/ln2`, dim);
  }
  /** query [R, Q, D] over memory [R, L, D], mask [R, L] (1 = real) → [R, Q, D] */
  apply(query: tf.Tensor3D, memory: tf.Tensor3D, mask: tf.Tensor2D, ctx: Ctx): tf.Tensor3D {
    const drop = (t: tf.Tensor) => dropout(t, this.dropoutRate, ctx.nextSeed());
    const h = this.ln1.apply(tf.add(query, drop(this.attn.apply(query, memory, paddingBias(mask), ctx))));
    return this.ln2.apply(tf.add(h, drop(this.ff2.apply(this.ff1.apply(h))))) as tf.Tensor3D;
  }
}

/** DIN's local activation unit (Zhou et al., KDD 2018, §4.3 and Fig. 2): for each behaviour e_j and target e_t an
 * MLP over [e_j, e_t, e_j − e_t, e_j ⊙ e_t] gives an unnormalised weight w_j (no softmax, so the weights keep the
 * intensity of the interest); the interest is the weighted sum Σ_j w_j e_j over real behaviours. The paper's unit
 * uses the outer product of e_j and e_t; the element-wise product is the form its public code uses. */
export class ActivationUnit {
  readonly mlp: Mlp;
  constructor(
    p: Params,
    name: string,
    readonly dim: number,
    hidden: number[] = [36],
  ) {
    this.mlp = new Mlp(p, name, [4 * dim, ...hidden, 1], 'sigmoid');
  }
  /** unnormalised weights [R, Q, L] (zero at padding). The first layer is split by input block, the same function
   * with a quarter of the work: [e, t, e − t, e ⊙ t] W = e (W_e + W_d) + t (W_t − W_d) + (e ⊙ t) W_p, where only the
   * last term needs every (target, behaviour) pair. */
  weights(query: tf.Tensor3D, seq: tf.Tensor3D, mask: tf.Tensor2D, ctx: Ctx): tf.Tensor3D {
    const [R, Q, D] = query.shape;
    const L = seq.shape[1];
    const [first, ...rest] = this.mlp.layers;
    const H = first.outDim;
    const [we, wt, wd, wp] = tf.split(first.w, 4, 0) as tf.Tensor2D[]; // [D, H] each
    const pe = tf.matMul(seq.reshape([R * L, D]), tf.add(we, wd)).reshape([R, 1, L, H]); // behaviour part
    let pt: tf.Tensor = tf.matMul(query.reshape([R * Q, D]), tf.sub(wt, wd)); // target part
    if (first.b) pt = tf.add(pt, first.b);
    const prod = tf.mul(seq.expandDims(1), query.expandDims(2)).reshape([R * Q * L, D]); // e ⊙ t for every pair
    let h: tf.Tensor = tf.add(tf.add(tf.matMul(prod, wp).reshape([R, Q, L, H]), pe), pt.reshape([R, Q, 1, H]));
    h = activate(h, first.act);
    for (const l of rest) h = l.apply(dropout(h, this.mlp.dropoutRate, ctx.nextSeed()));
    return tf.mul(h.reshape([R, Q, L]), mask.expandDims(1)) as tf.Tensor3D;
  }
  /** query [R, Q, D], behaviours [R, L, D], mask [R, L] → Σ_j w_j e_j [R, Q, D] */
  apply(query: tf.Tensor3D, seq: tf.Tensor3D, mask: tf.Tensor2D, ctx: Ctx): tf.Tensor3D {
    return tf.matMul(this.weights(query, seq, mask, ctx), seq); // [R, Q, L] × [R, L, D]
  }
}

export class InterestExtractor {
  readonly positions?: Positions;
  readonly encoder?: TransformerEncoder;
  readonly decoder?: DecoderBlock;
  readonly din?: ActivationUnit;
  readonly dien?: InterestEvolution;
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
    if (c.encoder === 'transformer') this.decoder = new DecoderBlock(p, `${name}/decoder`, dim, c.nHeads, c.dropout);
    if (c.encoder === 'attention') this.din = new ActivationUnit(p, `${name}/activation`, dim, c.activationSizes);
    if (c.encoder === 'gru') this.dien = new InterestEvolution(p, `${name}/dien`, dim);
  }
  /** seq [R, L, D], items [R, L] (PAD = 0), query [R, Q, D] → interest [R, Q, D] (zeros for an empty sequence) */
  apply(seq: tf.Tensor3D, items: tf.Tensor2D, query: tf.Tensor3D, ctx: Ctx): tf.Tensor3D {
    const [R, L] = items.shape;
    const mask = tf.notEqual(items, PAD).toFloat() as tf.Tensor2D; // [R, L]
    const any = tf.greater(tf.sum(mask, 1), 0).toFloat().reshape([R, 1, 1]); // [R, 1, 1]
    if (this.din) return tf.mul(this.din.apply(query, seq, mask, ctx), any) as tf.Tensor3D;
    if (this.dien) return tf.mul(this.dien.apply(query, seq, mask), any) as tf.Tensor3D;
    if (!this.decoder) {
      const mean = tf.div(tf.sum(tf.mul(seq, mask.expandDims(2)), 1), tf.maximum(tf.sum(mask, 1, true), 1)); // [R, D]
      return tf.mul(tf.tile(mean.expandDims(1), [1, query.shape[1], 1]), any) as tf.Tensor3D;
    }
    let h: tf.Tensor = seq;
    if (this.positions) h = tf.add(h, this.positions.apply(L));
    if (this.encoder) h = this.encoder.apply(dropout(h, this.c.dropout, ctx.nextSeed()), mask, ctx); // [R, L, D]
    return tf.mul(this.decoder.apply(query, h as tf.Tensor3D, mask, ctx), any) as tf.Tensor3D; // [R, Q, D]
  }
  dispose(): void {
    this.positions?.dispose();
  }
}
