import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PAD, RESERVED_IDS, type CustomerSequences } from '@cfm/core';
import { Ctx } from '@cfm/tensor';
import { describeCustomerModel, initTestBackend, syntheticPrepared } from '@cfm/tensor/testing';
import { NextItemSampler, SasRecConfig, SasRecModel, sasrec, windows } from './index';

const tiny = {
  dModel: 16,
  nHeads: 2,
  nLayers: 1,
  maxLen: 12,
  batchSize: 16,
  lr: 1e-2,
  warmupSteps: 2,
  dropout: 0.1,
  attnDropout: 0.1,
  validCustomers: 16,
};

describeCustomerModel(sasrec, tiny, () => syntheticPrepared({ customers: 64, items: 20 }), { epochs: 4 });

function csr(rows: number[][]): CustomerSequences {
  const offsets = new Int32Array(rows.length + 1);
  rows.forEach((r, i) => (offsets[i + 1] = offsets[i] + r.length));
  const items = Int32Array.from(rows.flat());
  return {
    customerIds: rows.map((_, i) => `c${i}`),
    offsets,
    items,
    types: new Int32Array(items.length),
    times: Float64Array.from(items, (_, i) => i),
  };
}

describe('next-item batches', () => {
  const seqs = csr([[4, 5, 6, 7], [8, 9], [10], [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]]);

  it('cut histories into windows of maxLen + 1 items that cover every transition once (stride 1)', () => {
    const w = windows(seqs, 4, 1);
    // customer 2 has no transition; customer 3 (11 items) gives windows ending at its end, 4 and 8 items earlier
    expect(Array.from(w.customers)).toEqual([0, 1, 3, 3, 3]);
    expect(Array.from(w.lengths)).toEqual([4, 2, 5, 5, 3]);
    const targets = new Set<number>();
    w.customers.forEach((u, i) => {
      for (let x = w.ends[i] - w.lengths[i] + 1; x < w.ends[i]; x++) {
        expect(targets.has(x)).toBe(false);
        targets.add(x);
      }
    });
    expect(targets.size).toBe(3 + 1 + 10); // every item but each customer's first is a target once
  });

  it('label every real input position with the item after it, skip padding, and are reproducible', () => {
    const s = new NextItemSampler(seqs, { maxLen: 10, batchSize: 8, windowStride: 1, seed: 3 });
    expect(s.batchesPerEpoch).toBe(1);
    const b = s.batch(0, 0);
    expect(b.maxLen).toBe(10);
    const rows = Array.from({ length: b.batchSize }, (_, r) => Array.from(b.items.subarray(r * 10, r * 10 + 10)));
    const row0 = rows.findIndex((r) => r[9] === 6); // customer 0: inputs 4 5 6, targets 5 6 7
    expect(rows[row0]).toEqual([0, 0, 0, 0, 0, 0, 0, 4, 5, 6]);
    const labelAt = new Map(Array.from(b.positions, (p, i) => [p, b.labels[i]]));
    expect([7, 8, 9].map((t) => labelAt.get(row0 * 10 + t))).toEqual([5, 6, 7]);
    expect(labelAt.has(row0 * 10 + 6)).toBe(false);
    b.positions.forEach((p, i) => {
      expect(b.items[p]).not.toBe(PAD);
      expect(b.labels[i]).toBeGreaterThanOrEqual(RESERVED_IDS);
    });
    expect(b.positions.length).toBe(3 + 1 + 10);
    expect(new NextItemSampler(seqs, { maxLen: 10, batchSize: 8, windowStride: 1, seed: 3 }).batch(0, 0)).toEqual(b);
  });
});

describe('SASRec training', () => {
  beforeAll(async () => {
    await initTestBackend();
  });
  const d = syntheticPrepared({ customers: 12, items: 25, minLen: 3, maxLen: 20 });
  const model = (over: Record<string, unknown> = {}) => {
    const m = new SasRecModel(
      SasRecConfig.parse({ dModel: 8, nHeads: 2, nLayers: 2, maxLen: 10, batchSize: 6, seed: 4, ...over }),
      d.vocabs.item.tokens.length,
      d.vocabs.item.hash,
    );
    // non-zero biases and norms, so every part of the blocks takes part
    for (const [, v] of m.params.trainable()) v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.1, 'float32', 5)));
    return m;
  };

  it('attends left to right: the training-mode state at position t does not change when later items change', () => {
    const m = model({ dropout: 0.3, attnDropout: 0.2 });
    const ids = Int32Array.from([0, 0, 5, 6, 7, 8, 9, 10, 11, 12, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    const later = ids.slice();
    later.set([20, 21], 7); // row 0: positions 7, 8 changed
    later.set([22], 19); // row 1: the last position changed
    const hidden = (x: Int32Array) =>
      tf.tidy(() => m.backbone.apply(tf.tensor2d(x, [2, 10], 'int32'), new Ctx(true, 9)).arraySync() as number[][][]);
    const [a, b] = [hidden(ids), hidden(later)];
    const maxDiff = (r: number, t0: number, t1: number) =>
      Math.max(...a[r].slice(t0, t1).flatMap((v, t) => v.map((x, j) => Math.abs(x - b[r][t0 + t][j]))));
    expect(maxDiff(0, 2, 7)).toBe(0); // same dropout masks (same seeds), so bit-for-bit equal before the change
    expect(maxDiff(1, 0, 9)).toBe(0);
    expect(maxDiff(0, 7, 10)).toBeGreaterThan(1e-4);
    m.dispose();
  });

  it('trains on the full softmax cross-entropy over all items at every position (equal to a plain tf reference)', () => {
    const m = model({ dropout: 0, attnDropout: 0 });
    const b = new NextItemSampler(d.train, { maxLen: 10, batchSize: 6, windowStride: 1, seed: 4 }).batch(0, 1);
    const loss = m.loss(b, new Ctx(true, 9));
    // reference: inference states of every position · item tableᵀ → log-softmax over all V items, the next item's
    // negative log-probability at every real input position, averaged
    const ref = tf.tidy(() => {
      const h = m.backbone.infer(tf.tensor2d(b.items, [b.batchSize, b.maxLen], 'int32')).reshape([-1, 8]);
      const logp = tf.logSoftmax(tf.matMul(h, m.backbone.itemTable, false, true)).arraySync() as number[][];
      expect(logp[0].length).toBe(d.vocabs.item.tokens.length);
      let sum = 0;
      let n = 0;
      for (let p = 0; p < b.batchSize * b.maxLen; p++) {
        if (b.items[p] === PAD) continue;
        const t = p % b.maxLen;
        // the next item: the following input, or for the last slot the label the batch gives (the window's end)
        const next = t + 1 < b.maxLen ? b.items[p + 1] : b.labels[Array.from(b.positions).indexOf(p)];
        expect(next).toBeGreaterThanOrEqual(RESERVED_IDS);
        sum -= logp[p][next];
        n++;
      }
      return sum / n;
    });
    expect(Math.abs(loss.dataSync()[0] - ref)).toBeLessThan(1e-4);
    expect(ref).toBeGreaterThan(0);
    loss.dispose();
    m.dispose();
  });
});
