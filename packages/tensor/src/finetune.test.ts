import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PAD, type SequenceBatch } from '@cfm/core';
import { fineTune, FineTuned, type Encoder, type FineTuneExamples } from './finetune';
import { lookup } from './ops';
import { Params, type Ctx } from './params';
import { syntheticPrepared } from './testing';
import { initTestBackend } from './test-backend';

/** a tiny "pre-trained" encoder: mean of the history's item embeddings */
class MeanEncoder implements Encoder {
  readonly params = new Params(3);
  readonly table = this.params.add('items', [40, 8]);
  readonly embeddingDim = 8;
  encodeVector(batch: SequenceBatch, _ctx: Ctx): tf.Tensor2D {
    return tf.tidy(() => {
      const ids = tf.tensor2d(batch.items, [batch.batchSize, batch.maxLen], 'int32');
      const mask = tf.notEqual(ids, PAD).toFloat().expandDims(2); // [B, L, 1]
      return tf.div(tf.sum(tf.mul(lookup(this.table as tf.Tensor2D, ids), mask), 1), tf.maximum(tf.sum(mask, 1), 1)) as tf.Tensor2D;
    });
  }
}

describe('fineTune', () => {
  const d = syntheticPrepared({ customers: 80, items: 30 });
  let ex: FineTuneExamples;
  beforeAll(async () => {
    await initTestBackend();
    const seqs = d.train;
    const n = seqs.customerIds.length;
    // label: the customer's last history item is in the first half of the cycle (depends on the history only)
    const ends = seqs.offsets.subarray(1);
    const labels = Float32Array.from({ length: n }, (_, c) => (seqs.items[ends[c] - 1] - 4 < 15 ? 1 : 0));
    ex = { sequences: seqs, rows: Int32Array.from({ length: n }, (_, c) => c), ends: Int32Array.from(ends), labels };
  });

  it('trains only the new head when the encoder is frozen, and the head learns the task', async () => {
    const enc = new MeanEncoder();
    const before = Array.from(enc.table.dataSync());
    const { model, report } = await fineTune(enc, ex, {
      freezeEncoder: true,
      maxLen: 12,
      epochs: 30,
      lr: 1e-2,
      hidden: [32],
      batchSize: 16,
      seed: 1,
    });
    expect(Array.from(enc.table.dataSync())).toEqual(before);
    expect(report.history.at(-1)!.loss).toBeLessThan(report.history[0].loss);
    const logits = model.predict(ex);
    const acc = Array.from(logits).filter((z, i) => (z > 0 ? 1 : 0) === ex.labels![i]).length / logits.length;
    expect(acc).toBeGreaterThan(0.75);
    // new examples (here: the same ones in reverse order) are encoded afresh, not read from the training cache
    const rev = { ...ex, rows: ex.rows.slice().reverse(), ends: ex.ends.slice().reverse(), labels: undefined };
    const back = model.predict(rev);
    for (let i = 0; i < logits.length; i++) expect(back[logits.length - 1 - i]).toBeCloseTo(logits[i], 4);
    model.dispose();
    enc.params.dispose();
  });

  it('scores any examples but the exact training set through the encoder, never by index into the training cache', async () => {
    const enc = new MeanEncoder();
    const n = ex.rows.length;
    const cut = (from: number, to: number): FineTuneExamples => ({
      ...ex,
      rows: ex.rows.slice(from, to),
      ends: ex.ends.slice(from, to),
      labels: ex.labels!.slice(from, to),
    });
    const trainEx = cut(0, n - 20);
    const testEx = cut(n - 20, n);
    const o = { freezeEncoder: true, maxLen: 12, epochs: 3, lr: 1e-2, hidden: [16], batchSize: 16, seed: 2 };
    const { model, parameters } = await fineTune(enc, trainEx, o);
    expect(parameters).toBe(model.headParams.count());
    const uncached = new FineTuned(enc, model.head, model.headParams, o);
    const test = model.predict(testEx);
    // the trap: the first 20 training vectors, read by index, stand in for the 20 test customers
    const trap = model.predict(trainEx).slice(0, 20);
    expect(Array.from(test)).not.toEqual(Array.from(trap));
    expect(Array.from(test)).toEqual(Array.from(uncached.predict(testEx)));
    // an equal copy of the training set reads the cache; the training object changed in place afterwards does not
    const copy = cut(0, n - 20);
    expect(model.servesFromCache(copy)).toBe(true);
    const fromCache = model.predict(copy);
    uncached.predict(copy).forEach((x, i) => expect(fromCache[i]).toBeCloseTo(x, 5));
    trainEx.rows.reverse();
    trainEx.ends.reverse();
    expect(model.servesFromCache(trainEx)).toBe(false);
    const back = model.predict(trainEx);
    const fresh = uncached.predict(trainEx);
    for (let i = 0; i < back.length; i++) expect(back[i]).toBeCloseTo(fresh[i], 5);
    model.dispose();
    enc.params.dispose();
  });

  it('updates the encoder weights when it is not frozen, and refuses examples without labels', async () => {
    const enc = new MeanEncoder();
    const before = Array.from(enc.table.dataSync());
    const { model } = await fineTune(enc, ex, { freezeEncoder: false, maxLen: 12, epochs: 2, lr: 1e-2, batchSize: 16, seed: 1 });
    expect(Array.from(enc.table.dataSync())).not.toEqual(before);
    model.dispose();
    await expect(fineTune(enc, { ...ex, labels: undefined }, { freezeEncoder: true, maxLen: 12 })).rejects.toThrow(/one label per example/);
    enc.params.dispose();
  });
});
