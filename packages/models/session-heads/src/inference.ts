/** CustomerModel inference: customer vector = encoder state after the last event; item scores = summed
 * similarity between the last step's head predictions and each candidate's attributes. */
import * as tf from '@tensorflow/tfjs';
import { CfmError, type SequenceBatch } from '@cfm/core';
import { Ctx, matmul2d } from '@cfm/tensor';
import type { SessionHeads } from './heads';
import type { AttributeSpec } from './model-types';

/** What inference reads of a model: model.ts's SessionHeadsModel is one (declared here so that this file does not
 * import the model that calls it). */
export interface InferenceModel {
  readonly tasks: readonly string[];
  readonly items: number;
  readonly table: tf.Tensor;
  readonly heads: Pick<SessionHeads, 'next' | 'purchased'>;
  readonly specs: readonly AttributeSpec[];
  readonly ranges: ReadonlyArray<readonly [number, number]>;
  lastHidden(items: Int32Array, b: number, l: number): tf.Tensor2D;
}

export function embedBatch(m: InferenceModel, batch: SequenceBatch): Float32Array {
  const h = m.lastHidden(batch.items, batch.batchSize, batch.maxLen);
  const out = h.dataSync() as Float32Array;
  h.dispose();
  return out;
}

const unit = (x: tf.Tensor) => tf.div(x, tf.add(tf.norm(x, 'euclidean', -1, true), 1e-8));

/** task next-item (next-item heads) or purchase-item (purchased-item heads) → [B, C] or [B, items] */
export function scoreBatch(m: InferenceModel, batch: SequenceBatch, task: string, candidates?: Int32Array): Float32Array {
  const g = m.tasks.indexOf(task);
  if (g < 0) throw new CfmError('CFM_E_CONFIG', `unknown task "${task}" (session-heads has ${m.tasks.join(', ')})`, { field: 'task' });
  const s = tf.tidy(() => {
    const h = m.lastHidden(batch.items, batch.batchSize, batch.maxLen); // [B, H]
    const ids = candidates ? Int32Array.from(candidates, (x) => (x > 0 && x < m.items ? x : 0)) : undefined;
    const table = ids ? tf.gather(m.table, tf.tensor1d(ids, 'int32')) : m.table; // [C, D]
    const heads = g === 0 ? m.heads.next : m.heads.purchased;
    let total: tf.Tensor = tf.zeros([batch.batchSize, table.shape[0]]);
    m.specs.forEach((a, k) => {
      const pred = heads[k].apply(h, Ctx.inference()); // [B, dim]
      const cand = table.slice([0, m.ranges[k][0]], [-1, a.dim]); // [C, dim]
      const sim =
        a.kind === 'vector'
          ? matmul2d(unit(pred) as tf.Tensor2D, tf.transpose(unit(cand)) as tf.Tensor2D) // [B, C]
          : tf.sub(1, tf.abs(tf.sub(pred, tf.transpose(cand)))); // [B, 1] − [1, C]
      total = tf.add(total, sim);
    });
    return total;
  });
  const out = s.dataSync() as Float32Array;
  s.dispose();
  return out;
}
