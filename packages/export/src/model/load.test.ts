import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreparedDataset } from '@cfm/core';
import { families } from '@cfm/models';
import { initBackend } from '@cfm/tensor';
import { syntheticPrepared } from '@cfm/tensor/testing';
import { saveArtifact } from '../artifact';
import { parquetStats } from '../inspect';
import { exportEmbeddings } from './export-embeddings';
import { loadModel } from './load';
import { allCustomers } from './sequences';

const root = mkdtempSync(join(tmpdir(), 'cfm-loadmodel-'));
const dir = join(root, 'model');
let data: PreparedDataset;
let direct: Float32Array;

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
  data = syntheticPrepared({ customers: 40, items: 20 });
  const { bert4rec } = families;
  const model = bert4rec.create(bert4rec.config.parse({ dModel: 16, nHeads: 2, nLayers: 1, maxLen: 12 }), data);
  try {
    await saveArtifact(model, dir, { dataset: 'synthetic', dataHash: 'd0', metricsProtocol: 'none (untrained)' });
    const { padBatch } = await import('@cfm/core');
    direct = model.embed(padBatch(data.train, [0, 1, 2], { maxLen: 12 }));
  } finally {
    model.dispose();
  }
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('loadModel', () => {
  it('loads a verified artifact whose embed matches the saved model, in input order', async () => {
    const m = await loadModel(dir, { vocabHash: data.vocabs.item.hash, initBackend: false });
    try {
      expect(m.manifest.dataset).toBe('synthetic');
      expect(m.modelVersion).toMatch(/^[0-9a-f]{12}$/);
      const { vectors, present, dim } = m.embed(data.train, { batchSize: 7 });
      expect(dim).toBe(16);
      expect(present.every((p) => p === 1)).toBe(true);
      for (let i = 0; i < 3 * dim; i++) expect(vectors[i]).toBeCloseTo(direct[i], 5);
      const scores = m.score(data.train, m.model.tasks[0], Int32Array.from([4, 5, 6]));
      expect(scores.length).toBe(data.train.customerIds.length * 3);
      expect(scores.every(Number.isFinite)).toBe(true);
    } finally {
      m.dispose();
    }
  });

  it('exports every customer point-in-time and DuckDB reads the same count back', async () => {
    const m = await loadModel(dir, { initBackend: false });
    try {
      const customers = allCustomers(data);
      const out = join(root, 'emb.parquet');
      const r = await exportEmbeddings({ model: m, customers, asOf: '2100-01-01', out, batchSize: 8 });
      expect(r.rows).toBe(customers.customerIds.length);
      expect(await parquetStats(out)).toEqual({ rows: r.rows, customers: r.rows, minDim: 16, maxDim: 16 });
      // an as-of before every event exports nobody (no future leakage)
      const none = await exportEmbeddings({ model: m, customers, asOf: '1970-01-01', out: join(root, 'none.parquet') });
      expect([none.rows, none.skipped]).toEqual([0, customers.customerIds.length]);
    } finally {
      m.dispose();
    }
  });

  it("refuses a vocabulary that is not the model's", async () => {
    await expect(loadModel(dir, { vocabHash: 'ffff', initBackend: false })).rejects.toThrow(/CFM_E_VOCAB_MISMATCH/);
  });

  it('refuses a tampered weights file', async () => {
    const weights = readdirSync(dir).find((f) => f.endsWith('.bin'))!;
    appendFileSync(join(dir, weights), Uint8Array.from([1]));
    await expect(loadModel(dir, { initBackend: false })).rejects.toThrow(
      new RegExp(`CFM_E_ARTIFACT.*${weights.replace('.', '\\.')}: sha256`),
    );
  });
});
