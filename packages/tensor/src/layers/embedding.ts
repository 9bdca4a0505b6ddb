/** Id embeddings pooled over several feature inputs, and position encodings. */
import * as tf from '@tensorflow/tfjs';
import { CfmError } from '@cfm/core';
import { lookup } from '../ops';
import type { Params } from '../params';

export type Pooling = 'average' | 'sum' | 'concat';

/** One table per feature (e.g. item, category, brand, type); per position the feature vectors are
 * averaged (MCM Eq. 1), summed, or concatenated (output dim = dim × features). */
export class FeatureEmbedding {
  readonly tables: Map<string, tf.Variable>;
  readonly outDim: number;
  constructor(
    p: Params,
    name: string,
    vocabSizes: Record<string, number>,
    readonly dim: number,
    readonly pooling: Pooling = 'average',
  ) {
    this.tables = new Map(Object.entries(vocabSizes).map(([f, n]) => [f, p.add(`${name}/${f}`, [n, dim])]));
    this.outDim = pooling === 'concat' ? dim * this.tables.size : dim;
  }
  table(feature: string): tf.Variable {
    const t = this.tables.get(feature);
    if (!t) throw new CfmError('CFM_E_CONFIG', `no embedding table for feature "${feature}"`, { field: feature });
    return t;
  }
  /** ids: feature → int tensor [B, L] (every feature of the layer) → [B, L, outDim] */
  apply(ids: Record<string, tf.Tensor>): tf.Tensor {
    return tf.tidy(() => {
      const parts = [...this.tables.keys()].map((f) => {
        if (!ids[f]) throw new CfmError('CFM_E_CONFIG', `missing input ids for feature "${f}"`, { field: f });
        return lookup(this.table(f) as tf.Tensor2D, ids[f]); // [B, L, D]
      });
      if (this.pooling === 'concat') return tf.concat(parts, -1);
      const sum = parts.length === 1 ? parts[0] : tf.addN(parts);
      return this.pooling === 'average' ? tf.div(sum, parts.length) : sum;
    });
  }
}

/** sinusoidal table [maxLen, dim] (Vaswani et al. 2017) */
export function sinusoidalPositions(maxLen: number, dim: number): tf.Tensor2D {
  const v = new Float32Array(maxLen * dim);
  for (let pos = 0; pos < maxLen; pos++)
    for (let i = 0; i < dim; i++) {
      const angle = pos / Math.pow(10000, (2 * Math.floor(i / 2)) / dim);
      v[pos * dim + i] = i % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  return tf.tensor2d(v, [maxLen, dim]);
}

/** Position encodings for the last L of maxLen positions (sequences are left-padded, so the most
 * recent token always sits at position maxLen - 1 whatever the batch's cropped length). */
export class Positions {
  readonly table: tf.Tensor2D;
  constructor(
    p: Params,
    name: string,
    readonly maxLen: number,
    readonly dim: number,
    readonly kind: 'learned' | 'sinusoidal' = 'learned',
  ) {
    this.table = kind === 'learned' ? (p.add(`${name}/table`, [maxLen, dim]) as tf.Tensor2D) : sinusoidalPositions(maxLen, dim);
  }
  /** → [L, dim] for a batch cropped to its last L positions */
  apply(len: number): tf.Tensor2D {
    if (len > this.maxLen) throw new CfmError('CFM_E_CONFIG', `sequence length ${len} > maxLen ${this.maxLen}`, { field: 'maxLen' });
    return tf.slice(this.table, [this.maxLen - len, 0], [len, this.dim]);
  }
  dispose(): void {
    if (this.kind === 'sinusoidal') this.table.dispose();
  }
}
