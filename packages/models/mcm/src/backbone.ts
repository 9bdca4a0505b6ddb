/** MCM embedding + encoder modules (Luo & Wang, RecSys 2023, §2.1.1): every token is the average of its
 * feature embeddings (item, product line, category levels, brand, token type), plus learned positions
 * (Eq. 1), then the BERT4Rec bidirectional transformer encoder. */
import * as tf from '@tensorflow/tfjs';
import { PAD, RESERVED_IDS } from '@cfm/core';
import { dropout, FeatureEmbedding, LayerNorm, Positions, TransformerEncoder, type Ctx, type Params } from '@cfm/tensor';
import type { McmConfig } from './config';

/** What the model needs to know about the data: vocabulary sizes and per-item attribute ids. */
export interface McmDims {
  /** vocabulary size per input / task feature (item, type, category1, ...) */
  vocabSizes: Record<string, number>;
  /** per-item attribute ids (itemFeatures of the prepared data), for the attribute features used */
  itemFeatures: Record<string, Int32Array>;
}

/** item id → attribute id, with the reserved ids mapped to themselves ([MASK] item → [MASK] attribute) */
function attributeTable(ids: Int32Array, itemCount: number): tf.Tensor1D {
  const t = new Int32Array(itemCount);
  for (let i = 0; i < itemCount; i++) t[i] = i < RESERVED_IDS ? i : (ids[i] ?? PAD);
  return tf.tensor1d(t, 'int32');
}

export class McmBackbone {
  readonly embed: FeatureEmbedding;
  readonly positions: Positions;
  readonly norm: LayerNorm;
  readonly encoder: TransformerEncoder;
  /** attribute feature → [itemCount] int32 lookup */
  readonly attrOfItem = new Map<string, tf.Tensor1D>();
  readonly itemCount: number;
  constructor(
    p: Params,
    readonly c: McmConfig,
    readonly dims: McmDims,
    readonly features: string[],
  ) {
    this.itemCount = dims.vocabSizes.item;
    this.embed = new FeatureEmbedding(p, 'embed', Object.fromEntries(features.map((f) => [f, dims.vocabSizes[f]])), c.dModel, 'average');
    for (const f of features)
      if (f !== 'item' && f !== 'type') this.attrOfItem.set(f, attributeTable(dims.itemFeatures[f], this.itemCount));
    this.positions = new Positions(p, 'position', c.maxLen, c.dModel);
    this.norm = new LayerNorm(p, 'embed/ln', c.dModel);
    this.encoder = new TransformerEncoder(p, 'encoder', {
      dModel: c.dModel,
      nHeads: c.nHeads,
      nLayers: c.nLayers,
      dropout: c.dropout,
      attnDropout: c.attnDropout,
      ...(c.objective === 'causal' ? { causal: true } : {}),
    });
  }

  /** label embedding table of a task feature (tied with its input table) [V_f, D] */
  table(feature: string): tf.Tensor2D {
    return this.embed.table(feature) as tf.Tensor2D;
  }

  /** feature ids of the items [B, L] → the same shape (attribute features looked up per item) */
  featureIds(feature: string, items: tf.Tensor): tf.Tensor {
    return tf.gather(this.attrOfItem.get(feature)!, items);
  }

  /** items, types [B, L] int32 (left-padded) → hidden [B, L, D] */
  apply(items: tf.Tensor2D, types: tf.Tensor2D, ctx: Ctx): tf.Tensor3D {
    const l = items.shape[1];
    const ids: Record<string, tf.Tensor> = {};
    for (const f of this.embed.tables.keys()) ids[f] = f === 'item' ? items : f === 'type' ? types : this.featureIds(f, items);
    const x = tf.add(this.embed.apply(ids), this.positions.apply(l)); // [B, L, D]
    const h = dropout(this.norm.apply(x), this.c.dropout, ctx.nextSeed());
    return this.encoder.apply(h, tf.notEqual(items, PAD), ctx) as tf.Tensor3D;
  }

  dispose(): void {
    for (const t of this.attrOfItem.values()) t.dispose();
    this.positions.dispose();
  }
}
