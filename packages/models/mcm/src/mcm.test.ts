import { describe, expect, it } from 'vitest';
import { MASK, PAD, padBatch } from '@cfm/core';
import { fineTune } from '@cfm/tensor';
import { describeCustomerModel, syntheticPrepared } from '@cfm/tensor/testing';
import { McmConfig, McmSampler, mcm } from './index';
import { LABEL_SLICE } from './readout';
import type { McmModel } from './model';

const tiny = {
  dModel: 16,
  nHeads: 2,
  nLayers: 1,
  maxLen: 12,
  batchSize: 16,
  lr: 1e-2,
  warmupSteps: 2,
  validCustomers: 16,
  samplesPerSequence: 2,
};

describeCustomerModel(mcm, tiny, () => syntheticPrepared({ customers: 64, items: 20 }), { epochs: 4 });
describeCustomerModel(mcm, { ...tiny, variant: 'MCM_Single' }, () => syntheticPrepared({ customers: 64, items: 20 }), { epochs: 4 });
describeCustomerModel(mcm, { ...tiny, objective: 'causal' }, () => syntheticPrepared({ customers: 64, items: 20 }), { epochs: 4 });
describeCustomerModel(mcm, { ...tiny, objective: 'causal', negatives: 8 }, () => syntheticPrepared({ customers: 64, items: 20 }), {
  epochs: 4,
});

describe('MCM config', () => {
  it('fills a variant in under explicitly given fields', () => {
    expect(McmConfig.parse({ variant: 'MCM_Single' })).toMatchObject({
      tasks: ['item'],
      readout: 'last',
      objective: 'cloze',
      nLayers: 3,
      nHeads: 4,
      maxLen: 300,
    });
    expect(McmConfig.parse({ variant: 'MCM_Single', readout: 'attentional' }).readout).toBe('attentional');
    expect(() => McmConfig.parse({ dModel: 30, nHeads: 4 })).toThrow(/divisible/);
  });
});

describe('MCM training examples', () => {
  const d = syntheticPrepared({ customers: 20, items: 20, minLen: 5, maxLen: 30 });
  const base = { maxLen: 8, batchSize: 6, samplesPerSequence: 3, seed: 3 };

  it('prefix examples hold only tokens before the label, then [MASK] last', () => {
    const s = new McmSampler(d.train, { ...base, objective: 'prefix' });
    for (let i = 0; i < s.batchesPerEpoch; i++) {
      const b = s.batch(0, i);
      for (let r = 0; r < b.batchSize; r++) {
        const row = Array.from(b.items.subarray(r * b.maxLen, (r + 1) * b.maxLen)).filter((x) => x !== PAD);
        expect(b.maskPos[r]).toBe(b.maxLen - 1);
        expect(row.at(-1)).toBe(MASK);
        // the synthetic walk is item i → i + 1, so the token before [MASK] is the label's predecessor
        const prev = row.at(-2)!;
        expect((prev - 4 + 1) % 20).toBe((b.labels[r] - 4) % 20);
      }
    }
  });

  it('cloze examples keep tokens after the masked label and are reproducible per (seed, epoch, index)', () => {
    const s = new McmSampler(d.train, { ...base, objective: 'cloze' });
    let future = 0;
    for (let i = 0; i < s.batchesPerEpoch; i++) {
      const b = s.batch(1, i);
      for (let r = 0; r < b.batchSize; r++) {
        expect(b.items[r * b.maxLen + b.maskPos[r]]).toBe(MASK);
        if (b.maskPos[r] < b.maxLen - 1) future++;
      }
    }
    expect(future).toBeGreaterThan(0);
    const again = new McmSampler(d.train, { ...base, objective: 'cloze' });
    expect(Array.from(again.batch(1, 0).items)).toEqual(Array.from(s.batch(1, 0).items));
    expect(Array.from(s.batch(2, 0).items)).not.toEqual(Array.from(s.batch(1, 0).items));
  });
});

describe('MCM fine-tuning with a new head', () => {
  it('trains the encoder along (its task heads untouched) and predicts one logit per example', async () => {
    const d = syntheticPrepared({ customers: 32, items: 20 });
    const model = mcm.create(McmConfig.parse(tiny), d) as McmModel;
    const seqs = d.train;
    const n = seqs.customerIds.length;
    const ex = {
      sequences: seqs,
      rows: Int32Array.from({ length: n }, (_, c) => c),
      ends: Int32Array.from(seqs.offsets.subarray(1)),
      labels: Float32Array.from({ length: n }, (_, c) => c % 2),
    };
    const enc = model.params.get('encoder/0/ff1/kernel').dataSync().slice();
    const head = model.params.get('head/item/bias').dataSync().slice();
    const { model: ft } = await fineTune(model, ex, {
      freezeEncoder: false,
      maxLen: 12,
      epochs: 1,
      batchSize: 16,
      lr: 1e-2,
      headWarmupEpochs: 0,
    });
    expect(Array.from(model.params.get('encoder/0/ff1/kernel').dataSync())).not.toEqual(Array.from(enc));
    expect(Array.from(model.params.get('head/item/bias').dataSync())).toEqual(Array.from(head));
    expect(ft.predict(ex).every(Number.isFinite)).toBe(true);
    ft.dispose();
    model.dispose();
  });
});

describe('MCM scoring over a large vocabulary', () => {
  it('scores the attentional readout in label slices: the same scores as one pass, memory bounded by the batch', () => {
    const items = LABEL_SLICE + 700;
    const d = syntheticPrepared({ customers: 12, items, minLen: 4, maxLen: 10 });
    const model = mcm.create(McmConfig.parse({ ...tiny, seed: 5 }), d) as McmModel;
    const batch = padBatch(
      d.test.history,
      Int32Array.from({ length: 12 }, (_, i) => i),
      { maxLen: 12 },
    );
    const v = d.vocabs.item.tokens.length;
    const full = model.score(batch, 'next-item'); // sliced: v > LABEL_SLICE
    expect(full).toHaveLength(12 * v);
    // one unsliced pass over a candidate list shorter than a slice, at both ends of the vocabulary
    for (const from of [0, v - 1000]) {
      const cands = Int32Array.from({ length: 1000 }, (_, i) => from + i);
      const part = model.score(batch, 'next-item', cands);
      for (let r = 0; r < 12; r++) for (let i = 0; i < 1000; i += 37) expect(part[r * 1000 + i]).toBeCloseTo(full[r * v + from + i], 4);
    }
    model.dispose();
  });
});
