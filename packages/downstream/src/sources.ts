/** Where a downstream model's customer vector comes from: frozen pre-computed embeddings (U-MLP) or an
 * encoder trained along (P-Trans, fine-tuning). Histories are padded with their event times and item
 * features, so every family finds what it reads (ShopperBERT's dates, DMT's behaviour windows). */
import * as tf from '@tensorflow/tfjs';
import type { CustomerModel, CustomerSequences, SequenceBatch } from '@cfm/core';
import { padBatch } from '@cfm/core';
import { type Ctx, Params, type Encoder } from '@cfm/tensor';

/** one example = (customer row into `history`, history end) */
export interface Examples {
  history: CustomerSequences;
  rows: Int32Array;
  ends: Int32Array;
}

/** the padded batch of examples rows[i], ends[i] (i in idx): the most recent `maxLen` events before each end,
 * with event types, times and the item features */
export function examplesBatch(
  ex: Examples,
  idx: ArrayLike<number>,
  maxLen: number,
  itemFeatures?: Record<string, Int32Array>,
): SequenceBatch {
  return padBatch(
    ex.history,
    Array.from(idx, (i) => ex.rows[i]),
    { maxLen, itemFeatures, ends: Int32Array.from(idx, (i) => ex.ends[i]), times: true },
  );
}

/** customer vectors [N, D] of examples from any family's embed(), batch by batch; `onBatch` runs after each
 * (heartbeats, cancellation) */
export function embedExamples(
  model: Pick<CustomerModel, 'embed' | 'embeddingDim'>,
  ex: Examples,
  maxLen: number,
  batchSize = 256,
  o: { itemFeatures?: Record<string, Int32Array>; onBatch?: (done: number) => void } = {},
): Float32Array {
  const d = model.embeddingDim;
  const out = new Float32Array(ex.rows.length * d);
  for (let s = 0; s < ex.rows.length; s += batchSize) {
    const n = Math.min(batchSize, ex.rows.length - s);
    out.set(
      model.embed(
        examplesBatch(
          ex,
          Array.from({ length: n }, (_, i) => s + i),
          maxLen,
          o.itemFeatures,
        ),
      ),
      s * d,
    );
    o.onBatch?.(s + n);
  }
  return out;
}

/** An Encoder over frozen vectors keyed by customer id (for fineTune with freezeEncoder): no parameters. */
export function frozenEncoder(ex: Examples, vectors: Float32Array, dim: number): Encoder {
  const index = new Map(Array.from(ex.rows, (c, i) => [ex.history.customerIds[c], i]));
  return {
    params: new Params(0),
    embeddingDim: dim,
    encodeVector: (batch) =>
      tf.tensor2d(
        Float32Array.from(
          batch.customerIds!.flatMap((id) => Array.from(vectors.subarray(index.get(id)! * dim, (index.get(id)! + 1) * dim))),
        ),
        [batch.batchSize, dim],
      ),
  };
}

/** What the recommender's user tower reads: [b, dim] vectors of examples idx (trainable when `params` is set). */
export interface UserSource {
  dim: number;
  params?: Params;
  vectors(idx: number[], ctx: Ctx): tf.Tensor2D;
}

export function frozenSource(vectors: Float32Array, dim: number): UserSource {
  return {
    dim,
    vectors: (idx) =>
      tf.tensor2d(Float32Array.from(idx.flatMap((i) => Array.from(vectors.subarray(i * dim, (i + 1) * dim)))), [idx.length, dim]),
  };
}

export function encoderSource(encoder: Encoder, ex: Examples, maxLen: number): UserSource {
  return {
    dim: encoder.embeddingDim,
    params: encoder.params,
    vectors: (idx, ctx) => encoder.encodeVector(examplesBatch(ex, idx, maxLen), ctx),
  };
}
