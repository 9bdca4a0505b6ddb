/** Where a downstream model's customer vector comes from: frozen pre-computed embeddings (U-MLP) or an
 * encoder trained along (P-Trans, fine-tuning). Histories are padded with their event times. */
import * as tf from '@tensorflow/tfjs';
import type { CustomerModel, CustomerSequences } from '@cfm/core';
import { historyBatch } from '@cfm/model-shopperbert';
import { Ctx, Params, type Encoder } from '@cfm/tensor';

/** one example = (customer row into `history`, history end) */
export interface Examples {
  history: CustomerSequences;
  rows: Int32Array;
  ends: Int32Array;
}

/** customer vectors [N, D] of examples from any family's embed(), batch by batch */
export function embedExamples(model: Pick<CustomerModel, 'embed' | 'embeddingDim'>, ex: Examples, maxLen: number, batchSize = 256): Float32Array {
  const d = model.embeddingDim;
  const out = new Float32Array(ex.rows.length * d);
  for (let s = 0; s < ex.rows.length; s += batchSize) {
    const n = Math.min(batchSize, ex.rows.length - s);
    const batch = historyBatch(ex.history, ex.rows.subarray(s, s + n), { maxLen, ends: ex.ends.subarray(s, s + n) });
    out.set(model.embed(batch), s * d);
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
      tf.tensor2d(Float32Array.from(batch.customerIds!.flatMap((id) => Array.from(vectors.subarray(index.get(id)! * dim, (index.get(id)! + 1) * dim)))), [batch.batchSize, dim]),
  };
}

/** What the recommender's user tower reads: [b, dim] vectors of examples idx (trainable when `params` is set). */
export interface UserSource {
  dim: number;
  params?: Params;
  vectors(idx: number[], ctx: Ctx): tf.Tensor2D;
}

export function frozenSource(vectors: Float32Array, dim: number): UserSource {
  return { dim, vectors: (idx) => tf.tensor2d(Float32Array.from(idx.flatMap((i) => Array.from(vectors.subarray(i * dim, (i + 1) * dim)))), [idx.length, dim]) };
}

export function encoderSource(encoder: Encoder, ex: Examples, maxLen: number): UserSource {
  return {
    dim: encoder.embeddingDim,
    params: encoder.params,
    vectors: (idx, ctx) => encoder.encodeVector(historyBatch(ex.history, idx.map((i) => ex.rows[i]), { maxLen, ends: Int32Array.from(idx, (i) => ex.ends[i]) }), ctx),
  };
}
