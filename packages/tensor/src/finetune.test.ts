import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { auc } from '@cfm/eval';
import { PAD, type SequenceBatch } from '@cfm/core';
import { FineTuneConfig } from './finetune-config';
import { encodeExamples, fineTune, FineTuned, type Encoder, type FineTuneExamples } from './finetune';
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
      validFraction: 0,
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
    const o = { freezeEncoder: false, maxLen: 12, epochs: 2, lr: 1e-2, batchSize: 16, seed: 1, validFraction: 0 };
    const { model } = await fineTune(enc, ex, o);
    expect(Array.from(enc.table.dataSync())).not.toEqual(before);
    model.dispose();
    await expect(fineTune(enc, { ...ex, labels: undefined }, { freezeEncoder: true, maxLen: 12 })).rejects.toThrow(/one label per example/);
    enc.params.dispose();
  });

  /** max |w - w0| of the encoder's table after every optimizer step */
  async function encoderSteps(o: Partial<FineTuneConfig>, stopAfter = Infinity): Promise<{ moved: number[]; tables: number[][] }> {
    const enc = new MeanEncoder();
    const w0 = Array.from(enc.table.dataSync());
    const moved: number[] = [];
    const tables: number[][] = [];
    const { model } = await fineTune(enc, ex, {
      maxLen: 12,
      lr: 1e-2,
      batchSize: 16,
      seed: 1,
      validFraction: 0,
      ...o,
      onProgress: (p) => {
        if (p.step <= moved.length || moved.length >= stopAfter) return; // the trainer's end-of-epoch call repeats a step
        const w = Array.from(enc.table.dataSync());
        tables.push(w);
        moved.push(Math.max(...w.map((x, i) => Math.abs(x - w0[i]))));
      },
    });
    model.dispose();
    enc.params.dispose();
    return { moved, tables: tables.map((w) => w.map((x, i) => x - w0[i])) };
  }

  it('keeps the encoder weights exactly fixed during the head warm-up and trains them after it', async () => {
    // 80 examples, batches of 16: 5 steps per epoch, 2 warm-up epochs
    const { moved } = await encoderSteps({ epochs: 4, headWarmupEpochs: 2 });
    const perEpoch = Math.ceil(ex.rows.length / 16);
    expect(moved.length).toBeGreaterThan(2 * perEpoch);
    expect(moved.slice(0, 2 * perEpoch).every((d) => d === 0)).toBe(true);
    expect(moved.slice(2 * perEpoch).every((d) => d > 0)).toBe(true);
    // without a warm-up the first step already moves it
    expect((await encoderSteps({ epochs: 2, headWarmupEpochs: 0 }, 1)).moved[0]).toBeGreaterThan(0);
  });

  it("applies encoderLrScale to the encoder's steps: its first step is that fraction of the one-rate step", async () => {
    const one = await encoderSteps({ epochs: 2, headWarmupEpochs: 0, encoderLrScale: 1 }, 1);
    const tenth = await encoderSteps({ epochs: 2, headWarmupEpochs: 0, encoderLrScale: 0.1 }, 1);
    expect(one.moved[0]).toBeGreaterThan(1e-4);
    one.tables[0].forEach((d, i) => expect(tenth.tables[0][i]).toBeCloseTo(0.1 * d, 6));
  });

  it('validates its settings in FineTuneConfig (defaults, unknown keys, a warm-up that leaves no encoder training)', async () => {
    const c = FineTuneConfig.parse({});
    expect(c).toMatchObject({ freezeEncoder: false, encoderLrScale: 0.1, headWarmupEpochs: 1, validFraction: 0.1, patience: 2 });
    const enc = new MeanEncoder();
    await expect(fineTune(enc, ex, { maxLen: 12, epochs: 3, headWarmupEpochs: 3 })).rejects.toThrow(/headWarmupEpochs 3 >= epochs 3/);
    await expect(fineTune(enc, ex, { maxLen: 12, encoderLrScale: 0 })).rejects.toThrow(/encoderLrScale 0 never trains/);
    await expect(fineTune(enc, ex, { maxLen: 12, learningRate: 1 } as never)).rejects.toThrow(/learningRate/);
    // a frozen encoder may warm up for as long as it likes (nothing else trains)
    const { model } = await fineTune(enc, ex, { maxLen: 12, freezeEncoder: true, epochs: 1, headWarmupEpochs: 5 });
    model.dispose();
    enc.params.dispose();
  });

  it('holds out customers for validation and keeps the weights of the best validation AUROC', async () => {
    const enc = new MeanEncoder();
    const { model, report } = await fineTune(enc, ex, {
      maxLen: 12,
      epochs: 6,
      lr: 1e-2,
      batchSize: 16,
      seed: 1,
      validFraction: 0.3,
      patience: 0,
    });
    const metrics = report.history.map((h) => h.metric!);
    expect(metrics).toHaveLength(6);
    metrics.forEach((m) => expect(Number.isFinite(m)).toBe(true));
    expect(report.bestMetric).toBe(Math.max(...metrics));
    model.dispose();
    enc.params.dispose();
  });

  it("picks the epoch by the caller's validation examples when given, and returns that epoch's weights", async () => {
    const enc = new MeanEncoder();
    const n = ex.rows.length;
    const cut = (from: number, to: number): FineTuneExamples => ({
      ...ex,
      rows: ex.rows.slice(from, to),
      ends: ex.ends.slice(from, to),
      labels: ex.labels!.slice(from, to),
    });
    const valid = cut(n - 24, n);
    const { model, report } = await fineTune(enc, cut(0, n - 24), {
      maxLen: 12,
      epochs: 6,
      lr: 3e-2,
      batchSize: 16,
      seed: 2,
      patience: 0,
      valid,
    });
    const metrics = report.history.map((h) => h.metric!);
    expect(metrics).toHaveLength(6);
    expect(report.bestMetric).toBe(Math.max(...metrics));
    // the returned model (head and encoder) is the best epoch's: its validation AUROC is the best one (with this seed the
    // best is an early epoch and the last one scores lower, so a model left at the last epoch fails this)
    expect(auc(model.predict(valid), valid.labels!)).toBeCloseTo(report.bestMetric!, 5);
    await expect(fineTune(enc, ex, { maxLen: 12, valid: { ...valid, labels: undefined } })).rejects.toThrow(
      /validation examples need one label/,
    );
    model.dispose();
    enc.params.dispose();
  });

  it('adds the cross term vᵀ W s for side features (sideCross), which learns a customer × offer interaction', async () => {
    // label = whether coordinate g of the customer's vector is positive for an offer of group g (one-hot side feature):
    // a product of history and offer that neither predicts alone
    const enc = new MeanEncoder();
    tf.tidy(() => enc.table.assign(tf.mul(enc.table, 50))); // vectors of order 1
    const n = ex.rows.length;
    const vec = encodeExamples(enc, ex, { maxLen: 12 });
    const rows: number[] = [];
    const side: number[] = [];
    const labels: number[] = [];
    for (let c = 0; c < n; c++)
      for (let g = 0; g < 4; g++) {
        rows.push(c);
        side.push(...[0, 1, 2, 3].map((k) => (k === g ? 1 : 0)));
        labels.push(vec[c * 8 + g] > 0 ? 1 : 0);
      }
    const offers: FineTuneExamples = {
      sequences: ex.sequences,
      rows: Int32Array.from(rows),
      ends: Int32Array.from(rows, (c) => ex.ends[c]),
      side: Float32Array.from(side),
      sideDim: 4,
      labels: Float32Array.from(labels),
    };
    const o = { freezeEncoder: true, maxLen: 12, epochs: 20, lr: 1e-2, hidden: [8], batchSize: 32, seed: 1, validFraction: 0 };
    const withCross = await fineTune(enc, offers, o);
    const without = await fineTune(enc, offers, { ...o, sideCross: false });
    expect(withCross.parameters - without.parameters).toBe(8 * 4);
    expect(withCross.model.headParams.vars.has('finetune/cross')).toBe(true);
    expect(without.model.headParams.vars.has('finetune/cross')).toBe(false);
    const aucOf = (m: FineTuned) => auc(m.predict(offers), offers.labels!);
    expect(aucOf(withCross.model)).toBeGreaterThan(aucOf(without.model) + 0.03);
    // no side features: no cross term
    const plain = await fineTune(enc, ex, { ...o, epochs: 1 });
    expect(plain.model.headParams.vars.has('finetune/cross')).toBe(false);
    for (const r of [withCross, without, plain]) r.model.dispose();
    enc.params.dispose();
  });
});
