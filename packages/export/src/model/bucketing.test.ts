import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { MASK, PAD, type PreparedDataset } from '@cfm/core';
import { families } from '@cfm/models';
import { Ctx, initBackend, type BackendName } from '@cfm/tensor';
import { syntheticPrepared } from '@cfm/tensor/testing';
import { saveArtifact } from '../artifact';
import { loadModel, type LoadedModel } from './load';
import { exportBatches, exportOrder } from './sequences';

const MAX_LEN = 12;
const root = mkdtempSync(join(tmpdir(), 'cfm-bucketing-'));
let data: PreparedDataset;
let m: LoadedModel;

beforeAll(async () => {
  await initBackend({ prefer: (process.env.CFM_TEST_BACKEND as BackendName | undefined) ?? 'wasm', quiet: true });
  // histories of 1–30 items: most shorter than maxLen, some cropped to it
  data = syntheticPrepared({ customers: 60, items: 25, minLen: 3, maxLen: 31, seed: 11 });
  const { bert4rec } = families;
  const model = bert4rec.create(bert4rec.config.parse({ dModel: 16, nHeads: 2, nLayers: 2, maxLen: MAX_LEN }), data);
  // biases and layer norms start at 0 / 1: move every parameter so that nothing cancels by accident
  let seed = 1;
  for (const [name, v] of (model as unknown as { params: { vars: Map<string, tf.Variable> } }).params.vars) {
    v.assign(tf.randomNormal(v.shape, name.includes('gamma') ? 1 : 0, name.includes('table') ? 1 : 0.3, 'float32', seed++));
  }
  try {
    await saveArtifact(model, join(root, 'model'), { dataset: 'synthetic', metricsProtocol: 'none (untrained)' });
  } finally {
    model.dispose();
  }
  m = await loadModel(join(root, 'model'), { vocabHash: data.vocabs.item.hash, initBackend: false });
});
afterAll(() => {
  m?.dispose();
  rmSync(root, { recursive: true, force: true });
});

/** every customer at the full length: maxLen - 1 most recent items, left-padded, then [MASK], through the
 * training-time forward (TransformerEncoder.apply) read at the last slot */
function fullLengthReference(): Float32Array {
  const s = data.train;
  const n = s.customerIds.length;
  const ids = new Int32Array(n * MAX_LEN).fill(PAD);
  for (let c = 0; c < n; c++) {
    const end = s.offsets[c + 1];
    const start = Math.max(s.offsets[c], end - (MAX_LEN - 1));
    ids.set(s.items.subarray(start, end), c * MAX_LEN + MAX_LEN - 1 - (end - start));
    ids[c * MAX_LEN + MAX_LEN - 1] = MASK;
  }
  const model = m.model as unknown as { backbone: { apply(ids: tf.Tensor2D, ctx: Ctx): tf.Tensor } };
  const h = tf.tidy(() => {
    const all = model.backbone.apply(tf.tensor2d(ids, [n, MAX_LEN], 'int32'), Ctx.inference()); // [n, L, D]
    return all.slice([0, MAX_LEN - 1, 0], [-1, 1, -1]).reshape([n, -1]);
  });
  const out = h.dataSync() as Float32Array;
  h.dispose();
  return out;
}

describe('length-bucketed export', () => {
  it('cuts length-ordered customers into batches under the row and token budgets', () => {
    const lengths = [1, 1, 2, 2, 2, 3, 5, 8, 8, 12];
    const order = lengths.map((_, i) => i);
    const b = exportBatches(order, (c) => lengths[c], 4, 12);
    expect(b).toEqual([
      [0, 4],
      [4, 6],
      [6, 7],
      [7, 8],
      [8, 9],
      [9, 10],
    ]);
    for (const [i, j] of b) expect(j - i === 1 || (j - i) * (lengths[order[j - 1]] + 1) <= 12).toBe(true);
    expect(exportBatches(order, (c) => lengths[c], 3)).toEqual([
      [0, 3],
      [3, 6],
      [6, 9],
      [9, 10],
    ]);
    expect(exportBatches([], (c) => c, 3)).toEqual([]);
  });

  it('gives the same vectors as every customer padded to maxLen, in input order', () => {
    const s = data.train;
    const n = s.customerIds.length;
    const lengths = Array.from({ length: n }, (_, c) => s.offsets[c + 1] - s.offsets[c]);
    expect(Math.min(...lengths)).toBeLessThan(4);
    expect(Math.max(...lengths)).toBeGreaterThan(MAX_LEN);
    const want = fullLengthReference();
    for (const opts of [{ batchSize: 7, maxTokens: 30 }, { batchSize: 64 }, { batchSize: 5 }]) {
      const { vectors, present, dim } = m.embed(s, opts);
      expect(present.every((p) => p === 1)).toBe(true);
      let worst = 0;
      for (let i = 0; i < n * dim; i++) worst = Math.max(worst, Math.abs(vectors[i] - want[i]));
      expect(worst).toBeLessThan(1e-5);
    }
    // the small budget really did run short and long customers at different padded lengths
    const order = exportOrder(s, s.offsets.subarray(1), MAX_LEN);
    const widths = new Set(
      exportBatches(order, (c) => Math.min(MAX_LEN, lengths[c]), 7, 30).map(([, j]) => Math.min(MAX_LEN, lengths[order[j - 1]])),
    );
    expect(widths.size).toBeGreaterThan(3);
  });

  it('scores are those of the full-length vectors too', () => {
    const s = data.train;
    const cand = Int32Array.from([4, 5, 9]);
    const a = m.score(s, m.model.tasks[0], cand, { batchSize: 7, maxTokens: 30 });
    const b = m.score(s, m.model.tasks[0], cand, { batchSize: 1000, maxTokens: 1e9 });
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    expect(worst).toBeLessThan(1e-4);
  });
});

describe('embedding on worker threads', () => {
  it('gives the same batches, in the same order, as the calling thread alone', async () => {
    const w = await loadModel(join(root, 'model'), { vocabHash: data.vocabs.item.hash, initBackend: false, workers: 2 });
    try {
      const opts = { batchSize: 6, maxTokens: 40 };
      const want = [...m.embedBatches(data.train, opts)];
      const got: typeof want = [];
      for await (const b of w.embedBatchesAsync(data.train, opts)) got.push(b);
      expect(got.map((b) => b.rows)).toEqual(want.map((b) => b.rows));
      expect(got.map((b) => b.customerIds)).toEqual(want.map((b) => b.customerIds));
      let worst = 0;
      got.forEach((b, i) => b.vectors.forEach((x, j) => (worst = Math.max(worst, Math.abs(x - want[i].vectors[j])))));
      expect(worst).toBeLessThan(1e-6);
      // without workers the async form is the sync one
      const plain: typeof want = [];
      for await (const b of m.embedBatchesAsync(data.train, opts)) plain.push(b);
      expect(plain.map((b) => b.rows)).toEqual(want.map((b) => b.rows));
    } finally {
      w.dispose();
    }
  });

  it('refuses to start workers for a family the registry does not know', async () => {
    const { bert4rec } = families;
    await expect(
      loadModel(join(root, 'model'), { initBackend: false, workers: 1, family: { ...bert4rec, name: 'not-registered' } }),
    ).rejects.toThrow(/CFM_E_STATE.*embed workers failed to start.*not-registered/);
  });
});
