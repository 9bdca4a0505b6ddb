import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  RESERVED_IDS,
  RESERVED_TOKENS,
  padBatch,
  type CustomerModel,
  type ModelFamily,
  type PreparedDataset,
  type Vocabulary,
} from '@cfm/core';
import { families } from '@cfm/models';
import { initTestBackend, syntheticPrepared } from '@cfm/tensor/testing';
import { writeModelOutputs } from './outputs';

const root = mkdtempSync(join(tmpdir(), 'cfm-outputs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(() => initTestBackend());

/** tiny configs (the families' own test sizes); every registered family must have one */
const tiny: Record<string, Record<string, unknown>> = {
  bert4rec: { dModel: 16, nHeads: 2, nLayers: 1, maxLen: 12, batchSize: 16, warmupSteps: 2, validCustomers: 16 },
  mcm: { dModel: 16, nHeads: 2, nLayers: 1, maxLen: 12, batchSize: 16, warmupSteps: 2, validCustomers: 16, samplesPerSequence: 1 },
  shopperbert: { dModel: 16, nHeads: 2, nLayers: 1, maxLen: 12, textDim: 8, batchSize: 16, warmupSteps: 2, yearMin: 1970, yearCount: 3 },
  dmt: {
    featureDim: 4,
    nHeads: 2,
    expertSizes: [8],
    utilitySizes: [4],
    biasSizes: [4],
    experts: 2,
    batchSize: 8,
    warmupSteps: 2,
    bias: ['position', 'neighbour'],
  },
  'session-heads': { hidden: 16, idDim: 8, maxLen: 12, batchSize: 16, validShare: 0 },
  sasrec: { dModel: 16, nHeads: 2, nLayers: 1, maxLen: 12, batchSize: 16, warmupSteps: 2, validCustomers: 16 },
};

function vocab(name: string, prefix: string, n: number): Vocabulary {
  return { name, tokens: [...RESERVED_TOKENS, ...Array.from({ length: n }, (_, i) => `${prefix}${i}`)], hash: `${name}-${n}` };
}

/** synthetic data with two category levels and a brand, each vocabulary of its own size and token names,
 * so that a score row read against the wrong vocabulary shows */
function prepared(customers: number): PreparedDataset {
  const d = syntheticPrepared({ customers, items: 20 });
  const items = d.vocabs.item.tokens.length;
  const table = (n: number) => Int32Array.from({ length: items }, (_, i) => (i < RESERVED_IDS ? 0 : RESERVED_IDS + (i % n)));
  d.vocabs.category2 = vocab('category2', 'sub', 7);
  d.vocabs.brand = vocab('brand', 'brand', 3);
  d.itemFeatures.category2 = table(7);
  d.itemFeatures.brand = table(3);
  return d;
}

async function query(sql: string): Promise<unknown[][]> {
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  try {
    return (await con.runAndReadAll(sql)).getRowsJson() as unknown[][];
  } finally {
    con.closeSync();
    inst.closeSync();
  }
}

/** a tiny model, trained one epoch when `fit` */
async function trained(family: ModelFamily<unknown>, data: PreparedDataset, fit: boolean): Promise<CustomerModel> {
  const model = family.create(family.config.parse({ ...tiny[family.name], epochs: 1, seed: 1 }), data);
  if (fit) await model.fit(data);
  return model;
}

/** tasks the fixture's vocabularies must give each family (at least these) */
const expectedTasks: Record<string, string[]> = {
  bert4rec: ['next-item'],
  mcm: ['next-item', 'next-category1', 'next-category2', 'next-brand'],
  shopperbert: ['next-category1', 'next-category2', 'next-year', 'next-month', 'next-day', 'next-weekday', 'next-hour'],
  dmt: ['ctr', 'cvr'],
  'session-heads': ['next-item', 'purchase-item'],
  sasrec: ['next-item'],
};

const K = 5;

describe('writeModelOutputs', () => {
  it('has a test config for every registered family', () => {
    expect(Object.keys(tiny).sort()).toEqual(Object.keys(families).sort());
  });

  for (const [name, family] of Object.entries(families)) {
    it(`${name}: exports embeddings and every task's top-k over that task's vocabulary, real ids only`, async () => {
      const data = prepared(24);
      const model = await trained(family, data, true);
      const outDir = join(root, name);
      try {
        const seqs = data.test.history;
        const res = await writeModelOutputs({
          model,
          data,
          sequences: seqs,
          outDir,
          family: name,
          modelVersion: 'v1',
          asOf: '2024-01-01',
          topK: K,
        });
        const n = seqs.customerIds.length;
        expect(model.tasks).toEqual(expect.arrayContaining(expectedTasks[name]));
        expect(res.tasks).toEqual(model.tasks);
        expect(res.rows.embeddings).toBe(n);
        expect(readdirSync(outDir).sort()).toEqual(['embeddings.parquet', 'topk.parquet']);
        const emb = await query(
          `SELECT count(*), count(DISTINCT customer_id), min(len(vector)), max(len(vector)) FROM read_parquet('${join(outDir, 'embeddings.parquet')}')`,
        );
        expect(emb[0].map(Number)).toEqual([n, n, model.embeddingDim, model.embeddingDim]);

        const topk = join(outDir, 'topk.parquet');
        const present = (await query(`SELECT DISTINCT task FROM read_parquet('${topk}') ORDER BY 1`)).map((r) => r[0]);
        expect(present).toEqual([...model.tasks].sort());
        let total = 0;
        for (const task of model.tasks) {
          const out = model.taskOutputs[task];
          const tokens = out.tokens ?? data.vocabs[out.vocab].tokens;
          const real = new Set(tokens.slice(RESERVED_IDS));
          const k = Math.min(K, real.size);
          const ids = (await query(`SELECT DISTINCT item_id FROM read_parquet('${topk}') WHERE task = '${task}'`)).map((r) => String(r[0]));
          expect(ids.length, task).toBeGreaterThan(0);
          expect(
            ids.filter((id) => !real.has(id)),
            `${task} ids outside the ${out.vocab} vocabulary`,
          ).toEqual([]);
          const perCustomer = await query(
            `SELECT customer_id, count(*), count(DISTINCT item_id), min(rank), max(rank) FROM read_parquet('${topk}') WHERE task = '${task}' GROUP BY 1`,
          );
          expect(perCustomer.length, task).toBe(n);
          for (const row of perCustomer) expect(row.slice(1).map(Number), `${task} ${row[0]}`).toEqual([k, k, 1, k]);
          total += n * k;
        }
        expect(res.rows.topk).toBe(total);
      } finally {
        model.dispose();
      }
    });
  }

  it('shopperbert: category tasks export category ids (not item ids) and date parts their labels', async () => {
    const data = prepared(16);
    const model = await trained(families.shopperbert, data, false);
    const outDir = join(root, 'shopperbert-categories');
    try {
      expect(model.tasks).toEqual(expect.arrayContaining(['next-category1', 'next-category2', 'next-month']));
      await writeModelOutputs({
        model,
        data,
        sequences: data.test.history,
        outDir,
        family: 'shopperbert',
        modelVersion: 'v1',
        asOf: '2024-01-01',
        topK: 20,
      });
      const ids = async (task: string) =>
        (await query(`SELECT DISTINCT item_id FROM read_parquet('${join(outDir, 'topk.parquet')}') WHERE task = '${task}'`))
          .map((r) => String(r[0]))
          .sort();
      // every real category of a level is ranked (20 > its size), and no item token shows up among them
      expect(await ids('next-category1')).toEqual(data.vocabs.category1.tokens.slice(RESERVED_IDS).sort());
      expect(await ids('next-category2')).toEqual(data.vocabs.category2.tokens.slice(RESERVED_IDS).sort());
      expect((await ids('next-month')).every((t) => /^month=(0[1-9]|1[0-2])$/.test(t))).toBe(true);
    } finally {
      model.dispose();
    }
  });

  it('cuts histories at per-customer ends, reports a heartbeat per batch of 256 and exports only the given rows', async () => {
    const data = prepared(300);
    const model = await trained(families.bert4rec, data, false);
    const seqs = data.test.history;
    const rows = Array.from({ length: 290 }, (_, i) => i + 5);
    const ends = Int32Array.from(rows, (c) => seqs.offsets[c] + 2); // one per row
    const beats: Array<{ done: number; total: number }> = [];
    const outDir = join(root, 'ends');
    try {
      await writeModelOutputs({
        model,
        data,
        sequences: seqs,
        rows,
        ends,
        outDir,
        family: 'bert4rec',
        modelVersion: 'v1',
        asOf: '2024-01-01',
        topK: 3,
        heartbeat: (p) => beats.push(p),
      });
      expect(beats).toEqual([
        { done: 256, total: 290 },
        { done: 290, total: 290 },
      ]);
      const got = await query(
        `SELECT customer_id, vector FROM read_parquet('${join(outDir, 'embeddings.parquet')}') WHERE customer_id = '${seqs.customerIds[7]}'`,
      );
      const cut = model.embed(padBatch(seqs, [7], { maxLen: model.maxLen, ends: Int32Array.of(seqs.offsets[7] + 2) }));
      const full = model.embed(padBatch(seqs, [7], { maxLen: model.maxLen }));
      // the batch of 256 and a batch of one may take different kernel paths on native TensorFlow: equal to float32 rounding
      const exported = got[0][1] as number[];
      expect(exported).toHaveLength(cut.length);
      exported.forEach((v, i) => expect(v).toBeCloseTo(cut[i], 5));
      expect(Math.max(...Array.from(cut, (v, i) => Math.abs(v - full[i])))).toBeGreaterThan(1e-3);
      const ids = await query(
        `SELECT count(DISTINCT customer_id), count(*) FILTER (WHERE customer_id IN ('c0', 'c4', 'c295')) FROM read_parquet('${join(outDir, 'topk.parquet')}')`,
      );
      expect(ids[0].map(Number)).toEqual([290, 0]);
      await expect(
        writeModelOutputs({
          model,
          data,
          sequences: seqs,
          rows,
          ends: ends.subarray(1),
          outDir,
          family: 'bert4rec',
          modelVersion: 'v1',
          asOf: '2024-01-01',
          topK: 3,
        }),
      ).rejects.toThrow(/289 ends for 290 rows/);
    } finally {
      model.dispose();
    }
  });

  it('throws when aborted and leaves no file behind', async () => {
    const data = prepared(300);
    const model = await trained(families.bert4rec, data, false);
    const outDir = join(root, 'aborted');
    const ctl = new AbortController();
    try {
      const run = writeModelOutputs({
        model,
        data,
        sequences: data.test.history,
        outDir,
        family: 'bert4rec',
        modelVersion: 'v1',
        asOf: '2024-01-01',
        topK: 3,
        signal: ctl.signal,
        heartbeat: () => ctl.abort(),
      });
      await expect(run).rejects.toThrow(/cancelled after 256 of 300/);
      expect(existsSync(outDir) ? readdirSync(outDir) : []).toEqual([]);
    } finally {
      model.dispose();
    }
  });
});
