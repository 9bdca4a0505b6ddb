/** ShopperBERT encoder input and transformer (Shin et al. 2021, §3, Eq. 1 and Fig. 1).
 * Per purchase token: x_prod = f_prod([g(c1) ‖ g(c2) ‖ g(c3) ‖ g(c4) ‖ f_text(e)]) (single-layer projections),
 * averaged with the five date embeddings and the position embedding, then a bidirectional transformer.
 * Product ids are not an input (§4.1.1). [CLS] / [MASK] tokens use the reserved ids 2 / 1 of every table,
 * and item ids 0..3 have zero text vectors, so they need no special path. */
import * as tf from '@tensorflow/tfjs';
import { PAD } from '@cfm/core';
import { Dense, dropout, FeatureEmbedding, LayerNorm, lookup, Positions, TransformerEncoder, type Ctx, type Params } from '@cfm/tensor';
import type { ShopperBertConfig } from './config';

export interface ShopperBertDims {
  itemCount: number;
  /** vocabulary size per used category level and date part, reserved ids included */
  vocabSizes: Record<string, number>;
  categories: string[];
  dateParts: string[];
}

/** one padded batch of token inputs, row-major [B, L] */
export interface TokenInputs {
  batchSize: number;
  maxLen: number;
  /** item ids (text lookup and padding mask) */
  items: Int32Array;
  /** per category level / date part ids */
  features: Record<string, Int32Array>;
}

export class ShopperBertBackbone {
  readonly categories: FeatureEmbedding;
  readonly dates?: FeatureEmbedding;
  readonly text?: tf.Variable;
  readonly fText?: Dense;
  readonly fProd: Dense;
  readonly positions: Positions;
  readonly norm: LayerNorm;
  readonly encoder: TransformerEncoder;
  constructor(
    p: Params,
    readonly c: ShopperBertConfig,
    readonly dims: ShopperBertDims,
  ) {
    const sizes = (names: string[]) => Object.fromEntries(names.map((n) => [n, dims.vocabSizes[n]]));
    this.categories = new FeatureEmbedding(p, 'embed/category', sizes(dims.categories), c.dModel, 'concat');
    if (dims.dateParts.length) this.dates = new FeatureEmbedding(p, 'embed/date', sizes(dims.dateParts), c.dModel, 'sum');
    let prodIn = this.categories.outDim;
    if (c.textDim > 0) {
      this.text = p.add('embed/text/vectors', [dims.itemCount, c.textDim], 'zeros', false); // fixed input, saved with the weights
      this.fText = new Dense(p, 'embed/text/proj', c.textDim, c.dModel);
      prodIn += c.dModel;
    }
    this.fProd = new Dense(p, 'embed/product', prodIn, c.dModel);
    this.positions = new Positions(p, 'position', c.maxLen, c.dModel);
    this.norm = new LayerNorm(p, 'embed/ln', c.dModel);
    const o = {
      dModel: c.dModel,
      nHeads: c.nHeads,
      nLayers: c.sharedLayers ? 1 : c.nLayers,
      dropout: c.dropout,
      attnDropout: c.attnDropout,
    };
    this.encoder = new TransformerEncoder(p, 'encoder', o);
  }

  /** set the fixed text vectors, [itemCount, textDim] row-major */
  setText(vectors: Float32Array): void {
    if (this.text) this.text.assign(tf.tensor2d(vectors, [this.dims.itemCount, this.c.textDim]));
  }

  /** averaged token embeddings [B, L, D] */
  embed(x: TokenInputs): tf.Tensor3D {
    return tf.tidy(() => {
      const ids = (name: string) => tf.tensor2d(x.features[name], [x.batchSize, x.maxLen], 'int32');
      const cats = this.categories.apply(Object.fromEntries(this.dims.categories.map((n) => [n, ids(n)]))); // [B, L, 4D]
      const items = tf.tensor2d(x.items, [x.batchSize, x.maxLen], 'int32');
      const prodIn = this.text ? tf.concat([cats, this.fText!.apply(lookup(this.text as tf.Tensor2D, items))], -1) : cats;
      let sum = tf.add(this.fProd.apply(prodIn), this.positions.apply(x.maxLen)); // [B, L, D]
      let parts = 2;
      if (this.dates) {
        sum = tf.add(sum, this.dates.apply(Object.fromEntries(this.dims.dateParts.map((n) => [n, ids(n)])))); // Σ of the date embeddings
        parts += this.dims.dateParts.length;
      }
      return tf.div(sum, parts) as tf.Tensor3D;
    });
  }

  /** → final hidden states [B, L, D] */
  apply(x: TokenInputs, ctx: Ctx): tf.Tensor3D {
    return tf.tidy(() => {
      const h = dropout(this.norm.apply(this.embed(x)), this.c.dropout, ctx.nextSeed());
      const mask = tf.notEqual(tf.tensor2d(x.items, [x.batchSize, x.maxLen], 'int32'), PAD);
      if (!this.c.sharedLayers) return this.encoder.apply(h, mask, ctx) as tf.Tensor3D;
      let out = h;
      for (let i = 0; i < this.c.nLayers; i++) out = this.encoder.apply(out, mask, ctx);
      return out as tf.Tensor3D;
    });
  }

  dispose(): void {
    this.positions.dispose();
  }
}
